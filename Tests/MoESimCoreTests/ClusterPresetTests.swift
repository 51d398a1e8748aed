import XCTest
@testable import MoESimCore

/// The presets added for today's hardware: what distinguishes their topologies, and their sheets' numbers per direction.
final class ClusterPresetTests: XCTestCase {
    func testGB200NVL72IsOneNVLinkDomainOf72GPUsWithOneNICPerGPU() {
        var cluster = ClusterPreset.gb200NVL72.spec
        cluster.nodes = 2
        let topology = Topology(cluster: cluster, transport: .nvlink)
        var farInRack: [Int32] = [], sameTray: [Int32] = [], otherRack: [Int32] = []
        // GPU 0 and GPU 71 sit on different compute trays of one rack: still one NVLink hop each way.
        XCTAssertEqual(topology.route(from: 0, to: 71, into: &farInRack), 2_000)
        topology.route(from: 0, to: 1, into: &sameTray)
        XCTAssertEqual(farInRack.count, 2)
        XCTAssertEqual(farInRack.map { topology.bytesPerSecond[Int($0)] }, [720e9, 720e9])   // 900 GB/s × 0.8
        XCTAssertEqual(farInRack[0], sameTray[0])
        // Between racks: through the GPU's own NIC (72 per rack, one per GPU).
        XCTAssertEqual(topology.route(from: 5, to: 77, into: &otherRack), 3_000)
        XCTAssertEqual(cluster.nic(of: 5), 5)
        XCTAssertEqual(cluster.nic(of: 77), 77)
        XCTAssertTrue(otherRack.contains { topology.bytesPerSecond[Int($0)] == 43e9 })   // 400 Gb/s × 0.86
    }

    func testMI300XIsAMeshOfSevenLinksPerGPU() {
        let cluster = ClusterPreset.mi300x.spec
        XCTAssertEqual(cluster.intraNodeFabric, .mesh)
        let topology = Topology(cluster: cluster, transport: .nvlink)
        // 128 GB/s per link in both directions = 64 GB/s per direction, 7 of them: 448 GB/s out of each GPU.
        let outOfGPU0 = (1..<8).map { d -> Double in
            var path: [Int32] = []
            topology.route(from: 0, to: d, into: &path)
            return path.map { topology.bytesPerSecond[Int($0)] }.reduce(0, +)
        }
        XCTAssertEqual(outOfGPU0.reduce(0, +), 7 * 64e9 * 0.8, accuracy: 1)
        XCTAssertEqual(cluster.gpu.peakFLOPsPerSecond(for: .bf16), 1_307.4e12)
        XCTAssertEqual(cluster.gpu.peakFLOPsPerSecond(for: .fp8), 2_614.9e12)
    }

    func testNewPresetsPeaksAndLinksPerDirection() {
        let b200 = ClusterPreset.dgxB200.spec, h20 = ClusterPreset.h20.spec
        // NVLink 5: 1.8 TB/s per GPU in both directions; NVLink 4 (H20): 900 GB/s.
        XCTAssertEqual(b200.intraNodeLink.bandwidthBytesPerSecond, 900e9)
        XCTAssertEqual(h20.intraNodeLink.bandwidthBytesPerSecond, 450e9)
        // Dense peaks are half the sparse ones the sheets print (B200: FP8 9 PFLOP/s sparse per GPU).
        XCTAssertEqual(b200.gpu.peakFLOPsPerSecond(for: .fp8), 4_500e12)
        XCTAssertEqual(h20.gpu.peakFLOPsPerSecond(for: .bf16), 148e12)
        XCTAssertEqual(h20.gpu.peakFLOPsPerSecond(for: .fp8), 296e12)
        for preset in [ClusterPreset.dgxB200, .gb200NVL72, .mi300x, .h20] {
            XCTAssertEqual(ClusterPreset.named(preset.name)?.spec, preset.spec)
            XCTAssertEqual(preset.spec.nicLink.bandwidthBytesPerSecond, 50e9, "\(preset.name): 400 Gb/s NICs")
        }
    }
}
