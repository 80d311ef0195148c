// swift-tools-version: 6.0
// Checks that swift-openapi-generator (from the package mirror) accepts quotad's OpenAPI document and that the
// client and types it generates compile. Built by scripts/openapi_swift_check.sh; not part of the main package.
import PackageDescription

let package = Package(
    name: "OpenAPIClientCheck",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(url: "https://github.com/apple/swift-openapi-generator", exact: "1.14.3"),
        .package(url: "https://github.com/apple/swift-openapi-runtime", exact: "1.13.4"),
    ],
    targets: [
        .executableTarget(
            name: "QuotadClientCheck",
            dependencies: [.product(name: "OpenAPIRuntime", package: "swift-openapi-runtime")],
            plugins: [.plugin(name: "OpenAPIGenerator", package: "swift-openapi-generator")]
        )
    ]
)
