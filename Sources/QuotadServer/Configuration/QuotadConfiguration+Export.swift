import Foundation
public import QuotaExport

extension QuotadConfiguration {
    /// Checks the `export.influxdb.*` combination: a URL needs either a database (InfluxDB 1.x) or an
    /// organisation, a bucket and a token (2.x), not both; without a URL nothing else is checked.
    public func validateExport() throws(ConfigurationError) {
        guard let url = influxURL else { return }
        let key = "export.influxdb.url"
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
              scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty,
              components.query == nil
        else {
            throw ConfigurationError(
                "export.influxdb.url (QUOTAD_EXPORT_INFLUXDB_URL) must be an http:// or https:// URL with a host and no query (got \(Self.redactURL(url)))",
                key: key
            )
        }
        let v2 = [("org", influxOrg), ("bucket", influxBucket), ("token", influxToken)]
        let v2Given = v2.filter { $0.1 != nil }.map(\.0)
        if influxDatabase != nil, !v2Given.isEmpty {
            throw ConfigurationError(
                "export.influxdb: set either database (InfluxDB 1.x) or org, bucket and token (InfluxDB 2.x), not both (got database and \(v2Given.joined(separator: ", ")))",
                key: "export.influxdb.database"
            )
        }
        if influxDatabase == nil {
            let missing = v2.filter { $0.1 == nil }.map(\.0)
            guard v2Given.isEmpty || missing.isEmpty else {
                throw ConfigurationError(
                    "export.influxdb: InfluxDB 2.x needs org, bucket and token; missing \(missing.map { "export.influxdb.\($0) (QUOTAD_EXPORT_INFLUXDB_\($0.uppercased()))" }.joined(separator: ", "))",
                    key: "export.influxdb.\(missing[0])"
                )
            }
            guard !v2Given.isEmpty else {
                throw ConfigurationError(
                    "export.influxdb.url is set: also set export.influxdb.database (QUOTAD_EXPORT_INFLUXDB_DATABASE) for InfluxDB 1.x, "
                        + "or export.influxdb.org, .bucket and .token (QUOTAD_EXPORT_INFLUXDB_ORG, _BUCKET, _TOKEN) for InfluxDB 2.x",
                    key: key
                )
            }
        }
        if influxRetentionPolicy != nil, influxDatabase == nil {
            throw ConfigurationError(
                "export.influxdb.retention_policy applies to InfluxDB 1.x only: set export.influxdb.database too",
                key: "export.influxdb.retention_policy"
            )
        }
        guard !influxMeasurement.isEmpty else {
            throw ConfigurationError("export.influxdb.measurement (QUOTAD_EXPORT_INFLUXDB_MEASUREMENT) must not be empty", key: "export.influxdb.measurement")
        }
    }

    /// The exporter's configuration, or nil when export is off (no `export.influxdb.url`). Call after
    /// ``validateExport()``.
    ///
    /// - Parameter consumerName: this instance's consumer name in the `export` group.
    public func influxExportConfiguration(consumerName: String) -> InfluxExportConfiguration? {
        guard let url = influxURL else { return nil }
        let api: InfluxTarget.API
        if let database = influxDatabase {
            api = .v1(database: database, retentionPolicy: influxRetentionPolicy)
        } else {
            api = .v2(org: influxOrg ?? "", bucket: influxBucket ?? "", token: influxToken ?? "")
        }
        return InfluxExportConfiguration(
            target: InfluxTarget(baseURL: url, api: api), measurement: influxMeasurement, batchSize: influxBatchSize,
            flushInterval: .milliseconds(influxFlushIntervalMilliseconds), consumerName: consumerName
        )
    }

    /// The default consumer name of this instance: host name and HTTP port, stable across restarts and
    /// distinct for instances sharing a host.
    public var exportConsumerName: String {
        "\(ProcessInfo.processInfo.hostName):\(httpPort)"
    }
}
