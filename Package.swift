// swift-tools-version:5.9
// moesim — a discrete-event performance simulator for Mixture-of-Experts routing.
// Foundation only: no package dependencies.
import PackageDescription

let package = Package(
    name: "moesim",
    products: [
        .library(name: "MoESimCore", targets: ["MoESimCore"]),
        .executable(name: "moesim", targets: ["moesim"]),
    ],
    targets: [
        .target(name: "MoESimCore", path: "Sources/MoESimCore"),
        .executableTarget(name: "moesim", dependencies: ["MoESimCore"], path: "Sources/moesim"),
        .testTarget(name: "MoESimCoreTests", dependencies: ["MoESimCore"], path: "Tests/MoESimCoreTests"),
        // Depends on the executable so that `swift test` builds the binary it runs.
        .testTarget(name: "moesimTests", dependencies: ["moesim"], path: "Tests/moesimTests"),
    ]
)
