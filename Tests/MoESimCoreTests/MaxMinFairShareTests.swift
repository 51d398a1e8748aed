import XCTest
@testable import MoESimCore

/// The heap-based progressive filling against a brute-force progressive filling,
/// plus the max-min conditions checked directly on the solver's output.
final class MaxMinFairShareTests: XCTestCase {

    /// A random instance: links with capacities, flows with paths of distinct links.
    struct Instance {
        var capacities: [Double]
        var paths: [[Int]]
        var fixedLoad: [Double]?

        var pathStart: [Int32] {
            var starts: [Int32] = [0]
            for p in paths { starts.append(starts.last! + Int32(p.count)) }
            return starts
        }
        var pathLinks: [Int32] { paths.flatMap { $0.map(Int32.init) } }
    }

    /// Brute-force progressive filling, written for obviousness rather than speed:
    /// raise every unfrozen flow by the smallest fair share (residual ÷ unfrozen flows) of
    /// any link, then freeze every unfrozen flow that crosses a link now saturated.
    static func referenceRates(capacities: [Double], paths: [[Int]], flows: [Int]) -> [Int: Double] {
        var residual = capacities
        var rate = [Int: Double]()
        var unfrozen = Set(flows)
        for f in flows { rate[f] = 0 }
        while !unfrozen.isEmpty {
            // Fair share of every link some unfrozen flow crosses.
            var increment = Double.infinity
            var tightest: [Int] = []
            for l in capacities.indices {
                let n = unfrozen.filter { paths[$0].contains(l) }.count
                guard n > 0 else { continue }
                let share = max(residual[l], 0) / Double(n)
                if share < increment { increment = share; tightest = [l] } else if share == increment { tightest.append(l) }
            }
            for f in unfrozen {
                rate[f]! += increment
                for l in paths[f] { residual[l] -= increment }
            }
            // Saturated: the tightest links, and any other link left with (numerically) nothing.
            var saturated = Set(tightest)
            for l in capacities.indices where residual[l] <= 1e-12 * capacities[l] { saturated.insert(l) }
            for f in unfrozen where paths[f].contains(where: saturated.contains) { unfrozen.remove(f) }
        }
        return rate
    }

    static func randomInstance(_ rng: inout SplitMix64, withFixedLoad: Bool) -> Instance {
        let links = 1 + Int(rng.next() % 12)
        let flows = 1 + Int(rng.next() % 20)
        // Half the instances draw capacities from a small set so that equal shares (ties) are common.
        let fewValues = rng.next() % 2 == 0
        let capacities = (0..<links).map { _ -> Double in
            fewValues ? [10e9, 20e9, 40e9][Int(rng.next() % 3)] : 1e9 + rng.nextOpenUnitDouble() * 99e9
        }
        var paths: [[Int]] = []
        for _ in 0..<flows {
            let length = 1 + Int(rng.next() % UInt64(min(4, links)))
            var path: [Int] = []
            while path.count < length {
                let l = Int(rng.next() % UInt64(links))
                if !path.contains(l) { path.append(l) }
            }
            paths.append(path)
        }
        var fixed: [Double]? = nil
        if withFixedLoad {
            fixed = capacities.map { c in
                switch rng.next() % 4 {
                case 0: return 0
                case 1: return c * 0.5
                default: return c * rng.nextOpenUnitDouble() * 0.95
                }
            }
        }
        return Instance(capacities: capacities, paths: paths, fixedLoad: fixed)
    }

    /// Checks one solve of `flows` (a subset of the instance's flows) against the reference and
    /// the max-min conditions. Returns false (after reporting) on the first failure.
    @discardableResult
    static func check(_ instance: Instance, flows: [Int], solver: inout MaxMinFairShare, label: String) -> Bool {
        let flowCount = instance.paths.count
        let sentinel = -12_345.0
        var rates = [Double](repeating: sentinel, count: flowCount)
        var bottlenecks = [Int32](repeating: -7, count: flowCount)
        solver.solve(capacities: instance.capacities, fixedLoad: instance.fixedLoad,
                     pathStart: instance.pathStart, pathLinks: instance.pathLinks,
                     flows: flows.map(Int32.init), rates: &rates, bottlenecks: &bottlenecks)

        let available = zip(instance.capacities, instance.fixedLoad ?? instance.capacities.map { _ in 0 }).map { $0 - $1 }
        let reference = referenceRates(capacities: available, paths: instance.paths, flows: flows)
        let solved = Set(flows)
        let tolerance = 1e-9

        for f in 0..<flowCount where !solved.contains(f) {
            if rates[f] != sentinel || bottlenecks[f] != -7 {
                XCTFail("\(label): flow \(f) was not solved but its entries were written"); return false
            }
        }
        for f in flows {
            let want = reference[f]!, got = rates[f]
            if abs(got - want) > tolerance * max(abs(want), 1) {
                XCTFail("\(label): flow \(f) rate \(got), reference \(want)"); return false
            }
        }
        // No link over its available capacity.
        var load = [Double](repeating: 0, count: instance.capacities.count)
        for f in flows { for l in instance.paths[f] { load[l] += rates[f] } }
        for l in load.indices where load[l] > available[l] * (1 + tolerance) + 1e-6 {
            XCTFail("\(label): link \(l) carries \(load[l]) of \(available[l])"); return false
        }
        // Every flow's bottleneck is on its path, saturated, and no flow on it is faster.
        for f in flows {
            let b = Int(bottlenecks[f])
            guard instance.paths[f].contains(b) else {
                XCTFail("\(label): flow \(f) bottleneck \(b) is not on its path \(instance.paths[f])"); return false
            }
            if load[b] < available[b] * (1 - tolerance) - 1e-6 {
                XCTFail("\(label): flow \(f) bottleneck \(b) not saturated (\(load[b]) of \(available[b]))"); return false
            }
            for g in flows where instance.paths[g].contains(b) && rates[g] > rates[f] * (1 + tolerance) + 1e-6 {
                XCTFail("\(label): flow \(g) is faster than flow \(f) on \(f)'s bottleneck \(b)"); return false
            }
        }
        return true
    }

    /// 2000 random instances, all flows solved, one solver reused throughout (its scratch space
    /// grows and shrinks between problem sizes, so stale state would show).
    func testMatchesBruteForceProgressiveFilling() {
        var solver = MaxMinFairShare()
        for seed in UInt64(0)..<2_000 {
            var rng = SplitMix64(seed: seed)
            let instance = Self.randomInstance(&rng, withFixedLoad: false)
            guard Self.check(instance, flows: Array(instance.paths.indices), solver: &solver,
                             label: "seed \(seed)") else { return }
        }
    }

    /// With `fixedLoad`, the flows share what is left: the same as the reference on reduced capacities.
    /// Only a random subset of the flows is solved, in random order; the others must be untouched.
    func testFixedLoadAndSubsetMatchReferenceOnResidualCapacities() {
        var solver = MaxMinFairShare()
        for seed in UInt64(0)..<2_000 {
            var rng = SplitMix64(seed: 1_000_000 + seed)
            let instance = Self.randomInstance(&rng, withFixedLoad: true)
            var flows = Array(instance.paths.indices).filter { _ in rng.next() % 4 != 0 }
            if flows.isEmpty { flows = [0] }
            flows.shuffle(using: &rng)
            guard Self.check(instance, flows: flows, solver: &solver, label: "seed \(seed)") else { return }
        }
    }

    /// A link whose capacity is all taken by the fixed load leaves its flows at rate zero,
    /// and those flows do not hold back the others.
    func testFullyLoadedLinkGivesZero() {
        let instance = Instance(capacities: [10e9, 10e9], paths: [[0], [0, 1], [1]], fixedLoad: [10e9, 0])
        var solver = MaxMinFairShare()
        var rates = [Double](repeating: -1, count: 3)
        var bottlenecks = [Int32](repeating: -1, count: 3)
        solver.solve(capacities: instance.capacities, fixedLoad: instance.fixedLoad, pathStart: instance.pathStart,
                     pathLinks: instance.pathLinks, flows: [0, 1, 2], rates: &rates, bottlenecks: &bottlenecks)
        XCTAssertEqual(rates, [0, 0, 10e9])
        XCTAssertEqual(bottlenecks, [0, 0, 1])
    }

    /// Textbook example (Bertsekas & Gallager): a long flow over two links, each also used by
    /// one short flow; unequal capacities make the long flow's bottleneck the slower link.
    func testHandWorkedExample() {
        // Link 0: 10 GB/s shared by flows 0 (long) and 1; link 1: 30 GB/s shared by flows 0 and 2;
        // link 2: 4 GB/s used by flow 3 alone, and by flow 1.
        // Progressive filling: link 2 (4 ÷ 2 = 2) freezes flows 1 and 3 at 2; link 0 then has 8 left
        // for flow 0 alone → 8; link 1 has 30 − 8 = 22 for flow 2.
        let instance = Instance(capacities: [10e9, 30e9, 4e9], paths: [[0, 1], [0, 2], [1], [2]], fixedLoad: nil)
        var solver = MaxMinFairShare()
        var rates = [Double](repeating: 0, count: 4)
        var bottlenecks = [Int32](repeating: -1, count: 4)
        solver.solve(capacities: instance.capacities, pathStart: instance.pathStart, pathLinks: instance.pathLinks,
                     flows: [0, 1, 2, 3], rates: &rates, bottlenecks: &bottlenecks)
        XCTAssertEqual(rates, [8e9, 2e9, 22e9, 2e9])
        XCTAssertEqual(bottlenecks, [0, 2, 1, 2])
        // The reference agrees with the hand computation (it is the oracle of the random tests).
        let reference = Self.referenceRates(capacities: instance.capacities, paths: instance.paths, flows: [0, 1, 2, 3])
        XCTAssertEqual((0..<4).map { reference[$0]! }, [8e9, 2e9, 22e9, 2e9])
    }
}
