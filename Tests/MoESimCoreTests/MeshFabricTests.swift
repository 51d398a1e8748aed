import XCTest
@testable import MoESimCore

/// The `mesh` intra-node fabric (every GPU pair its own link, as MI300X's Infinity Fabric) against closed forms,
/// in both network models.
final class MeshFabricTests: XCTestCase {
    /// `nodes` nodes of 8 GPUs on a mesh whose pair links run at 64 GB/s per direction × 0.8 = 51.2 GB/s, α = 2 µs.
    private func mesh(nodes: Int = 1) -> ClusterSpec {
        var cluster = ClusterPreset.dgxH100.spec
        cluster.nodes = nodes
        cluster.intraNodeFabric = .mesh
        cluster.intraNodeLink.bandwidthBytesPerSecond = 64e9
        return cluster
    }

    func testEveryOrderedPairHasItsOwnSingleLink() {
        let topology = Topology(cluster: mesh(nodes: 2), transport: .nvlink)
        var seen = Set<Int32>()
        for node in 0..<2 {
            for s in 0..<8 {
                for d in 0..<8 where d != s {
                    var path: [Int32] = []
                    let latency = topology.route(from: node * 8 + s, to: node * 8 + d, into: &path)
                    XCTAssertEqual(path.count, 1)
                    XCTAssertEqual(latency, 2_000)
                    XCTAssertEqual(topology.bytesPerSecond[Int(path[0])], 51.2e9)
                    seen.insert(path[0])
                }
            }
        }
        XCTAssertEqual(seen.count, 2 * 8 * 7, "56 directed links per node, one per ordered pair")
        // Between nodes the route is the NIC path, as on NVSwitch nodes.
        var between: [Int32] = [], reference: [Int32] = []
        topology.route(from: 3, to: 11, into: &between)
        var nvswitch = ClusterPreset.dgxH100.spec
        nvswitch.nodes = 2
        Topology(cluster: nvswitch, transport: .nvlink).route(from: 3, to: 11, into: &reference)
        XCTAssertEqual(between, reference)
        // A degraded port on a mesh is all 7 links of the GPU, both directions.
        XCTAssertEqual(topology.links(of: .nvlink(gpu: 9)).count, 14)
    }

    func testUniformAllToAllOnAMeshClosedForm() {
        let topology = Topology(cluster: mesh(), transport: .nvlink)
        var bound = AnalyticalNetwork(topology: topology)
        var flows = FlowNetwork(topology: topology)
        var uniform = TrafficMatrix(gpuCount: 8)
        let perPair: Int64 = 5_120_000
        for s in 0..<8 { for d in 0..<8 where d != s { uniform[s, d] = perPair } }
        // Each pair's bytes cross only their own link: α + perPair / 51.2 GB/s = 2 µs + 100 µs.
        XCTAssertEqual(bound.time(of: uniform), SimTime(nanoseconds: 102_000))
        XCTAssertEqual(flows.run(uniform).time, SimTime(nanoseconds: 102_000))
        // The same as an NVSwitch node whose port carries the 7 links' sum: α + 7 · perPair / (7 · 51.2 GB/s).
        var nvswitch = ClusterPreset.dgxH100.spec
        nvswitch.intraNodeLink.bandwidthBytesPerSecond = 7 * 64e9
        var switched = AnalyticalNetwork(cluster: nvswitch)
        XCTAssertEqual(switched.time(of: uniform), SimTime(nanoseconds: 102_000))
    }

    func testASkewedPairSaturatesOnlyItsOwnLink() {
        let topology = Topology(cluster: mesh(), transport: .nvlink)
        var bound = AnalyticalNetwork(topology: topology)
        var flows = FlowNetwork(topology: topology)
        var skewed = TrafficMatrix(gpuCount: 8)
        for s in 0..<8 { for d in 0..<8 where d != s { skewed[s, d] = 5_120_000 } }
        skewed[0, 1] = 51_200_000   // ten times the others
        // The hot pair takes 1000 µs on its own link whatever the others do; every other flow still ends at 102 µs,
        // including GPU 0's other sends and GPU 1's other receives, whose links the hot pair does not touch.
        XCTAssertEqual(bound.time(of: skewed), SimTime(nanoseconds: 1_002_000))
        let run = flows.run(skewed)
        XCTAssertEqual(run.time, SimTime(nanoseconds: 1_002_000))
        for f in 0..<flows.flowCount {
            let hot = flows.sources[f] == 0 && flows.destinations[f] == 1
            XCTAssertEqual(flows.finishedNanos[f], hot ? 1_002_000 : 102_000, "flow \(flows.sources[f])→\(flows.destinations[f])")
        }
        // On an NVSwitch node with the same total port bandwidth, the hot pair would share GPU 0's port and finish sooner.
        var nvswitch = ClusterPreset.dgxH100.spec
        nvswitch.intraNodeLink.bandwidthBytesPerSecond = 7 * 64e9
        var switched = FlowNetwork(topology: Topology(cluster: nvswitch, transport: .nvlink))
        XCTAssertLessThan(switched.run(skewed).time, run.time)
    }

    func testTheFlowModelNeverBeatsTheAnalyticalBoundOnAMesh() {
        let topology = Topology(cluster: mesh(nodes: 2), transport: .nvlink)
        var bound = AnalyticalNetwork(topology: topology)
        var flows = FlowNetwork(topology: topology, precision: 1e-9)
        for seed in 0..<60 {
            var random = SplitMix64(seed: UInt64(seed))
            var traffic = TrafficMatrix(gpuCount: 16)
            for s in 0..<16 {
                for d in 0..<16 where d != s && random.next() % 3 != 0 {
                    // Mostly small, some pairs a hundred times larger: skewed all-to-alls.
                    traffic[s, d] = Int64(random.next() % 1_000_000 + 1) * (random.next() % 8 == 0 ? 100 : 1)
                }
            }
            let lower = bound.time(of: traffic)
            let simulated = flows.run(traffic).time
            XCTAssertGreaterThanOrEqual(simulated, lower, "seed \(seed)")
        }
    }

    func testAMeshScenarioDecodesAndRefusesWhatAMeshCannotDo() throws {
        func decode(_ cluster: String, _ parallelism: String = "{}") throws -> Scenario {
            try Scenario.decode(JSONParser.parse(#"{"version": 1, "cluster": \#(cluster), "parallelism": \#(parallelism)}"#))
        }
        XCTAssertEqual(try decode(#"{"intraNodeFabric": "mesh"}"#).cluster.intraNodeFabric, .mesh)
        XCTAssertThrowsError(try decode(#"{"intraNodeFabric": "mesh"}"#, #"{"selfCopies": "links"}"#)) { error in
            XCTAssertTrue("\(error)".contains("parallelism.selfCopies"), "\(error)")
            XCTAssertTrue("\(error)".contains("no link from a GPU to itself"), "\(error)")
        }
        XCTAssertNoThrow(try decode(#"{"intraNodeFabric": "mesh"}"#, #"{"selfCopies": "links", "transport": "rdma"}"#))
        XCTAssertThrowsError(try decode(#"{"intraNodeFabric": "mesh", "gpusPerNode": 128}"#)) { error in
            XCTAssertTrue("\(error)".contains("cluster.intraNodeFabric"), "\(error)")
            XCTAssertTrue("\(error)".contains("at most 64"), "\(error)")
        }
    }
}
