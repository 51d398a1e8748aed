// swift-tools-version:5.9
// moesim — a performance simulator for Mixture-of-Experts routing on GPU clusters.
// Foundation only: no package dependencies.
import PackageDescription

let package = Package(
    name: "moesim",
    products: [
        .library(name: "MoESimCore", targets: ["MoESimCore"]),
        .executable(name: "moesim", targets: ["moesim"]),
    ],
    targets: [
        // The core is optimised even in debug builds: its vectorised softmax runs through generic,
        // unspecialised SIMD code at -Onone, ~50x slower, which made `swift test` crawl.
        .target(name: "MoESimCore", path: "Sources/MoESimCore",
                swiftSettings: [.unsafeFlags(["-O"], .when(configuration: .debug))]),
        .executableTarget(name: "moesim", dependencies: ["MoESimCore"], path: "Sources/moesim"),
        .testTarget(name: "MoESimCoreTests", dependencies: ["MoESimCore"], path: "Tests/MoESimCoreTests"),
        // Depends on the executable so that `swift test` builds the binary it runs.
        .testTarget(name: "moesimTests", dependencies: ["moesim"], path: "Tests/moesimTests"),
    ]
)
