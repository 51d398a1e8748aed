import XCTest
@testable import MoESimCore

final class ZZDiagTmp: XCTestCase {
    func testDiag() {
        var lines: [String] = []
        var countViol = 0, countAlt = 0
        for seed in UInt64(0)..<300 {
            var rng = SplitMix64(seed: 31_000 + seed)
            let v = Int(seed) % FlowNetworkTests.variantCount
            let nodes = 2 + Int(seed / UInt64(FlowNetworkTests.variantCount)) % 3
            let (cluster, transport) = FlowNetworkTests.variant(v, nodes: nodes)
            let gpus = cluster.gpuCount
            var traffic = TrafficMatrix(gpuCount: gpus)
            let density = 2 + rng.next() % 30
            for s in 0..<gpus { for d in 0..<gpus where rng.next() % 100 < density { traffic[s, d] = 1 + Int64(rng.next() % 3_000_000) } }
            let flow = FlowNetworkTests.flowTime(cluster, traffic, transport: transport)
            let bound = FlowNetworkTests.analyticalTime(cluster, traffic, transport: transport)
            // alternative bound: per-link min latency
            let topo = Topology(cluster: cluster, transport: transport)
            var linkBytes = [Double](repeating: 0, count: topo.linkCount)
            var linkAlpha = [Int64](repeating: .max, count: topo.linkCount)
            for s in 0..<gpus { for d in 0..<gpus where d != s && traffic[s,d] > 0 {
                var p: [Int32] = []
                let a = topo.route(from: s, to: d, into: &p)
                for l in p { linkBytes[Int(l)] += Double(traffic[s,d]); linkAlpha[Int(l)] = min(linkAlpha[Int(l)], a) }
            } }
            var alt: Double = 0
            for l in 0..<topo.linkCount where linkBytes[l] > 0 { alt = max(alt, Double(linkAlpha[l]) + linkBytes[l] / topo.bytesPerSecond[l] * 1e9) }
            if flow < bound { countViol += 1; lines.append("seed \(seed) v\(v) n\(nodes) \(transport): flow \(flow.nanoseconds) bound \(bound.nanoseconds) alt \(alt)") }
            if Double(flow.nanoseconds) < alt - 1e-3 { countAlt += 1; lines.append("ALT seed \(seed) flow \(flow.nanoseconds) alt \(alt)") }
        }
        print("viol \(countViol) alt \(countAlt)")
        print(lines.joined(separator: "\n"))
    }
}
