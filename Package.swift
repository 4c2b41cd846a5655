// swift-tools-version:6.2
import PackageDescription

/// AgentRuntime: a multi-agent orchestration runtime.
///
/// Library modules (`AgentRuntime`, `Agents`, `Tools`) import Foundation only.
/// Packages are confined to the edge: `agentctl` (swift-argument-parser) and,
/// once it lands, `AgentGateway` (Hummingbird).
let package = Package(
    name: "AgentRuntime",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "AgentRuntime", targets: ["AgentRuntime"]),
        .library(name: "Agents", targets: ["Agents"]),
        .library(name: "Tools", targets: ["Tools"]),
        .library(name: "AgentGateway", targets: ["AgentGateway"]),
        .library(name: "AgentRuntimeTesting", targets: ["AgentRuntimeTesting"]),
        .executable(name: "agentctl", targets: ["agentctl"]),
        .executable(name: "agentruntime-bench", targets: ["Benchmarks"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .target(name: "AgentRuntime", dependencies: ["CSQLite"]),
        .target(name: "Agents", dependencies: ["AgentRuntime"]),
        .target(name: "Tools", dependencies: ["AgentRuntime"]),
        .target(name: "AgentGateway", dependencies: ["AgentRuntime", "Agents", "Tools"]),
        .target(name: "AgentRuntimeTesting", dependencies: ["AgentRuntime"]),
        .executableTarget(
            name: "agentctl",
            dependencies: [
                "AgentRuntime", "Agents", "Tools",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(name: "Benchmarks", dependencies: ["AgentRuntime", "Agents", "Tools", "AgentRuntimeTesting"]),
        .testTarget(name: "AgentRuntimeTests", dependencies: ["AgentRuntime", "AgentRuntimeTesting"]),
        .testTarget(name: "AgentsTests", dependencies: ["Agents", "AgentRuntime", "Tools", "AgentRuntimeTesting"]),
        .testTarget(name: "ToolsTests", dependencies: ["Tools", "AgentRuntime", "Agents", "AgentRuntimeTesting"]),
        .testTarget(name: "agentctlTests", dependencies: ["agentctl", "AgentRuntime", "AgentRuntimeTesting"]),
    ],
    swiftLanguageModes: [.v6]
)
