// swift-tools-version:6.2
// quotad — a Redis-backed, multi-user LLM token quota service.
//
// Layers (each imports only the one below it):
//   CHiredis (C shim) → AsyncRedis (client) → TokenAccounting + TokenQuota (domain) → QuotaHTTP (API) → executables
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
        .executable(name: "quota-bench", targets: ["quota-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
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
            swiftSettings: swiftSettings
        ),

        // MARK: Executables
        .executableTarget(
            name: "quota-bench",
            dependencies: [
                "AsyncRedis",
                "RedisTestSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: Test support: a private redis-server per test (also used by the benchmarks)
        .target(
            name: "RedisTestSupport",
            dependencies: [],
            swiftSettings: swiftSettings
        ),

        // MARK: Tests (mirror the layers)
        .testTarget(
            name: "AsyncRedisTests",
            dependencies: ["AsyncRedis", "RedisTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TokenAccountingTests",
            dependencies: ["TokenAccounting"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TokenQuotaTests",
            dependencies: ["TokenQuota", "AsyncRedis", "RedisTestSupport"],
            swiftSettings: swiftSettings
        ),
    ]
)
