// swift-tools-version:6.2
// quotad — a Redis-backed, multi-user LLM token quota service.
//
// Layers (each imports only the one below it):
//   CHiredis (C shim) → AsyncRedis (client) → TokenAccounting + TokenQuota (domain)
//   → QuotaStores (keys, settings, sessions) + QuotaAlerts + QuotaExport (services fed by the domain's streams)
//   → QuotaHTTP (routing, controllers, coding, middleware; no Redis client) → QuotaDashboard (pages, Mustache)
//     + QuotaGateway (the OpenAI/Anthropic-compatible proxy that reserves, forwards and commits)
//   → QuotadServer (configuration, Redis connection, lifecycle, composition) → executables
// scripts/check_layers.py checks every target's imports against this picture.
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "quotad",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "AsyncRedis", targets: ["AsyncRedis"]),
        .library(name: "TokenAccounting", targets: ["TokenAccounting"]),
        .library(name: "TokenQuota", targets: ["TokenQuota"]),
        .library(name: "QuotaAlerts", targets: ["QuotaAlerts"]),
        .library(name: "QuotaExport", targets: ["QuotaExport"]),
        .library(name: "QuotaStores", targets: ["QuotaStores"]),
        .library(name: "QuotaHTTP", targets: ["QuotaHTTP"]),
        .library(name: "QuotaDashboard", targets: ["QuotaDashboard"]),
        .library(name: "QuotaGateway", targets: ["QuotaGateway"]),
        .library(name: "QuotadServer", targets: ["QuotadServer"]),
        .executable(name: "quotad", targets: ["quotad"]),
        .executable(name: "quota-bench", targets: ["quota-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        // The HTTP load generator of quota-bench; the HTTP types of async-http-client's callers.
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        // TLS to Redis (rediss://); already in the graph through async-http-client.
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        // quota-bench only: its latency histogram.
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
    ],
    targets: [
        // MARK: C shim
        .systemLibrary(
            name: "CHiredis",
            pkgConfig: "hiredis",
            providers: [.apt(["libhiredis-dev"]), .brew(["hiredis"])]
        ),

        // MARK: Async Redis client
        .target(
            name: "AsyncRedis",
            dependencies: [
                "CHiredis",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: Quota domain
        // Pure values and rules: provider usage parsers, pricing, billing cycles, estimation.
        .target(
            name: "TokenAccounting",
            dependencies: [
                .product(name: "Yams", package: "Yams"),
            ],
            // The default price list, compiled into the binary (no resource bundle to ship beside it).
            // config/pricing.yaml is a symbolic link to this file.
            resources: [.embedInCode("Resources/pricing.yaml")],
            swiftSettings: swiftSettings
        ),
        // The Redis-backed repository (atomic Lua scripts) and the LLM callback handlers.
        .target(
            name: "TokenQuota",
            dependencies: [
                "AsyncRedis",
                "TokenAccounting",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            // The Lua scripts, compiled into the binary.
            resources: [
                .embedInCode("Lua/common.lua"), .embedInCode("Lua/levels.lua"), .embedInCode("Lua/record.lua"),
                .embedInCode("Lua/record_rows.lua"), .embedInCode("Lua/record_bounds.lua"), .embedInCode("Lua/record_thresholds.lua"),
                .embedInCode("Lua/record_events.lua"),
                .embedInCode("Lua/reserve.lua"), .embedInCode("Lua/extend.lua"), .embedInCode("Lua/release.lua"), .embedInCode("Lua/read.lua"),
                .embedInCode("Lua/replace_quota.lua"),
                .embedInCode("Lua/quota_epoch.lua"), .embedInCode("Lua/context.lua"),
                .embedInCode("Lua/replace_set.lua"), .embedInCode("Lua/reset_usage.lua"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: Alerts and export (services beside the domain, fed by its Redis streams)
        // Webhook endpoints, the alert outbox consumer and signed, retried deliveries.
        .target(
            name: "QuotaAlerts",
            dependencies: [
                "AsyncRedis",
                "TokenQuota",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            // The Lua scripts of registration and delivery, compiled into the binary.
            resources: [
                .embedInCode("Lua/clock.lua"), .embedInCode("Lua/register.lua"), .embedInCode("Lua/fan_out.lua"),
                .embedInCode("Lua/claim.lua"), .embedInCode("Lua/complete.lua"), .embedInCode("Lua/retry.lua"),
            ],
            swiftSettings: swiftSettings
        ),
        // Every recorded event to InfluxDB (line protocol), from the tenants' event streams.
        .target(
            name: "QuotaExport",
            dependencies: [
                "AsyncRedis",
                "TokenQuota",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            // The exporter's read script, compiled into the binary.
            resources: [.embedInCode("Lua/read_new.lua")],
            swiftSettings: swiftSettings
        ),

        // MARK: Stores (quotad's own Redis state beside the quota data)
        // Tenant keys, the metrics switches and their poller, dashboard sessions, alert and tenant reads, PING.
        .target(
            name: "QuotaStores",
            dependencies: [
                "AsyncRedis",
                "TokenQuota",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: HTTP API
        .target(
            name: "QuotaHTTP",
            dependencies: [
                "TokenAccounting",
                "TokenQuota",
                "QuotaStores",
                "QuotaAlerts",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            // The OpenAPI document, served at GET /openapi.yaml and read by the API tests' tools.
            resources: [.copy("OpenAPI/openapi.yaml")],
            swiftSettings: swiftSettings
        ),

        // MARK: Dashboard (server-rendered pages over the HTTP API's controllers)
        .target(
            name: "QuotaDashboard",
            dependencies: [
                "TokenAccounting",
                "TokenQuota",
                "QuotaStores",
                "QuotaAlerts",
                "QuotaHTTP",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Logging", package: "swift-log"),
            ],
            // The templates and static assets, compiled into the binary.
            resources: [
                .embedInCode("Templates/header.mustache"), .embedInCode("Templates/footer.mustache"), .embedInCode("Templates/chart.mustache"),
                .embedInCode("Templates/meter.mustache"), .embedInCode("Templates/alerts_list.mustache"), .embedInCode("Templates/quota_form.mustache"),
                .embedInCode("Templates/pager.mustache"), .embedInCode("Templates/login.mustache"), .embedInCode("Templates/error.mustache"),
                .embedInCode("Templates/tenants.mustache"), .embedInCode("Templates/overview.mustache"), .embedInCode("Templates/users.mustache"),
                .embedInCode("Templates/user.mustache"), .embedInCode("Templates/alerts.mustache"), .embedInCode("Templates/settings.mustache"),
                .embedInCode("Templates/reports.mustache"),
                .embedInCode("Static/dashboard.css"), .embedInCode("Static/dashboard.js"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: Gateway (an OpenAI- and Anthropic-compatible proxy over the HTTP API's reservations and intake)
        .target(
            name: "QuotaGateway",
            dependencies: [
                "TokenAccounting",
                "TokenQuota",
                "QuotaStores",
                "QuotaHTTP",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: Server composition
        // Configuration (defaults, YAML, environment), the Redis connection (embedded, URL, Cluster, Sentinel),
        // the schema check, lifecycle services, and the application built from them.
        .target(
            name: "QuotadServer",
            dependencies: [
                "AsyncRedis",
                "EmbeddedRedis",
                "TokenAccounting",
                "TokenQuota",
                "QuotaStores",
                "QuotaAlerts",
                "QuotaExport",
                "QuotaHTTP",
                "QuotaDashboard",
                "QuotaGateway",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: Executables
        .executableTarget(
            name: "quotad",
            dependencies: [
                "QuotadServer",
                "QuotaHTTP",
                "AsyncRedis",
                "EmbeddedRedis",
                "TokenQuota",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "quota-bench",
            dependencies: [
                "AsyncRedis",
                "TokenQuota",
                "EmbeddedRedis",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: A private redis-server child process (embedded mode, tests, benchmarks)
        .target(
            name: "EmbeddedRedis",
            dependencies: ["CHiredis"],
            swiftSettings: swiftSettings
        ),

        // MARK: Tests (mirror the layers)
        .testTarget(
            name: "AsyncRedisTests",
            dependencies: [
                "AsyncRedis", "EmbeddedRedis",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TokenAccountingTests",
            dependencies: ["TokenAccounting"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TokenQuotaTests",
            dependencies: ["TokenQuota", "AsyncRedis", "EmbeddedRedis"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "QuotaAlertsTests",
            dependencies: [
                "QuotaAlerts", "AsyncRedis", "TokenQuota", "EmbeddedRedis",
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "QuotaExportTests",
            dependencies: ["QuotaExport", "AsyncRedis", "TokenQuota", "EmbeddedRedis"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "QuotaHTTPTests",
            dependencies: [
                "QuotaHTTP", "QuotaDashboard", "QuotadServer", "QuotaStores", "AsyncRedis", "TokenQuota", "TokenAccounting", "QuotaAlerts",
                "EmbeddedRedis",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "QuotaGatewayTests",
            dependencies: ["QuotaGateway", "QuotaHTTP", "TokenQuota", "TokenAccounting", .product(name: "Hummingbird", package: "hummingbird")],
            swiftSettings: swiftSettings
        ),
    ]
)

// MARK: Fuzzing (scripts/fuzz.sh only)
// The libFuzzer binary of the parsers of outside bytes. Declared only when QUOTAD_FUZZ=1, so that the normal
// builds (`swift build --build-tests`, the release binary) never see an executable without `main`: libFuzzer
// supplies it when the build adds `-sanitize=fuzzer`.
if Context.environment["QUOTAD_FUZZ"] == "1" {
    package.targets.append(
        .executableTarget(
            name: "QuotadFuzz",
            dependencies: [
                "QuotaHTTP", "QuotaGateway", "TokenQuota", "TokenAccounting", "AsyncRedis",
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Fuzz/QuotadFuzz",
            swiftSettings: swiftSettings
        )
    )
    package.products.append(.executable(name: "QuotadFuzz", targets: ["QuotadFuzz"]))
}
