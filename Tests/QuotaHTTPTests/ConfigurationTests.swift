import Foundation
@testable import QuotaHTTP
@testable import QuotadServer
import Testing
import TokenQuota

/// The configuration loader: YAML keys and `QUOTAD_*` variables, their types and ranges, and errors that
/// name the key with its full path and its line and column. No Redis needed.
@Suite("Configuration")
struct ConfigurationTests {
    /// Applies a YAML document to the defaults and returns the error it throws.
    private func yamlError(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> ConfigurationError? {
        var configuration = QuotadConfiguration()
        return #expect(throws: ConfigurationError.self, sourceLocation: sourceLocation) {
            try configuration.apply(yaml: text, source: "test.yaml")
        }
    }

    /// Applies environment variables to the defaults and returns the error they throw.
    private func environmentError(_ environment: [String: String], sourceLocation: SourceLocation = #_sourceLocation) -> ConfigurationError? {
        var configuration = QuotadConfiguration()
        return #expect(throws: ConfigurationError.self, sourceLocation: sourceLocation) {
            try configuration.apply(environment: environment)
        }
    }

    // MARK: Unknown keys and YAML syntax

    @Test func unknownKeyIsRejectedWithItsPathLineAndTheKnownKeys() {
        let error = yamlError("""
            http:
              host: 127.0.0.1
              prot: 8080
            """)
        #expect(error?.key == "http.prot")
        #expect(error?.line == 3 && error?.column == 3)
        #expect(error?.message.hasPrefix("unknown key 'http.prot' in test.yaml (line 3, column 3); known keys of 'http': host, port,") == true)
        #expect(error?.message.contains("read_timeout_ms, idle_timeout_ms") == true)
    }

    @Test func unknownNestedAndTopLevelKeysAreRejected() {
        let nested = yamlError("""
            redis:
              embedded:
                data_dri: /tmp/x
            """)
        #expect(nested?.key == "redis.embedded.data_dri")
        #expect(nested?.line == 3 && nested?.column == 5)
        #expect(nested?.message.contains("known keys of 'redis.embedded': data_dir, port") == true)

        let topLevel = yamlError("logging:\n  level: info\npricng:\n  file: x.yaml\n")
        #expect(topLevel?.key == "pricng")
        #expect(topLevel?.line == 3 && topLevel?.column == 1)
        #expect(topLevel?.message.contains("known top-level keys: http, redis, auth, pricing, reservations, usage, events, export, webhooks, settings, gateway, logging") == true)
    }

    @Test func yamlSyntaxErrorGivesLineAndColumn() {
        let error = yamlError("""
            http:
              port: 8080
              host: [127.0.0.1
            redis:
              pool_size: 4
            """)
        #expect(error?.line != nil && error?.column != nil)
        if let line = error?.line, let column = error?.column {
            #expect(line >= 3)
            #expect(error?.message.hasPrefix("invalid YAML in test.yaml (line \(line), column \(column)): ") == true)
        }
        #expect(error?.message.contains("\n") == false)
    }

    @Test func duplicateKeyIsRejectedWithItsLine() {
        let error = yamlError("http:\n  port: 8080\n  port: 9090\n")
        #expect(error?.message.contains("duplicate key 'port'") == true)
        #expect(error?.line == 2 || error?.line == 3)
    }

    @Test func wrongTypesNameTheKeyAndTheExpectedType() {
        let integer = yamlError("http:\n  port: eighty\n")
        #expect(integer?.key == "http.port" && integer?.line == 2 && integer?.column == 9)
        #expect(integer?.message == "http.port in test.yaml (line 2, column 9) must be an integer 0…65535 (got 'eighty')")

        let section = yamlError("http: 8080\n")
        #expect(section?.key == "http")
        #expect(section?.message.contains("must be a mapping of keys (host, port,") == true)

        let mapping = yamlError("reservations:\n  fail_open:\n    yes: true\n")
        #expect(mapping?.message.hasPrefix("reservations.fail_open in test.yaml (line 3, column 5) must be true or false, not a mapping") == true)

        let list = yamlError("auth:\n  admin_keys: aaaaaaaaaaaaaaaa\n")
        #expect(list?.key == "auth.admin_keys")
        #expect(list?.message.contains("must be a list of strings") == true)

        let boolean = yamlError("reservations:\n  fail_open: sometimes\n")
        #expect(boolean?.message.contains("reservations.fail_open in test.yaml (line 2, column 14) must be true or false (got 'sometimes')") == true)
    }

    @Test func emptyAndNullValuesKeepTheDefaults() throws {
        var configuration = QuotadConfiguration()
        try configuration.apply(yaml: "# only a comment\n", source: "test.yaml")
        try configuration.apply(yaml: "http:\nredis:\n  url: ~\n  pool_size:\n", source: "test.yaml")
        #expect(configuration.redisPoolSize == QuotadConfiguration().redisPoolSize)
        #expect(configuration.redisURL == nil)
    }

    // MARK: The new keys

    @Test func newKeysAreReadFromYAML() throws {
        var configuration = QuotadConfiguration()
        #expect(configuration.httpReadTimeoutMilliseconds == 30_000)
        #expect(configuration.httpIdleTimeoutMilliseconds == 60_000)
        #expect(configuration.unpricedModels == .reject)
        try configuration.apply(yaml: """
            http:
              read_timeout_ms: 5000
              idle_timeout_ms: 120000
            pricing:
              unpriced_models: allow
            """, source: "test.yaml")
        try configuration.validate()
        #expect(configuration.httpReadTimeoutMilliseconds == 5000)
        #expect(configuration.httpIdleTimeoutMilliseconds == 120_000)
        #expect(configuration.unpricedModels == .allow)
    }

    @Test func newKeysAreReadFromTheEnvironmentOverTheFile() throws {
        var configuration = QuotadConfiguration()
        try configuration.apply(yaml: "http:\n  read_timeout_ms: 5000\npricing:\n  unpriced_models: allow\n", source: "test.yaml")
        try configuration.apply(environment: [
            "QUOTAD_HTTP_READ_TIMEOUT_MS": "100",
            "QUOTAD_HTTP_IDLE_TIMEOUT_MS": " 3600000 ",
            "QUOTAD_PRICING_UNPRICED_MODELS": "REJECT",
        ])
        try configuration.validate()
        #expect(configuration.httpReadTimeoutMilliseconds == 100)
        #expect(configuration.httpIdleTimeoutMilliseconds == 3_600_000)
        #expect(configuration.unpricedModels == .reject)
    }

    @Test(arguments: [
        ("http", "read_timeout_ms", "QUOTAD_HTTP_READ_TIMEOUT_MS", 99, "100…600000"),
        ("http", "read_timeout_ms", "QUOTAD_HTTP_READ_TIMEOUT_MS", 600_001, "100…600000"),
        ("http", "idle_timeout_ms", "QUOTAD_HTTP_IDLE_TIMEOUT_MS", 99, "100…3600000"),
        ("http", "idle_timeout_ms", "QUOTAD_HTTP_IDLE_TIMEOUT_MS", 3_600_001, "100…3600000"),
    ])
    func outOfRangeValuesAreRejected(section: String, key: String, variable: String, value: Int, range: String) {
        let fromFile = yamlError("\(section):\n  \(key): \(value)\n")
        #expect(fromFile?.key == "\(section).\(key)")
        #expect(fromFile?.message == "\(section).\(key) in test.yaml (line 2, column \(key.count + 5)) must be \(range) (got \(value))")

        let fromEnvironment = environmentError([variable: "\(value)"])
        #expect(fromEnvironment?.message == "\(variable) (\(section).\(key)) must be \(range) (got \(value))")

        let notANumber = environmentError([variable: "30s"])
        #expect(notANumber?.message.contains("must be an integer \(range) (got '30s')") == true)
    }

    @Test func valuesSetInCodeAreValidatedToo() {
        var configuration = QuotadConfiguration()
        configuration.httpIdleTimeoutMilliseconds = 50
        let error = #expect(throws: ConfigurationError.self) { try configuration.validate() }
        #expect(error?.message == "http.idle_timeout_ms (QUOTAD_HTTP_IDLE_TIMEOUT_MS) must be 100…3600000 (got 50)")
    }

    @Test func unknownUnpricedModelPolicyListsTheValidValues() {
        let fromFile = yamlError("pricing:\n  unpriced_models: maybe\n")
        #expect(fromFile?.message == "pricing.unpriced_models in test.yaml (line 2, column 20) must be one of reject, allow (got 'maybe')")
        let fromEnvironment = environmentError(["QUOTAD_PRICING_UNPRICED_MODELS": "maybe"])
        #expect(fromEnvironment?.message == "QUOTAD_PRICING_UNPRICED_MODELS (pricing.unpriced_models) must be one of reject, allow (got 'maybe')")
    }

    // MARK: The environment

    @Test func unknownEnvironmentVariablesAreNotErrorsButNearMissesWarn() throws {
        let environment = ["QUOTAD_HTTP_PROT": "9000", "QUOTAD_BIN": "/usr/bin/quotad", "QUOTAD_PORT": "8080"]
        var configuration = QuotadConfiguration()
        try configuration.apply(environment: environment)
        #expect(configuration.httpPort == 8080)
        let warnings = QuotadConfiguration.environmentWarnings(environment)
        #expect(warnings == ["QUOTAD_HTTP_PROT is not a quotad setting and is ignored; did you mean QUOTAD_HTTP_PORT?"])
    }

    /// `QUOTAD_CONFIG=/dev/null` is an empty configuration (the defaults), not a read error.
    @Test func devNullIsAnEmptyConfiguration() throws {
        let loaded = try QuotadConfiguration.load(path: nil, environment: ["QUOTAD_CONFIG": "/dev/null"])
        #expect(loaded.httpPort == QuotadConfiguration().httpPort)
    }

    /// An initial webhook backoff above the maximum is refused instead of silently capped.
    @Test func webhookInitialBackoffAboveTheMaximumIsRefused() throws {
        #expect(throws: ConfigurationError.self) {
            try QuotadConfiguration.load(
                path: "/dev/null", environment: ["QUOTAD_WEBHOOKS_INITIAL_BACKOFF_MS": "60000", "QUOTAD_WEBHOOKS_MAX_BACKOFF_MS": "1000"]
            )
        }
    }

    // MARK: The shipped file

    @Test func shippedFileDocumentsAndSetsEveryKey() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../config/quotad.yaml").path
        let text = try String(contentsOfFile: path, encoding: .utf8)
        for key in ConfigurationKey.all {
            let row = text.split(separator: "\n").first { $0.hasPrefix("# | \(key.path) ") || $0.hasPrefix("# | \(key.path)|") }
            #expect(row?.contains(key.environmentVariable) == true, "\(key.path) is missing from the table in config/quotad.yaml")
            let leaf = key.path.split(separator: ".").last.map(String.init) ?? key.path
            let depth = String(repeating: "  ", count: key.path.split(separator: ".").count - 1)
            #expect(text.contains("\n\(depth)\(leaf):"), "\(key.path) is not set in config/quotad.yaml")
        }
        let loaded = try QuotadConfiguration.load(path: path, environment: [:])
        let defaults = QuotadConfiguration()
        #expect(loaded.httpReadTimeoutMilliseconds == defaults.httpReadTimeoutMilliseconds)
        #expect(loaded.httpIdleTimeoutMilliseconds == defaults.httpIdleTimeoutMilliseconds)
        #expect(loaded.unpricedModels == defaults.unpricedModels)
    }

    @Test func eventLoopsLeaveACoreToALocalRedisUnlessSet() throws {
        var configuration = QuotadConfiguration()
        #expect(configuration.effectiveEventLoops(cores: 8) == 7)  // embedded Redis
        #expect(configuration.effectiveEventLoops(cores: 1) == 1)
        for local in ["redis://127.0.0.1:6379", "redis://localhost/2", "unix:///run/redis.sock", "redis://[::1]:6379"] {
            configuration.redisURL = local
            #expect(configuration.effectiveEventLoops(cores: 2) == 1, "\(local)")
        }
        configuration.redisURL = "redis://redis.internal:6379"
        #expect(configuration.effectiveEventLoops(cores: 2) == 2)
        try configuration.apply(environment: ["QUOTAD_EVENT_LOOPS": "3"])
        #expect(configuration.effectiveEventLoops(cores: 2) == 3)
        #expect(environmentError(["QUOTAD_EVENT_LOOPS": "1025"])?.message == "QUOTAD_EVENT_LOOPS (http.event_loops) must be 0…1024 (got 1025)")
    }

    @Test func versionIsSemantic() {
        let parts = QuotadVersion.string.split(separator: ".")
        #expect(parts.count == 3 && parts.allSatisfy { Int($0) != nil })
    }
}
