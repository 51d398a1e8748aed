import Foundation
@testable import MoESimCore

/// The two knobs every fuzz target shares, for longer runs than `swift test`'s (e.g. nightly):
/// `MOESIM_FUZZ_SCALE` multiplies each target's case count (default 1) and `MOESIM_FUZZ_SEED`
/// shifts its seeds (default 0: the cases `swift test` runs, so a failure there reproduces by index).
enum FuzzBudget {
    /// `count` times `MOESIM_FUZZ_SCALE`.
    static func cases(_ count: Int) -> Int {
        count * max(1, Int(ProcessInfo.processInfo.environment["MOESIM_FUZZ_SCALE"] ?? "") ?? 1)
    }

    /// `MOESIM_FUZZ_SEED`, added to every target's own seed.
    static var seedShift: UInt64 {
        UInt64(ProcessInfo.processInfo.environment["MOESIM_FUZZ_SEED"] ?? "") ?? 0
    }
}

extension SplitMix64 {
    /// A draw in 0 ..< n (modulo bias is irrelevant to fuzzing).
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}
