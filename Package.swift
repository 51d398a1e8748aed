// swift-tools-version:5.9
// moesim — a performance simulator for Mixture-of-Experts routing on GPU clusters.
// Foundation only: no package dependencies.
import PackageDescription

// No target of the MoESimCore library carries unsafe flags: SwiftPM refuses such a product as a
// (versioned) dependency of another package, and PackageManifestTests fails if one comes back.
// What the flags used to give is asked for on the command line instead:
// - SSE4.2 code (one-instruction vector blends in the top-k selection), measured faster by
//   `moesim bench routing`: swift build -c release -Xswiftc -target-cpu -Xswiftc nehalem
//   (Swift 6.3 rejects the name x86-64-v2; the binary then needs an x86 CPU from 2009 or later);
// - optimised tests (the vectorised softmax is generic SIMD code, far slower at -Onone):
//   swift test -Xswiftc -O

// Each folder of the core opens with a README.md (what lives there, what it may depend on); they are docs, not resources.
let coreFolders = ["Bench", "CSV", "Cluster", "Engine", "Files", "Metrics", "Model", "Network", "Placement", "Plot",
                   "Report", "Routing", "Scenario", "Simulation", "Sweep", "Trace", "Validation"]

let package = Package(
    name: "moesim",
    products: [
        .library(name: "MoESimCore", targets: ["MoESimCore"]),
        .executable(name: "moesim", targets: ["moesim"]),
    ],
    targets: [
        .target(name: "MoESimCore", path: "Sources/MoESimCore", exclude: coreFolders.map { "\($0)/README.md" }),
        .executableTarget(name: "moesim", dependencies: ["MoESimCore"], path: "Sources/moesim"),
        .testTarget(name: "MoESimCoreTests", dependencies: ["MoESimCore"], path: "Tests/MoESimCoreTests"),
        // Depends on the executable so that `swift test` builds the binary it runs.
        .testTarget(name: "moesimTests", dependencies: ["moesim"], path: "Tests/moesimTests"),
    ]
)
