// swift-tools-version:5.9
// moesim — a performance simulator for Mixture-of-Experts routing on GPU clusters.
// Foundation only: no package dependencies.
import PackageDescription

// Two compiler flags make this package fast when it is built on its own (the root package, or a
// local path dependency):
// - `-O` in debug builds: the router's vectorised softmax is generic SIMD code, ~50x slower
//   unoptimised, which made `swift test` crawl;
// - on x86-64, `-target-cpu nehalem` (SSE4.2, any x86 CPU since 2009): one-instruction vector blends
//   in the top-k selection, which `moesim bench routing` measures faster.
// SwiftPM refuses such "unsafe" flags in a package another one depends on by URL, and builds those
// from a `checkouts` directory (.build/checkouts/, or Xcode's SourcePackages/checkouts/): there
// the library carries no flags, builds portable code, and can be a versioned dependency.
// PackageManifestTests checks both cases.
let builtAsCheckout = Context.packageDirectory.contains("/checkouts/")
#if arch(x86_64)
let cpuFlags = ["-target-cpu", "nehalem"]
#else
let cpuFlags: [String] = []
#endif
let coreSettings: [SwiftSetting] = builtAsCheckout ? [] : [
    .unsafeFlags(["-O"], .when(configuration: .debug)),
    .unsafeFlags(cpuFlags),
]

// Each folder of the core opens with a README.md (what lives there, what it may depend on); they are docs, not resources.
let coreFolders = ["Bench", "CSV", "Cluster", "Engine", "Files", "Import", "Metrics", "Model", "Network", "Placement", "Plan",
                   "Plot", "Report", "Routing", "Scenario", "Simulation", "Sweep", "Trace", "Validation"]

let package = Package(
    name: "moesim",
    products: [
        .library(name: "MoESimCore", targets: ["MoESimCore"]),
        .executable(name: "moesim", targets: ["moesim"]),
    ],
    targets: [
        .target(name: "MoESimCore", path: "Sources/MoESimCore", exclude: coreFolders.map { "\($0)/README.md" },
                swiftSettings: coreSettings),
        .executableTarget(name: "moesim", dependencies: ["MoESimCore"], path: "Sources/moesim"),
        .testTarget(name: "MoESimCoreTests", dependencies: ["MoESimCore"], path: "Tests/MoESimCoreTests"),
        // Depends on the executable so that `swift test` builds the binary it runs.
        .testTarget(name: "moesimTests", dependencies: ["moesim"], path: "Tests/moesimTests"),
    ]
)
