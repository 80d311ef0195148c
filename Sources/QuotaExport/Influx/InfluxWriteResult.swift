/// How one write of a batch went.
public enum InfluxWriteResult: Sendable, Hashable {
    /// 2xx: every point is stored.
    case written
    /// InfluxDB refused some or all points as bad (400, or 422 on 2.x): it stored the others, and sending
    /// the same points again would be refused again. `rejected` is how many points it says it dropped
    /// (at least 1; InfluxDB 1.x reports parse failures with `dropped=0`).
    case rejected(status: Int, rejected: Int, message: String)
    /// Anything else (connection refused, timeout, 5xx, 401, 404, 413, 429 …): nothing is known to be
    /// stored; the batch is sent again.
    case failed(reason: String)
}
