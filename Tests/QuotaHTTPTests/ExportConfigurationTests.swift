import Foundation
import QuotaExport
@testable import QuotaHTTP
@testable import QuotadServer
import Testing

/// `export.influxdb.*`: the combinations checked at start, and the exporter configuration built from them.
@Suite("Export configuration")
struct ExportConfigurationTests {
    private func load(_ environment: [String: String]) throws(ConfigurationError) -> QuotadConfiguration {
        // No file: the defaults (the working directory's config/quotad.yaml must not leak in) plus `environment`.
        var configuration = QuotadConfiguration()
        try configuration.apply(environment: environment)
        try configuration.validate()
        return configuration
    }

    private func error(_ environment: [String: String], sourceLocation: SourceLocation = #_sourceLocation) -> ConfigurationError? {
        #expect(throws: ConfigurationError.self, sourceLocation: sourceLocation) { _ = try load(environment) }
    }

    @Test("no URL: export off, nothing else checked")
    func off() throws {
        let configuration = try load(["QUOTAD_EXPORT_INFLUXDB_ORG": "o"])
        #expect(configuration.influxExportConfiguration(consumerName: "c") == nil)
    }

    @Test("a URL alone names both ways to complete it")
    func urlAlone() {
        let error = error(["QUOTAD_EXPORT_INFLUXDB_URL": "http://127.0.0.1:8086"])
        #expect(error?.message.contains("QUOTAD_EXPORT_INFLUXDB_DATABASE") == true)
        #expect(error?.message.contains("QUOTAD_EXPORT_INFLUXDB_ORG") == true)
    }

    @Test("2.x needs org, bucket and token; the error names what is missing")
    func partialV2() {
        let error = error(["QUOTAD_EXPORT_INFLUXDB_URL": "http://h:8086", "QUOTAD_EXPORT_INFLUXDB_ORG": "o", "QUOTAD_EXPORT_INFLUXDB_BUCKET": "b"])
        #expect(error?.key == "export.influxdb.token")
        #expect(error?.message.contains("missing export.influxdb.token (QUOTAD_EXPORT_INFLUXDB_TOKEN)") == true)
    }

    @Test("1.x and 2.x settings together are refused")
    func both() {
        let error = error(["QUOTAD_EXPORT_INFLUXDB_URL": "http://h:8086", "QUOTAD_EXPORT_INFLUXDB_DATABASE": "q", "QUOTAD_EXPORT_INFLUXDB_TOKEN": "t"])
        #expect(error?.message.contains("not both") == true)
    }

    @Test("the URL must be http(s) with a host; a retention policy needs a database")
    func urlAndRetentionPolicy() {
        #expect(error(["QUOTAD_EXPORT_INFLUXDB_URL": "localhost:8086", "QUOTAD_EXPORT_INFLUXDB_DATABASE": "q"])?.key == "export.influxdb.url")
        #expect(error(["QUOTAD_EXPORT_INFLUXDB_URL": "ftp://h", "QUOTAD_EXPORT_INFLUXDB_DATABASE": "q"])?.key == "export.influxdb.url")
        let rp = error([
            "QUOTAD_EXPORT_INFLUXDB_URL": "http://h:8086", "QUOTAD_EXPORT_INFLUXDB_ORG": "o", "QUOTAD_EXPORT_INFLUXDB_BUCKET": "b",
            "QUOTAD_EXPORT_INFLUXDB_TOKEN": "t", "QUOTAD_EXPORT_INFLUXDB_RETENTION_POLICY": "r",
        ])
        #expect(rp?.key == "export.influxdb.retention_policy")
    }

    @Test("valid 1.x and 2.x settings become the exporter's target")
    func targets() throws {
        let v1 = try load([
            "QUOTAD_EXPORT_INFLUXDB_URL": "http://h:8086", "QUOTAD_EXPORT_INFLUXDB_DATABASE": "q",
            "QUOTAD_EXPORT_INFLUXDB_RETENTION_POLICY": "r", "QUOTAD_EXPORT_INFLUXDB_BATCH_SIZE": "50",
        ]).influxExportConfiguration(consumerName: "c")
        #expect(v1?.target.writeURL == "http://h:8086/write?db=q&rp=r&precision=ns")
        #expect(v1?.batchSize == 50 && v1?.consumerName == "c")
        let v2 = try load([
            "QUOTAD_EXPORT_INFLUXDB_URL": "http://h:8086", "QUOTAD_EXPORT_INFLUXDB_ORG": "o", "QUOTAD_EXPORT_INFLUXDB_BUCKET": "b",
            "QUOTAD_EXPORT_INFLUXDB_TOKEN": "t",
        ]).influxExportConfiguration(consumerName: "c")
        #expect(v2?.target.api == .v2(org: "o", bucket: "b", token: "t"))
    }
}
