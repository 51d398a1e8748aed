import XCTest
@testable import MoESimCore

/// Slow GPUs and degraded links against closed forms, in both network models, and the healthy comparison.
final class PerturbationTests: XCTestCase {
    /// 2 DGX H100 nodes, expert-choice routing (every expert takes the same number of tokens, so with contiguous
    /// placement every GPU computes the same: a balanced compute phase), with `perturbations` as given.
    private func balanced(network: String, perturbations: String, mode: String = "inference") throws -> Scenario {
        let text = """
        {"version": 1, "name": "balanced", "cluster": {"preset": "dgx-h100", "nodes": 2},
         "model": {"hiddenSize": 512, "expertFFNSize": 1024, "experts": 32},
         "parallelism": {"tokensPerGPU": 256},
         "routing": {"strategies": [{"name": "expert-choice", "k": 2}]},
         "trace": {"synthetic": {"zipf": 0.8}},
         "simulation": {"network": "\(network)", "mode": "\(mode)", "seed": 3},
         "perturbations": \(perturbations)}
        """
        return try Scenario.decode(JSONParser.parse(text))
    }

    func testOneSlowGPUMakesABalancedComputePhaseExactlyOneOverFAsLong() throws {
        for factor in [0.5, 0.25] {
            let scenario = try balanced(network: "analytical",
                                        perturbations: #"{"slowGPUs": {"gpus": [5], "factor": \#(factor)}}"#)
            let slow = try Simulator.run(scenario).results[0]
            let healthy = try Simulator.run(scenario.healthy).results[0]
            let compute = healthy.layers[0].computeNanos
            XCTAssertEqual(Set(compute).count, 1, "expert-choice with contiguous placement should balance the GPUs")
            // The analytical bound's compute phases end on their slowest GPU: now GPU 5, at 1/f the time.
            XCTAssertEqual(slow.gateMicros, healthy.gateMicros / factor)
            XCTAssertEqual(slow.expertMicros, healthy.expertMicros / factor)
            XCTAssertEqual(slow.dispatchMicros, healthy.dispatchMicros)
            XCTAssertEqual(slow.combineMicros, healthy.combineMicros)
            XCTAssertEqual(slow.layers[0].computeNanos[5], Int64(Double(compute[5]) / factor))
            XCTAssertEqual(slow.layers[0].computeNanos[4], compute[4])
            XCTAssertEqual(slow.slowdownVsHealthy, slow.stepTimeMicros / healthy.stepTimeMicros)
        }
    }

    func testASlowGPUsKernelsTakeTheirTimeOverTheFactorUnderTheFlowModelToo() throws {
        let scenario = try balanced(network: "flow", perturbations: #"{"slowGPUs": {"gpus": [0, 9], "factor": 0.5}}"#,
                                    mode: "training")
        let slow = try Simulator.run(scenario).results[0]
        let healthy = try Simulator.run(scenario.healthy).results[0]
        // Every kernel of GPUs 0 and 9 (gate, experts, and their backward at 2×) takes twice as long; the others' none.
        for g in 0..<16 {
            let expected = healthy.layers[0].computeNanos[g] * ([0, 9].contains(g) ? 2 : 1)
            XCTAssertEqual(slow.layers[0].computeNanos[g], expected, "GPU \(g)")
        }
        XCTAssertGreaterThan(slow.stepTimeMicros, healthy.stepTimeMicros)
        XCTAssertEqual(Perturbations.slowed(1_000, by: 0.8), 1_250)
        XCTAssertEqual(Perturbations.slowed(1_001, by: 0.8), 1_252)   // 1251.25 rounds up
        XCTAssertEqual(Perturbations.slowed(7, by: 1), 7)
    }

    /// Two DGX H100 nodes; every GPU of node 0 sends `bytesEach` to GPU 8, so all of it enters GPU 8's NIC.
    private func incast(bytesEach: Int64) -> TrafficMatrix {
        var traffic = TrafficMatrix(gpuCount: 16)
        for source in 0..<8 { traffic[source, 8] = bytesEach }
        return traffic
    }

    func testANICAtHalfBandwidthDoublesAnIncastThroughItInBothModels() {
        var cluster = ClusterPreset.dgxH100.spec
        cluster.nodes = 2
        let half = Perturbations(degradedLinks: [.init(target: .nic(gpu: 8), factor: 0.5)])
        let traffic = incast(bytesEach: 5_375_000)   // 43 MB into one NIC
        let healthyTopology = Topology(cluster: cluster, transport: .nvlink)
        let slowTopology = Topology(cluster: cluster, transport: .nvlink, perturbations: half)
        var healthyBound = AnalyticalNetwork(topology: healthyTopology)
        var slowBound = AnalyticalNetwork(topology: slowTopology)
        var healthyFlows = FlowNetwork(topology: healthyTopology)
        var slowFlows = FlowNetwork(topology: slowTopology)
        // 43 MB through a 400 Gb/s port at 0.86 = 43 GB/s takes 1000 µs, at half 2000 µs; α = 3 µs.
        XCTAssertEqual(healthyBound.time(of: traffic), SimTime(nanoseconds: 1_003_000))
        XCTAssertEqual(slowBound.time(of: traffic), SimTime(nanoseconds: 2_003_000))
        XCTAssertEqual(healthyFlows.run(traffic).time, SimTime(nanoseconds: 1_003_000))
        XCTAssertEqual(slowFlows.run(traffic).time, SimTime(nanoseconds: 2_003_000))
        // The same incast into GPU 9 (another NIC) is untouched.
        var other = TrafficMatrix(gpuCount: 16)
        for source in 0..<8 { other[source, 9] = 5_375_000 }
        XCTAssertEqual(slowBound.time(of: other), SimTime(nanoseconds: 1_003_000))
        XCTAssertEqual(slowFlows.run(other).time, SimTime(nanoseconds: 1_003_000))
    }

    func testEachLinkTargetSlowsExactlyItsLinks() {
        var cluster = ClusterPreset.dgxH100.spec
        cluster.nodes = 4
        cluster.fabric = .fatTree(nodesPerLeaf: 2, oversubscription: 2)
        let healthy = Topology(cluster: cluster, transport: .nvlink)
        // (target, how many directed links it slows: 2 per physical link)
        let cases: [(Perturbations.LinkTarget, Int)] = [(.nvlink(gpu: 3), 2), (.nic(gpu: 3), 4), (.nodeNICs(node: 2), 16),
                                                         (.fabricUplink(switch: 1), 2)]
        for (target, count) in cases {
            let slow = Topology(cluster: cluster, transport: .nvlink,
                                perturbations: Perturbations(degradedLinks: [.init(target: target, factor: 0.25)]))
            let changed = (0..<healthy.linkCount).filter { slow.bytesPerSecond[$0] != healthy.bytesPerSecond[$0] }
            XCTAssertEqual(changed, healthy.links(of: target).sorted(), "\(target)")
            XCTAssertEqual(changed.count, count, "\(target)")
            for l in changed { XCTAssertEqual(slow.bytesPerSecond[l], healthy.bytesPerSecond[l] * 0.25) }
        }
        // Two degradations of one link multiply.
        let twice = Topology(cluster: cluster, transport: .nvlink, perturbations: Perturbations(degradedLinks: [
            .init(target: .nic(gpu: 3), factor: 0.5), .init(target: .nodeNICs(node: 0), factor: 0.5)]))
        let nicPort = healthy.links(of: .nic(gpu: 3))[2]
        XCTAssertEqual(twice.bytesPerSecond[nicPort], healthy.bytesPerSecond[nicPort] * 0.25)
    }

    func testAnNVLinkPortAtHalfBandwidthDoublesTransfersThroughItInBothModels() {
        let cluster = ClusterPreset.dgxH100.spec
        let half = Perturbations(degradedLinks: [.init(target: .nvlink(gpu: 1), factor: 0.5)])
        let topology = Topology(cluster: cluster, transport: .nvlink, perturbations: half)
        var bound = AnalyticalNetwork(topology: topology)
        var flows = FlowNetwork(topology: topology)
        var into = TrafficMatrix(gpuCount: 8), outOf = TrafficMatrix(gpuCount: 8), elsewhere = TrafficMatrix(gpuCount: 8)
        into[0, 1] = 36_000_000
        outOf[1, 0] = 36_000_000
        elsewhere[0, 2] = 36_000_000
        // 36 MB over 450 GB/s × 0.8 = 360 GB/s takes 100 µs; through GPU 1's port at half, 200 µs; α = 2 µs.
        for traffic in [into, outOf] {
            XCTAssertEqual(bound.time(of: traffic), SimTime(nanoseconds: 202_000))
            XCTAssertEqual(flows.run(traffic).time, SimTime(nanoseconds: 202_000))
        }
        XCTAssertEqual(bound.time(of: elsewhere), SimTime(nanoseconds: 102_000))
        XCTAssertEqual(flows.run(elsewhere).time, SimTime(nanoseconds: 102_000))
    }

    func testSlowGPUsDrawnByCountAreDistinctDeterministicAndFollowTheSeed() throws {
        let drawn = Perturbations.SlowGPUs(.drawn(count: 5), factor: 0.5)
        let first = drawn.gpus(gpuCount: 64, seed: 11)
        XCTAssertEqual(first, drawn.gpus(gpuCount: 64, seed: 11))
        XCTAssertEqual(first.count, 5)
        XCTAssertEqual(Set(first).count, 5)
        XCTAssertEqual(first, first.sorted())
        XCTAssertTrue(first.allSatisfy { (0..<64).contains($0) })
        let seeds = (0..<20).map { drawn.gpus(gpuCount: 64, seed: UInt64($0)) }
        XCTAssertGreaterThan(Set(seeds).count, 15, "different seeds should draw different GPUs")
        XCTAssertEqual(Perturbations.SlowGPUs(.drawn(count: 8), factor: 0.5).gpus(gpuCount: 8, seed: 3), Array(0..<8))
    }

    func testAPerturbedRunIsDeterministicAndIndependentOfThreads() throws {
        let scenario = try balanced(network: "flow", perturbations: #"{"slowGPUs": {"count": 3, "factor": 0.7}, "#
            + #""degradedLinks": [{"kind": "node-nics", "node": 1, "factor": 0.3}]}"#)
        let one = try Simulator.run(scenario, jobs: 1)
        let again = try Simulator.run(scenario, jobs: 1)
        let parallel = try Simulator.run(scenario, jobs: 3)
        XCTAssertEqual(CSVWriter.summary([one]), CSVWriter.summary([again]))
        XCTAssertEqual(CSVWriter.summary([one]), CSVWriter.summary([parallel]))
        XCTAssertEqual(JSONWriter.summary([one]), JSONWriter.summary([parallel]))
    }

    func testSlowdownColumnsAppearOnlyWithPerturbations() throws {
        let healthy = try Simulator.run(try balanced(network: "analytical", perturbations: "{}"))
        XCTAssertNil(healthy.results[0].slowdownVsHealthy)
        let header = CSVWriter.summary([healthy]).prefix { $0 != "\n" }
        XCTAssertEqual(String(header), SummaryColumn.all.map(\.name).joined(separator: ","))
        XCTAssertFalse(TableWriter.summary(healthy).contains("perturbations"))

        // A factor of 1 changes nothing: the slowdown is exactly 1.
        let unchanged = try Simulator.run(try balanced(network: "flow",
            perturbations: #"{"degradedLinks": [{"kind": "nic", "gpu": 0, "factor": 1}]}"#))
        XCTAssertEqual(unchanged.results[0].slowdownVsHealthy, 1)
        let perturbed = try Simulator.run(try balanced(network: "analytical",
            perturbations: #"{"slowGPUs": {"gpus": [1], "factor": 0.5}}"#))
        let csv = CSVWriter.summary([healthy, perturbed]).split(separator: "\n")
        XCTAssertTrue(csv[0].hasSuffix(",seed,perturbations,slowdown_vs_healthy,tokens_rerouted,experts_replaced,failure_dropped_tokens"))
        XCTAssertTrue(csv[1].hasSuffix(",,,,,"), "a healthy scenario's perturbation cells are empty: \(csv[1])")
        let slowdown = String(format: "%.4f", perturbed.results[0].slowdownVsHealthy ?? 0)
        XCTAssertTrue(csv[2].hasSuffix(",GPU 1 at 0.5x compute,\(slowdown),,,"), "no failure: the failure cells are empty: \(csv[2])")
        XCTAssertTrue(TableWriter.summary(perturbed).contains("perturbations: GPU 1 at 0.5x compute\n"))
    }
}

/// Failed GPUs and nodes, on a hand-made trace whose every token's expert is known.
final class FailureTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("failure-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        // 4 GPUs × 4 tokens, k = 1: GPUs 0, 2 and 3 send every token to expert 0, GPU 1 to expert 3.
        var csv = "# moetrace version=1 payload=choices experts=4 layers=1 tokens_per_step=16 steps=1 gpus=4 k=1 chunk_tokens=16\n"
        csv += "step,layer,token,src_gpu,expert_0,weight_0\n"
        for token in 0..<16 { csv += "0,0,\(token),\(token / 4),\(token / 4 == 1 ? 3 : 0),1\n" }
        try csv.write(to: directory.appendingPathComponent("choices.csv"), atomically: true, encoding: .utf8)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    /// One node of 4 GPUs; expert 0 has replicas on GPUs 1 and 2, experts 1, 2, 3 live on GPUs 0, 2, 3.
    private func scenario(_ perturbations: String) throws -> Scenario {
        let text = """
        {"version": 1, "name": "failure", "cluster": {"preset": "dgx-h100", "gpusPerNode": 4, "nicsPerNode": 4},
         "model": {"hiddenSize": 256, "expertFFNSize": 512, "experts": 4},
         "parallelism": {"placement": {"kind": "explicit", "gpuOfExpert": [[1, 2], 0, 2, 3]}},
         "routing": {"strategies": [{"name": "switch"}]}, "trace": {"file": "choices.csv"},
         "perturbations": \(perturbations)}
        """
        return try Scenario.decode(JSONParser.parse(text), baseDirectory: directory.path)
    }

    func testAFailedReplicasTokensLandOnTheSurvivingReplicaToTheByte() throws {
        let healthy = try Simulator.run(try scenario("{}")).results[0]
        let failed = try Simulator.run(try scenario(#"{"failedGPUs": [1]}"#)).results[0]
        let token: Int64 = 256 * 2   // H × 2 bytes (BF16) per copy, dispatch and combine alike
        // Healthy: expert 0's 12 assignments are dealt to its replicas in turn, 6 each; GPU 1's 4 tokens go to GPU 3.
        let healthyPlacement = healthy.layers[0].placement
        XCTAssertEqual(healthy.layers[0].replicaTokens[healthyPlacement.replicaIndex(of: 0, onGPU: 1)], 6)
        // Failed: GPU 1's tokens are gone, and all 12 of expert 0's land on GPU 2; 6 of them were GPU 1's share.
        let detail = failed.layers[0]
        XCTAssertEqual(Array(detail.placement.replicas(of: 0)), [2])
        XCTAssertEqual(detail.replicaTokens[detail.placement.replicaIndex(of: 0, onGPU: 2)], 12)
        XCTAssertEqual(failed.reroutedAssignments, 6)
        XCTAssertEqual(failed.replacedExperts, 0)
        XCTAssertEqual(failed.droppedAssignments, 0)
        XCTAssertEqual(failed.offeredAssignments, 12)
        // GPU 2 receives GPU 0's and GPU 3's 4 tokens each (its own stay local) and sends their 8 results back.
        XCTAssertEqual(detail.bytesReceived, [4 * token, 0, 8 * token, 4 * token])
        XCTAssertEqual(detail.bytesSent, [4 * token, 0, 8 * token, 4 * token])
        XCTAssertEqual(detail.computeNanos[1], 0, "a failed GPU computes nothing")
        XCTAssertEqual(failed.dispatchBytes, 12 * token)
        XCTAssertEqual(healthy.dispatchBytes, 16 * token)
    }

    func testAnOrphanedExpertIsReplacedOnTheLeastLoadedSurvivor() throws {
        // GPUs 1 and 2 fail: expert 0 (replicas on both) and expert 2 lose every replica. Survivors 0 and 3 hold one
        // expert each; expert 0 goes to GPU 0 (lowest id on the tie), then expert 2 to GPU 3.
        let failed = try Simulator.run(try scenario(#"{"failedGPUs": [1, 2], "onFailure": "replace"}"#)).results[0]
        let placement = failed.layers[0].placement
        XCTAssertEqual(Array(placement.replicas(of: 0)), [0])
        XCTAssertEqual(Array(placement.replicas(of: 2)), [3])
        XCTAssertEqual(failed.replacedExperts, 2)
        XCTAssertEqual(failed.reroutedAssignments, 8, "GPU 0's and GPU 3's tokens all chose expert 0")
        XCTAssertEqual(failed.droppedAssignments, 0)
        // GPU 0 receives GPU 3's 4 tokens for expert 0, and GPU 3 their 4 results.
        XCTAssertEqual(failed.layers[0].bytesReceived, [4 * 512, 0, 0, 4 * 512])
    }

    func testFailingEveryReplicaUnderDropCountsTheTokensWithoutACrash() throws {
        for network in ["flow", "analytical"] {
            let text = #"{"failedNodes": [], "failedGPUs": [1, 2], "onFailure": "drop"}"#
            var scenario = try scenario(text)
            scenario.simulation.network = network == "flow" ? .flow : .analytical
            let result = try Simulator.run(scenario)
            let failed = result.results[0]
            // Expert 0's 8 assignments (from GPUs 0 and 3) are dropped; GPUs 1 and 2's 8 tokens were never routed.
            XCTAssertEqual(failed.orphanDroppedAssignments, 8)
            XCTAssertEqual(failed.droppedAssignments, 8)
            XCTAssertEqual(failed.offeredAssignments, 8)
            XCTAssertEqual(failed.dropRate, 1)
            XCTAssertEqual(failed.unroutedTokens, 8)
            XCTAssertEqual(failed.dispatchBytes, 0)
            XCTAssertEqual(failed.layers[0].expertDropped[0], 8)
            XCTAssertEqual(failed.replacedExperts, 0)
            let csv = CSVWriter.summary([result])
            XCTAssertTrue(csv.hasSuffix(",0,0,8\n"), csv)   // tokens_rerouted, experts_replaced, failure_dropped_tokens
        }
    }

    func testAFailedNodeTakesAllItsGPUsAndAnAllFailedClusterIsRefused() throws {
        XCTAssertThrowsError(try scenario(#"{"failedNodes": [0]}"#)) { error in
            XCTAssertTrue("\(error)".contains("perturbations.failedNodes"), "\(error)")
            XCTAssertTrue("\(error)".contains("at least one must survive"), "\(error)")
        }
        XCTAssertThrowsError(try scenario(#"{"failedNodes": [1]}"#)) { error in
            XCTAssertTrue("\(error)".contains("perturbations.failedNodes[0]: node 1 does not exist"), "\(error)")
        }
        var twoNodes = Perturbations()
        twoNodes.failedNodes = [1]
        twoNodes.failedGPUs = [0]
        XCTAssertEqual(twoNodes.failed(gpuCount: 8, gpusPerNode: 4), [true, false, false, false, true, true, true, true])
    }
}
