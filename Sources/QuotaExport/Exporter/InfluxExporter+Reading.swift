import AsyncRedis
import CoreMetrics
import Logging

extension InfluxExporter {
    /// Sets `quotad_export_lag_entries` every ``InfluxExportConfiguration/tenantRefreshInterval`` until
    /// shutdown (a Redis failure keeps the last value).
    func reportLag() async {
        while !isStopping {
            do {
                var backlog = 0
                for tenant in try await streams.tenants() { backlog += try await streams.backlog(tenant: tenant) }
                metrics.lag.record(backlog)
            } catch {
                logger.debug("cannot measure the export lag", metadata: ["error": "\(error)"])
            }
            await pauseUnlessStopping(configuration.tenantRefreshInterval)
        }
    }

    /// Re-reads the tenant list when due.
    func refreshIfDue(_ state: inout ExportRunState) async {
        guard ContinuousClock.now >= state.nextRefresh else { return }
        state.nextRefresh = .now + configuration.tenantRefreshInterval
        do {
            let tenants = try await streams.tenants()
            for tenant in tenants where state.readStates[tenant] == nil {
                state.readStates[tenant] = TenantReadState()
                logger.debug("exporting tenant", metadata: ["export.tenant": "\(tenant)"])
            }
            state.tenants = tenants
            redisRecovered(&state)
        } catch {
            redisFailed(error, &state)
        }
    }

    /// Reads up to `count` entries of one tenant: its own pending entries first (after a restart), then
    /// entries claimed from idle consumers, then new entries.
    func read(tenant: String, count: Int, state: inout ExportRunState) async -> [ExportEntry] {
        var tenantState = state.readStates[tenant] ?? TenantReadState()
        defer { state.readStates[tenant] = tenantState }
        do {
            if !tenantState.groupReady {
                try await streams.ensureGroup(tenant: tenant)
                tenantState.groupReady = true
            }
            if let cursor = tenantState.pendingCursor {
                let pending = try await streams.readPending(tenant: tenant, after: cursor, count: count)
                tenantState.pendingCursor = pending.lastID
                if !pending.deleted.isEmpty {
                    try await streams.acknowledge(tenant: tenant, ids: pending.deleted)
                    countDropped(pending.deleted.count, tenant: tenant, reason: "trimmed while pending")
                }
                if !pending.events.isEmpty {
                    logger.info("re-sending entries left unacknowledged by the previous run", metadata: [
                        "export.tenant": "\(tenant)", "export.points": "\(pending.events.count)",
                    ])
                    redisRecovered(&state)
                    return pending.events
                }
                if pending.lastID != nil { return [] }
            }
            if ContinuousClock.now >= tenantState.nextClaim {
                let claimed = try await streams.claim(
                    tenant: tenant, cursor: tenantState.claimCursor, count: count, idle: configuration.claimIdle
                )
                tenantState.claimCursor = claimed.next
                if claimed.next == "0-0" { tenantState.nextClaim = .now + configuration.claimIdle / 2 }
                if !claimed.deleted.isEmpty {
                    countDropped(claimed.deleted.count, tenant: tenant, reason: "trimmed while pending")
                }
                if !claimed.events.isEmpty {
                    logger.info("claimed entries idle at another consumer", metadata: [
                        "export.tenant": "\(tenant)", "export.points": "\(claimed.events.count)",
                    ])
                    redisRecovered(&state)
                    return claimed.events
                }
            }
            let fresh = try await streams.readNew(tenant: tenant, count: count)
            if fresh.dropped > 0 { countDropped(fresh.dropped, tenant: tenant, reason: "trimmed before export") }
            redisRecovered(&state)
            return fresh.events
        } catch {
            if error.code == .serverError { tenantState.groupReady = false }
            redisFailed(error, &state)
            return []
        }
    }

    /// Counts and logs events that left the stream before they were exported.
    func countDropped(_ count: Int, tenant: String, reason: String) {
        metrics.dropped.increment(by: count)
        logger.warning("recorded events were trimmed from the stream before export (export.max_backlog or events.retention_hours)", metadata: [
            "export.tenant": "\(tenant)", "export.dropped": "\(count)", "export.reason": "\(reason)",
        ])
    }

    func redisFailed(_ error: any Error, _ state: inout ExportRunState) {
        guard !state.redisFailing else { return }
        state.redisFailing = true
        logger.warning("export cannot read from Redis; retrying", metadata: ["error": "\(error)"])
    }

    func redisRecovered(_ state: inout ExportRunState) {
        guard state.redisFailing else { return }
        state.redisFailing = false
        logger.info("export reads from Redis again")
    }
}
