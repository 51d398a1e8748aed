import XCTest
@testable import MoESimCore

final class ZZDiagTmp: XCTestCase {
    func testDiag() {
        let c = FlowNetworkTests.dgxH100(nodes: 2)
        var t = TrafficMatrix(gpuCount: 16)
        t[1, 0] = 3_600_000
        t[8, 2] = 1_000
        print("NV flow", FlowNetworkTests.flowTime(c, t), "bound", FlowNetworkTests.analyticalTime(c, t))
        for n in 1...4 { for sw in [1, 2] { for b: Int64 in [1_000_000, 777_777] {
            var p = ClusterPreset.pcieA100.spec; p.nodes = n; p.pcieSwitchesPerNode = sw
            let u = FlowNetworkTests.uniform(gpus: 8*n, bytes: b)
            print("pcie n\(n) sw\(sw) b\(b)", FlowNetworkTests.flowTime(p, u), FlowNetworkTests.analyticalTime(p, u))
        }}}
        for n in 2...4 { for b: Int64 in [1_000_000, 777_777] {
            let u = FlowNetworkTests.uniform(gpus: 8*n, bytes: b)
            let c = FlowNetworkTests.dgxH100(nodes: n)
            print("rdma n\(n) b\(b)", FlowNetworkTests.flowTime(c, u, transport: .rdma), FlowNetworkTests.analyticalTime(c, u, transport: .rdma))
        }}
    }
}
