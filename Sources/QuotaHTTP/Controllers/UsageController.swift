import QuotaStores
import HTTPTypes
import Logging
import Foundation
public import Hummingbird
import TokenQuota

/// Usage recording (single and batch) and a user's usage view.
public struct UsageController: Sendable {
    let dependencies: QuotaAPIDependencies

    /// The most events in one batch.
    public static let maximumBatchEvents = 1000
    /// The longest batch `Idempotency-Key`: with `:<index>` appended it is still an event id.
    static let maximumBatchKeyLength = Identifier.maximumEventIDLength - 5
    /// How many batch items are recorded concurrently.
    static let batchConcurrency = 8

    /// Creates the controller.
    public init(dependencies: QuotaAPIDependencies) { self.dependencies = dependencies }

    /// `POST /{tenant}/usage`, `POST /{tenant}/usage/batch`, `GET /{tenant}/users/{user}/usage`,
    /// `GET /{tenant}/usage` (the tenant level), `GET /{tenant}/groups/{group}/usage` (mounted at `/v1/tenants`).
    public var endpoints: RouteCollection<QuotaRequestContext> {
        let routes = RouteCollection(context: QuotaRequestContext.self)
        routes.post("{tenant}/usage", use: record)
        // A batch decodes and prices up to 1,000 events: off the event loop, so other requests on it go on.
        routes.post("{tenant}/usage/batch") { request, context in try await offEventLoop { try await batch(request, context: context) } }
        routes.get("{tenant}/users/{user}/usage", use: usage)
        routes.get("{tenant}/usage") { request, context in try await levelUsage(request, context, group: false) }
        routes.get("{tenant}/groups/{group}/usage") { request, context in try await levelUsage(request, context, group: true) }
        return routes
    }

    @Sendable func record(_ request: Request, context: QuotaRequestContext) async throws -> Response {
        let tenant = try await dependencies.authorizedTenant(request, context, scope: .usageWrite)
        let buffer = try await RequestBodyReader.collect(request, limit: dependencies.maxBodyBytes)
        let body = try RequestBodyReader.decodeUsage(from: buffer)
        // `Idempotency-Key` (draft-ietf-httpapi-idempotency-key-header) names the event when the body does not.
        let idempotencyKey = request.headers[.idempotencyKey]
        if let key = idempotencyKey, let eventID = body.eventID, key != eventID {
            throw APIError.badRequest("the Idempotency-Key header ('\(key.prefix(60))') and event_id ('\(eventID.prefix(60))') differ: give one")
        }
        let response = try await dependencies.recorder.record(body, tenant: tenant, eventID: idempotencyKey, logger: context.logger)
        return response.answer(preferring: ReturnPreference(request.headers))
    }

    @Sendable func batch(_ request: Request, context: QuotaRequestContext) async throws -> Response {
        let tenant = try await dependencies.authorizedTenant(request, context, scope: .usageWrite)
        let buffer = try await RequestBodyReader.collect(request, limit: dependencies.maxBatchBodyBytes)
        // Key problems inside one event fail that event only; anywhere else they fail the batch.
        var itemViolations: [Int: JSONKeyViolation] = [:]
        for violation in JSONKeyScanner.violations(in: Array(buffer.readableBytesView), schema: BatchRequest.keySchema) {
            guard let index = violation.elementIndex(under: "events") else { throw APIError.badRequest(violation.message) }
            if itemViolations[index] == nil { itemViolations[index] = violation }
        }
        let body = try RequestBodyReader.decode(BatchRequest.self, from: buffer)
        guard !body.events.isEmpty else { throw APIError.badRequest("events must hold 1…\(Self.maximumBatchEvents) events") }
        guard body.events.count <= Self.maximumBatchEvents else {
            throw APIError.payloadTooLarge("a batch holds at most \(Self.maximumBatchEvents) events (got \(body.events.count))")
        }
        var items = body.events.map(\.request)
        for (index, violation) in itemViolations where index < items.count {
            items[index] = .failure(.badRequest("events[\(index)]: \(violation.message)"))
        }
        // With `Idempotency-Key: K`, an item that names no event id is `K:<its index>`: a retried batch
        // counts each of them once, as a retried single event does.
        if let key = request.headers[.idempotencyKey] {
            guard key.utf8.count <= Self.maximumBatchKeyLength else {
                throw APIError.badRequest("a batch's Idempotency-Key must be at most \(Self.maximumBatchKeyLength) characters (':<item index>' is appended)")
            }
            do {
                try Identifier.validateEventID(key, field: "Idempotency-Key")
            } catch {
                throw APIError(error)
            }
            for index in items.indices {
                guard case .success(var item) = items[index], item.eventID == nil else { continue }
                item.eventID = "\(key):\(index)"
                items[index] = .success(item)
            }
        }
        // Items repeating an earlier item's event id run after the first wave, so that within a batch the
        // first occurrence is the one recorded and later ones are reported as duplicates.
        var seen = Set<String>()
        var firstWave: [Int] = []
        var secondWave: [Int] = []
        for (index, item) in items.enumerated() {
            if case .success(let request) = item, let eventID = request.eventID, !seen.insert("\(request.user ?? "")|\(eventID)").inserted {
                secondWave.append(index)
            } else {
                firstWave.append(index)
            }
        }
        var results = [BatchResultItem?](repeating: nil, count: items.count)
        for wave in [firstWave, secondWave] where !wave.isEmpty {
            let recorded = await record(wave, of: items, tenant: tenant, logger: context.logger)
            for (position, result) in zip(wave, recorded) {
                results[position] = result
            }
        }
        let ordered = results.map { ($0 ?? .failure(.internalError())).fragment }
        return JSONResponse.make(fragment: .object(["results": .array(ordered)]))
    }

    /// Records the items at `indices`, at most ``batchConcurrency`` at a time, and returns their results in
    /// the order of `indices`.
    ///
    /// Each child task returns its position together with its result, and the position is bound before the
    /// child awaits anything: Swift 6.3.1 at `-O` miscompiles a child closure that returns a tuple literal
    /// `(captured, .case(try await …))` — the captured value is read back clobbered after the suspension
    /// (positions came back as 0, so `results[index] = …` trapped or left items unanswered). Results are
    /// matched by position and every position is checked, so a wrong position could never write out of
    /// bounds or answer one item with another's result.
    func record(_ indices: [Int], of items: [Result<UsageRequest, APIError>], tenant: String, logger: Logger) async -> [BatchResultItem] {
        let recorder = dependencies.recorder
        var results = [BatchResultItem?](repeating: nil, count: indices.count)
        await withTaskGroup(of: BatchOutcome.self) { group in
            var next = 0
            var finished = 0
            while next < indices.count || !group.isEmpty {
                while next < indices.count, next - finished < Self.batchConcurrency {
                    let position = next
                    let item = items[indices[position]]
                    next += 1
                    group.addTask {
                        let result = await Self.record(item, recorder: recorder, tenant: tenant, logger: logger)
                        return BatchOutcome(position: position, result: result)
                    }
                }
                guard let outcome = await group.next() else { break }
                finished += 1
                if results.indices.contains(outcome.position), results[outcome.position] == nil {
                    results[outcome.position] = outcome.result
                } else {
                    logger.error("batch: a result came back for an unexpected position", metadata: ["batch.position": "\(outcome.position)"])
                }
            }
        }
        return results.map { $0 ?? .failure(.internalError()) }
    }

    /// Records one batch item; never throws.
    static func record(
        _ item: Result<UsageRequest, APIError>, recorder: UsageRecorder, tenant: String, logger: Logger
    ) async -> BatchResultItem {
        switch item {
        case .failure(let error):
            return .failure(error)
        case .success(let request):
            do {
                let response = try await recorder.record(request, tenant: tenant, logger: logger)
                return .success(response)
            } catch {
                return .failure(error)
            }
        }
    }

    @Sendable func usage(_ request: Request, context: QuotaRequestContext) async throws -> Response {
        let tenant = try await dependencies.authorizedTenant(request, context, scope: .usageRead)
        let user = try context.nameParameter("user")
        let cycleID = try Self.cycleParameter(request)
        let usage: UserUsage
        let now = await dependencies.repository.currentTime()
        do {
            usage = try await dependencies.repository.usage(tenant: tenant, user: user, cycleID: cycleID, now: now)
        } catch {
            throw APIError(error)
        }
        // The forecast extrapolates to Redis's time, the clock every other decision uses.
        return try JSONResponse.make(value: UserUsageBody(usage, now: now))
    }


    /// `?cycle=current` (or absent) → nil; `?cycle=yyyy-MM-dd` → that id.
    package static func cycleParameter(_ request: Request) throws(APIError) -> String? {
        guard let value = request.uri.queryParameters.get("cycle"), !value.isEmpty, value != "current" else { return nil }
        guard value.utf8.count == 10, value.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || $0 == UInt8(ascii: "-") }) else {
            throw APIError.badRequest("cycle must be 'current' or a cycle id (yyyy-MM-dd)")
        }
        return value
    }

    /// The tenant's or a group's state in its cycle (`?cycle=current|<id>`).
    func levelUsage(_ request: Request, _ context: QuotaRequestContext, group: Bool) async throws -> Response {
        let tenant = try await dependencies.authorizedTenant(request, context, scope: .usageRead)
        let subject: QuotaSubject = group ? .group(try context.nameParameter("group")) : .tenant
        let cycleID = try Self.cycleParameter(request)
        let now = await dependencies.repository.currentTime()
        do {
            let usage = try await dependencies.repository.usage(tenant: tenant, subject: subject, cycleID: cycleID, now: now)
            return try JSONResponse.make(value: LevelUsageBody(usage, now: now))
        } catch let error as QuotaError {
            throw APIError(error)
        }
    }
}

extension HTTPField.Name {
    /// `Idempotency-Key` (draft-ietf-httpapi-idempotency-key-header): the client's id for a retried request.
    static let idempotencyKey = HTTPField.Name("Idempotency-Key")!
}
