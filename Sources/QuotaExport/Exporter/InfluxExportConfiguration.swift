/// How the exporter reads the tenant streams and writes to InfluxDB.
public struct InfluxExportConfiguration: Sendable {
    /// Where to write.
    public var target: InfluxTarget
    /// The measurement of every point (`export.influxdb.measurement`).
    public var measurement: String
    /// The most points per write (`export.influxdb.batch_size`).
    public var batchSize: Int
    /// The longest a partial batch waits for more points (`export.influxdb.flush_interval_ms`).
    public var flushInterval: Duration
    /// This instance's consumer name in the `export` group; stable across restarts of one instance, so a
    /// restart re-sends its own unacknowledged entries at once.
    public var consumerName: String
    /// The consumer group on every tenant stream.
    public var groupName = "export"
    /// Entries pending this long at another (or a dead) consumer are claimed (XAUTOCLAIM).
    public var claimIdle: Duration = .seconds(60)
    /// How often the tenant list (`quotad:tenants`) and the lag are refreshed.
    public var tenantRefreshInterval: Duration = .seconds(5)
    /// The longest one write may take.
    public var writeTimeout: Duration = .seconds(10)
    /// The first wait after a failed write.
    public var initialBackoff: Duration = .milliseconds(200)
    /// The longest wait between two attempts of a failed write.
    public var maximumBackoff: Duration = .seconds(30)
    /// The pause when no stream had anything new.
    public var idlePollInterval: Duration = .milliseconds(100)

    /// Creates a configuration; the tuning values have defaults.
    public init(target: InfluxTarget, measurement: String = "llm_usage", batchSize: Int = 500,
                flushInterval: Duration = .seconds(1), consumerName: String) {
        self.target = target
        self.measurement = measurement
        self.batchSize = max(1, batchSize)
        self.flushInterval = flushInterval
        self.consumerName = consumerName
    }
}
