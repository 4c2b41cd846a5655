// swift-tools-version:6.2
import PackageDescription

/// AgentRuntime: a multi-agent orchestration runtime.
///
/// Library modules (`AgentRuntime`, `Agents`, `Tools`) import Foundation only, plus
/// system libraries (SQLite). Packages are confined to edge modules, one per
/// technology: `NIOTransport` (async-http-client), `PostgresStore` (postgres-nio), `AgentGateway` (Hummingbird,
/// and jwt-kit for signed caller identity), `MCPTools` (the official MCP swift-sdk, whose `Transport` protocol names
/// swift-log's `Logger`: tenants' MCP servers as tools), `MCPServing` (the same SDK: the platform as an MCP server
/// over stdio and on the gateway's `/mcp`) and `agentctl`, the composition root (swift-argument-parser; its line
/// editor wraps the system's libedit), `OTelTracing` (swift-otel and swift-distributed-tracing: the engine's spans
/// exported over OTLP/HTTP). Test targets
/// also use swift-clocks (a clock tests move by hand) and HummingbirdTesting; the gateway's tests generate
/// RSA keys with swift-crypto's CryptoExtras (already built for jwt-kit).
let package = Package(
    name: "AgentRuntime",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "AgentRuntime", targets: ["AgentRuntime"]),
        .library(name: "Agents", targets: ["Agents"]),
        .library(name: "Tools", targets: ["Tools"]),
        .library(name: "AgentGateway", targets: ["AgentGateway"]),
        .library(name: "NIOTransport", targets: ["NIOTransport"]),
        .library(name: "MCPServing", targets: ["MCPServing"]),
        .library(name: "MCPTools", targets: ["MCPTools"]),
        .library(name: "OTelTracing", targets: ["OTelTracing"]),
        .library(name: "AgentRuntimeTesting", targets: ["AgentRuntimeTesting"]),
        .executable(name: "agentctl", targets: ["agentctl"]),
        .executable(name: "agentruntime-bench", targets: ["Benchmarks"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/pointfreeco/swift-clocks", from: "1.1.1"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/vapor/jwt-kit", from: "5.7.1"),
        .package(url: "https://github.com/apple/swift-crypto", "4.1.0"..<"6.0.0"),
        .package(url: "https://github.com/modelcontextprotocol/swift-sdk", exact: "0.12.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        // OpenTelemetry: only the OTLP/HTTP exporter (the gRPC one would build grpc-swift as well).
        .package(url: "https://github.com/swift-otel/swift-otel", from: "1.6.0", traits: ["OTLPHTTP"]),
        .package(url: "https://github.com/apple/swift-distributed-tracing", from: "1.7.3"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CSQLite", path: "Sources/CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(
            name: "CEditLine", path: "Sources/CEditLine", pkgConfig: "libedit", providers: [.apt(["libedit-dev"])]),
        .target(name: "AgentRuntime", dependencies: ["CSQLite"]),
        .target(name: "Agents", dependencies: ["AgentRuntime"]),
        .target(name: "Tools", dependencies: ["AgentRuntime"]),
        .target(
            name: "AgentGateway",
            dependencies: [
                "AgentRuntime", "Agents", "Tools", .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "OTelTracing",
            dependencies: [
                "AgentRuntime", .product(name: "OTel", package: "swift-otel"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "NIOTransport",
            dependencies: [
                "AgentRuntime", .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        .target(
            name: "MCPServing",
            dependencies: [
                "AgentRuntime", "Agents", "AgentGateway", "MCPTools", .product(name: "MCP", package: "swift-sdk"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "MCPTools",
            dependencies: [
                "AgentRuntime", "Tools", .product(name: "MCP", package: "swift-sdk"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        .target(
            name: "PostgresStore",
            dependencies: ["AgentRuntime", .product(name: "PostgresNIO", package: "postgres-nio")]),
        .target(
            name: "AgentRuntimeTesting",
            dependencies: ["AgentRuntime", "CSQLite", .product(name: "Clocks", package: "swift-clocks")]),
        .executableTarget(
            name: "agentctl",
            dependencies: [
                "AgentRuntime", "Agents", "Tools", "AgentGateway", "NIOTransport", "PostgresStore", "MCPTools",
                "MCPServing", "CEditLine", "OTelTracing",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                // YAML OpenAPI documents for `agentctl connectors import openapi` (the core stays Foundation-only).
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        .executableTarget(
            name: "Benchmarks",
            dependencies: [
                "AgentRuntime", "Agents", "Tools", "AgentGateway", "NIOTransport", "AgentRuntimeTesting", "OTelTracing",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        .testTarget(
            name: "AgentRuntimeTests",
            dependencies: ["AgentRuntime", "AgentRuntimeTesting", .product(name: "Clocks", package: "swift-clocks")]),
        .testTarget(name: "AgentsTests", dependencies: ["Agents", "AgentRuntime", "Tools", "AgentRuntimeTesting"]),
        .testTarget(
            name: "ToolsTests",
            dependencies: [
                "Tools", "AgentRuntime", "Agents", "NIOTransport", "AgentRuntimeTesting",
                .product(name: "Clocks", package: "swift-clocks"),
            ]),
        .testTarget(
            name: "MCPToolsTests",
            dependencies: [
                "MCPTools", "AgentRuntime", "Agents", "Tools", "AgentRuntimeTesting",
                .product(name: "MCP", package: "swift-sdk"),
            ],
            exclude: ["Resources"]),
        .testTarget(name: "NIOTransportTests", dependencies: ["NIOTransport", "AgentRuntime", "AgentRuntimeTesting"]),
        .testTarget(
            name: "PostgresStoreTests",
            dependencies: [
                "PostgresStore", "AgentRuntime", "AgentRuntimeTesting",
                .product(name: "Clocks", package: "swift-clocks"),
            ]),
        .testTarget(
            name: "agentctlTests", dependencies: ["agentctl", "AgentRuntime", "AgentRuntimeTesting"],
            exclude: ["Resources"]),
        .testTarget(
            name: "AgentGatewayTests",
            dependencies: [
                "AgentGateway", "AgentRuntime", "Agents", "Tools", "AgentRuntimeTesting",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Clocks", package: "swift-clocks"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
