import AsyncRedis
import Logging

/// How the repository turns Redis failures and unexpected script replies into ``QuotaError``s.
///
/// A ``QuotaError`` message is shown to API clients: it never carries Redis's reply text, a script SHA or
/// reply bytes. Those details are logged (error level, dotted metadata keys) and the error says what
/// happened in the repository's own words.
extension RedisQuotaRepository {
    /// Runs a Redis call and maps its errors to ``QuotaError``.
    ///
    /// - `OOM` (and `MISCONF`, a failed disk write) → ``QuotaError/Code/storageFull``; `LOADING`, `READONLY`, `BUSY`, `MASTERDOWN`, `TRYAGAIN`,
    ///   `CLUSTERDOWN` and connection failures → ``QuotaError/Code/unavailable``; a command that may have run
    ///   (also a write fewer replicas acknowledged than asked, ``RedisError/Code/notReplicated``)
    ///   → ``QuotaError/Code/outcomeUnknown``; anything else → ``QuotaError/Code/internalError``.
    func redis(_ body: () async throws(RedisError) -> RedisReply) async throws(QuotaError) -> RedisReply {
        do {
            return try await body()
        } catch {
            throw mapped(error)
        }
    }

    /// The ``QuotaError`` for a Redis error (``QuotaError/init(redis:)``), after logging the detail.
    func mapped(_ error: RedisError) -> QuotaError {
        let metadata: Logger.Metadata = [
            "redis.error.code": "\(error.code)", "redis.error.message": "\(error.message)",
            "redis.error.outcome_unknown": "\(error.isOutcomeUnknown)",
        ]
        var mapped = QuotaError(redis: error)
        switch mapped.code {
        case .outcomeUnknown where error.code == .notReplicated:
            logger.warning("redis write not acknowledged by enough replicas", metadata: metadata)
        case .outcomeUnknown: logger.warning("redis outcome unknown", metadata: metadata)
        case .storageFull: logger.error("redis is out of memory or cannot persist", metadata: metadata)
        case .unavailable: logger.error("redis is unavailable", metadata: metadata)
        default: logger.error("redis error", metadata: metadata)
        }
        if mapped.code == .outcomeUnknown {
            mapped.message = error.code == .notReplicated
                ? "Redis ran the write but not enough replicas acknowledged it in time; retrying with the same event id is safe"
                : "Redis did not confirm the write; retrying with the same event id is safe"
        }
        return mapped
    }

    /// Logs a script reply of the wrong shape and returns a generic internal error.
    func unexpectedReply(script: String, _ reply: RedisReply) -> QuotaError {
        logger.error("unexpected reply from a quota script", metadata: [
            "quota.script": "\(script)", "redis.reply": "\(reply)",
        ])
        return QuotaError(.internalError, "the \(script) script returned an unexpected reply")
    }

    /// The error for a record the script refused before changing anything: `status` -1 means the field would
    /// pass ``QuotaScripts/totalBound``, -2 that its stored value is not an integer.
    func refusedRecord(status: Int, field: String, model: String, event: UsageEvent) -> QuotaError {
        let name = UsageField(rawValue: field)?.apiName ?? "a total"
        let scope = model.isEmpty ? "the cycle total" : "the total of model '\(model)'"
        let metadata: Logger.Metadata = [
            "quota.tenant": "\(event.tenant)", "quota.user": "\(event.user)", "quota.event": "\(event.eventID)",
            "quota.field": "\(field)", "quota.model": "\(model)",
        ]
        if status == -1 {
            logger.error("event refused: a total would pass its bound", metadata: metadata)
            return QuotaError(
                .overflow,
                "recording event '\(event.eventID)' would push \(scope) of \(name) past \(QuotaScripts.totalBound); nothing was recorded"
            )
        }
        logger.error("event refused: a stored total is not an integer", metadata: metadata)
        return QuotaError(.internalError, "the stored \(scope) of \(name) is not an integer; nothing was recorded")
    }
}
