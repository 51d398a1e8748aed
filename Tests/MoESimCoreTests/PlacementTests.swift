import XCTest
@testable import MoESimCore

/// Placements, the replica assigner and the replication balancer.
final class PlacementTests: XCTestCase {
    func testReplicasAreGroupedByGPUAndIndexed() {
        let placement = ExpertPlacement(replicas: [[0, 2], [1], [2, 0, 1], [1]], gpuCount: 3)
        XCTAssertEqual(placement.replicaCount, 7)
        XCTAssertEqual(Array(placement.experts(onGPU: 0)), [0, 2])
        XCTAssertEqual(Array(placement.experts(onGPU: 1)), [1, 2, 3])
        XCTAssertEqual(Array(placement.experts(onGPU: 2)), [0, 2])
        XCTAssertEqual(placement.primaryGPU(of: 2), 2)
        XCTAssertEqual(placement.replicaGPUs[placement.replicaIndex(of: 2, onGPU: 1)], 1)
        XCTAssertEqual(placement.maxExpertsPerGPU, 3)
        XCTAssertEqual(placement.minExpertsPerGPU, 2)
        XCTAssertEqual(placement.fewestExperts(onAny: 1, gpusPerNode: 2), 2) // node 1 = GPU 2 alone: experts 0, 2
        XCTAssertEqual(placement.fewestExperts(onAny: 2, gpusPerNode: 2), 4, "the union, not the sum: 0 and 2 sit on both nodes")
    }

    func testAssignerSplitsAReplicatedExpertEvenly() {
        let placement = ExpertPlacement(replicas: [[0, 1, 2], [3]], gpuCount: 4)
        var buffer = RoutingBuffer()
        buffer.reset(tokenCount: 10, k: 1)
        for t in 0..<9 { buffer.experts[t] = 0 }
        buffer.experts[9] = 1
        buffer.dropped[4] = true
        TestSupport.assignGPUs(&buffer, placement: placement)
        let kept = (0..<9).filter { !buffer.dropped[$0] }.map { buffer.gpus[$0] }
        XCTAssertEqual(kept, [0, 1, 2, 0, 1, 2, 0, 1])
        XCTAssertEqual(buffer.gpus[4], 0, "a dropped slot is attributed to the primary replica")
        XCTAssertEqual(buffer.gpus[9], 3)
    }

    func testBalancerRespectsTheBudgetAndNeverWorsensTheFittedWindow() {
        for seed in 0..<300 {
            var rng = SplitMix64(seed: UInt64(seed))
            let gpus = [2, 4, 8][seed % 3]
            let perGPU = 1 + seed % 4
            let experts = gpus * perGPU
            let slots = perGPU + 1 + Int(rng.next() % 3)
            let skew = Double(seed % 5)
            let loads = (0..<experts).map { e in Double(rng.next() % 1000) * (e == 0 ? skew + 1 : 1) }
            let base = seed % 2 == 0 ? ExpertPlacement.contiguous(experts: experts, gpuCount: gpus)
                                     : ExpertPlacement.roundRobin(experts: experts, gpuCount: gpus)
            let budget = min(slots, experts)
            let fit = ReplicationBalancer(slotsPerGPU: budget).fit(base: base, expertLoads: loads)
            XCTAssertLessThanOrEqual(fit.placement.maxExpertsPerGPU, max(budget, perGPU), "seed \(seed)")
            XCTAssertLessThanOrEqual(fit.maxOverMeanAfter, fit.maxOverMeanBefore, "seed \(seed)")
            let recomputed = ReplicationBalancer.maxOverMean(ReplicationBalancer.gpuLoads(fit.placement, expertLoads: loads))
            XCTAssertEqual(recomputed, fit.maxOverMeanAfter, accuracy: 1e-12)
            for e in 0..<experts {
                let replicas = fit.placement.replicas(of: e)
                XCTAssertEqual(Set(replicas).count, replicas.count, "two replicas of one expert on one GPU")
            }
            if fit.extraReplicas > 0 {
                XCTAssertEqual(fit.placement.minExpertsPerGPU, budget, "every slot is used")
                XCTAssertLessThan(fit.maxOverMeanAfter, fit.maxOverMeanBefore)
            }
        }
    }

    func testBalancerGivesTheHotExpertTheSpareSlots() {
        // Expert 0 carries 7/10 of the load on 2 GPUs with 2 experts each; one spare slot per GPU.
        let base = ExpertPlacement.contiguous(experts: 4, gpuCount: 2)
        let fit = ReplicationBalancer(slotsPerGPU: 3).fit(base: base, expertLoads: [700, 100, 100, 100])
        XCTAssertEqual(fit.extraReplicas, 2)
        XCTAssertEqual(fit.placement.replicas(of: 0).count, 2, "the hot expert is replicated on both GPUs")
        XCTAssertEqual(fit.placement.replicas(of: 1).count, 2, "then the next-hottest (lowest id on ties)")
        XCTAssertEqual(fit.maxOverMeanBefore, 1.6, accuracy: 1e-12) // GPU 0: 800 of 1000
        // Replicas 350, 350, 100, 100, 50, 50 placed heaviest first on the lighter GPU: 500 and 500.
        XCTAssertEqual(fit.maxOverMeanAfter, 1.0, accuracy: 1e-12)
    }

    func testReplicationLowersImbalanceInTheSimulation() throws {
        // Full-size experts, so that expert FFNs are compute-bound (in launch-bound regimes the extra
        // replicas' kernel launches can cost more than the balance gains: the model shows that too).
        let plain = try Scenario.decode(JSONParser.parse("""
            {"version": 1, "cluster": {"nodes": 2}, "model": {"experts": 32},
             "parallelism": {"tokensPerGPU": 512},
             "routing": {"strategies": [{"name":"switch"},{"name":"topk","k":2},{"name":"topk","k":2,"dedup":false}]},
             "trace": {"synthetic": {"zipf": 1.2}}, "simulation": {"steps": 2}}
            """))
        var replicated = plain
        replicated.placement = .replicated(base: .contiguous, slotsPerGPU: 3, warmupSteps: 1)
        let before = try Simulator.run(plain).results, after = try Simulator.run(replicated).results
        for (b, a) in zip(before, after) {
            XCTAssertLessThan(a.gpuLoad.maxOverMean, b.gpuLoad.maxOverMean, a.strategy.label)
            XCTAssertLessThan(a.expertMicros, b.expertMicros, a.strategy.label)
            XCTAssertEqual(a.replication?.extraReplicas, 16)
            XCTAssertLessThan(a.replication!.maxOverMeanAfter, a.replication!.maxOverMeanBefore)
            XCTAssertEqual(a.expertLoad, b.expertLoad, "replication moves tokens between GPUs, not between experts")
        }
        // Byte identities hold with replicas too.
        XCTAssertEqual(after[2].dispatchBytes, 2 * after[0].dispatchBytes)
    }

    func testCapacityScalesWithReplicas() {
        let placement = ExpertPlacement(replicas: [[0, 1], [1]], gpuCount: 2)
        var buffer = RoutingBuffer()
        buffer.reset(tokenCount: 6, k: 1)
        for t in 0..<6 { buffer.experts[t] = 0; buffer.probabilities[t] = Float(t) }
        var limiter = CapacityLimiter()
        XCTAssertEqual(limiter.apply(to: &buffer, placement: placement, limit: .init(capacity: 2, perDevice: false)), 2)
        XCTAssertEqual(buffer.dropped, [true, true, false, false, false, false])
    }

    func testPlacementDecodingAndItsErrors() throws {
        func decode(_ placement: String, experts: Int = 16, extra: String = "") throws -> Scenario {
            try Scenario.decode(JSONParser.parse("""
            {"version": 1, "model": {"experts": \(experts)}, "parallelism": {"placement": \(placement)}\(extra)}
            """))
        }
        let switchOnly = #", "routing": {"strategies": [{"name": "switch"}]}"#
        XCTAssertEqual(try decode(#""round-robin""#, experts: 12, extra: switchOnly).placement, .roundRobin)
        XCTAssertEqual(try decode(#"{"kind": "explicit", "gpuOfExpert": [0,1,2,3,4,5,6,[7,0]]}"#, experts: 8,
                                  extra: switchOnly).basePlacement,
                       ExpertPlacement(replicas: [[0], [1], [2], [3], [4], [5], [6], [7, 0]], gpuCount: 8))
        XCTAssertEqual(try decode(#"{"kind": "replicated", "slotsPerGPU": 3, "warmupSteps": 2}"#,
                                  extra: #", "simulation": {"steps": 4}"#).placement,
                       .replicated(base: .contiguous, slotsPerGPU: 3, warmupSteps: 2))
        let cases: [(String, Int, String, String)] = [
            (#""scattered""#, 16, "parallelism.placement", "round-robin"),
            (#"{"kind": "explicit", "gpuOfExpert": [0, 1]}"#, 16, "parallelism.placement.gpuOfExpert", "lists 2 experts but model.experts = 16"),
            (#"{"kind": "explicit", "gpuOfExpert": [0,1,2,3,4,5,6,8]}"#, 8, "parallelism.placement.gpuOfExpert[7]", "[0, 7] (got 8)"),
            (#"{"kind": "explicit", "gpuOfExpert": [0,1,2,3,4,5,6,[7,7]]}"#, 8, "parallelism.placement.gpuOfExpert[7]", "distinct"),
            (#"{"kind": "replicated", "slotsPerGPU": 2}"#, 16, "parallelism.placement.slotsPerGPU", "must exceed the experts a GPU already holds (2)"),
            (#"{"kind": "replicated", "slotsPerGPU": 3, "warmupSteps": 0}"#, 16, "parallelism.placement.warmupSteps", "(got 0)"),
            (#"{"kind": "mirrored"}"#, 16, "parallelism.placement.kind", "explicit"),
            (#""contiguous""#, 12, "model.experts", "round-robin"),
        ]
        for (placement, experts, path, fragment) in cases {
            XCTAssertThrowsError(try decode(placement, experts: experts), placement) { error in
                guard case let .invalid(_, keyPath, message)? = error as? ScenarioError else { return XCTFail("\(error)") }
                XCTAssertEqual(keyPath, path, placement)
                XCTAssertTrue(message.contains(fragment), "\(message) lacks \(fragment)")
            }
        }
        // SAM needs k experts on every GPU, whatever the placement.
        XCTAssertThrowsError(try decode(#""round-robin""#, experts: 12,
                                        extra: #", "routing": {"strategies": [{"name": "sam", "k": 2}]}"#)) { error in
            XCTAssertTrue(String(describing: error).contains("routing.strategies[0].k: must be at most the fewest experts on one GPU = 1"))
        }
    }
}
