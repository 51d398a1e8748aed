// swift-tools-version:5.9
// moesim — a performance simulator for Mixture-of-Experts routing on GPU clusters.
// Foundation only: no package dependencies.
import PackageDescription

#if arch(x86_64)
// The core targets x86-64-v2 (SSE4.2, as in every x86 server CPU since 2011, and the floor of
// RHEL 9): SSE2 has no vector blend, so the top-k selection's compare-and-keep steps take three
// instructions instead of one; `bench routing` measures top-2 about 1.5x faster with it.
// On an older CPU the binary stops with an illegal instruction: delete these flags to build for it.
let coreCodegen: [SwiftSetting] = [.unsafeFlags(["-target-cpu", "nehalem"])]
#else
let coreCodegen: [SwiftSetting] = []
#endif

// Each folder of the core opens with a README.md (what lives there, what it may depend on); they are docs, not resources.
let coreFolders = ["Bench", "Cluster", "Engine", "Files", "Metrics", "Model", "Network", "Placement", "Plot", "Report",
                   "Routing", "Scenario", "Simulation", "Sweep", "Trace", "Validation"]

let package = Package(
    name: "moesim",
    products: [
        .library(name: "MoESimCore", targets: ["MoESimCore"]),
        .executable(name: "moesim", targets: ["moesim"]),
    ],
    targets: [
        // The core is optimised even in debug builds: its vectorised softmax runs through generic,
        // unspecialised SIMD code at -Onone, ~50x slower, which made `swift test` crawl.
        .target(name: "MoESimCore", path: "Sources/MoESimCore", exclude: coreFolders.map { "\($0)/README.md" },
                swiftSettings: [.unsafeFlags(["-O"], .when(configuration: .debug))] + coreCodegen),
        .executableTarget(name: "moesim", dependencies: ["MoESimCore"], path: "Sources/moesim"),
        .testTarget(name: "MoESimCoreTests", dependencies: ["MoESimCore"], path: "Tests/MoESimCoreTests"),
        // Depends on the executable so that `swift test` builds the binary it runs.
        .testTarget(name: "moesimTests", dependencies: ["moesim"], path: "Tests/moesimTests"),
    ]
)
