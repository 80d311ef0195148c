import AsyncRedis
import CoreMetrics
import Foundation
import Logging

extension InfluxExporter {
    /// How often an acknowledgement is attempted before the entries are left pending (they are then sent
    /// again later: harmless, InfluxDB overwrites identical points).
    static let acknowledgeAttempts = 5

    /// Writes the batch until InfluxDB stored it, then acknowledges it.
    func deliver(_ batch: ExportBatch) async {
        await deliver(batch.events)
    }

    /// Writes `events` until InfluxDB stored them, then acknowledges them.
    ///
    /// - Failed writes are retried with backoff for as long as it takes; at shutdown, after the write in
    ///   flight, the events are left pending (the next run or another instance sends them).
    /// - When InfluxDB refuses points as bad (400/422), it stored the others; the halves are written again
    ///   (identical points overwrite themselves) until each refused point is alone: that point is logged with
    ///   its line, counted as rejected and acknowledged, so it never blocks the stream.
    func deliver(_ events: [ExportEntry]) async {
        var body: [UInt8] = []
        body.reserveCapacity(events.count * 256)
        for event in events { encoder.append(event.point, to: &body) }
        var backoff = ExportBackoff(initial: configuration.initialBackoff, maximum: configuration.maximumBackoff)
        while true {
            switch await writer.write(body) {
            case .written:
                if backoff.attempt > 0 {
                    logger.info("influxdb writes succeed again", metadata: ["export.failed_attempts": "\(backoff.attempt)"])
                }
                metrics.points.increment(by: events.count)
                metrics.lastSuccess.record(Date().timeIntervalSince1970)
                await acknowledge(events)
                return
            case .rejected(let status, _, let message):
                if events.count > 1 {
                    logger.info("influxdb refused points of a batch; writing its halves to find them", metadata: [
                        "http.status": "\(status)", "export.points": "\(events.count)", "influxdb.error": "\(message)",
                    ])
                    let middle = events.count / 2
                    await deliver(Array(events[..<middle]))
                    await deliver(Array(events[middle...]))
                    return
                }
                logger.error("influxdb refused a point as bad; it is acknowledged and not sent again", metadata: [
                    "http.status": "\(status)", "influxdb.error": "\(message)", "export.tenant": "\(events[0].tenant)",
                    "export.entry": "\(events[0].streamID)", "export.line": "\(String(decoding: body.dropLast(), as: UTF8.self))",
                ])
                metrics.rejected.increment()
                await acknowledge(events)
                return
            case .failed(let reason):
                metrics.writeFailures.increment()
                let wait = backoff.next()
                if backoff.attempt == 1 || backoff.attempt % 10 == 0 {
                    logger.warning("influxdb write failed; retrying with backoff", metadata: [
                        "error": "\(reason)", "export.points": "\(events.count)", "export.attempt": "\(backoff.attempt)",
                        "retry.in": "\(wait)",
                    ])
                }
                if isStopping {
                    logger.info("shutting down: leaving unwritten entries pending", metadata: ["export.points": "\(events.count)"])
                    return
                }
                await pauseUnlessStopping(wait)
            }
        }
    }

    /// Acknowledges the entries (XACK per tenant), retrying a failing Redis a few times.
    func acknowledge(_ events: [ExportEntry]) async {
        for (tenant, tenantEvents) in Dictionary(grouping: events, by: \.tenant) {
            let ids = tenantEvents.map(\.streamID)
            var backoff = ExportBackoff(initial: .milliseconds(50), maximum: .seconds(1))
            for attempt in 1...Self.acknowledgeAttempts {
                do {
                    try await streams.acknowledge(tenant: tenant, ids: ids)
                    break
                } catch {
                    if attempt == Self.acknowledgeAttempts {
                        logger.warning("cannot acknowledge exported entries; they will be sent again", metadata: [
                            "export.tenant": "\(tenant)", "export.points": "\(ids.count)", "error": "\(error)",
                        ])
                    } else {
                        try? await Task.sleep(for: backoff.next())
                    }
                }
            }
        }
    }
}
