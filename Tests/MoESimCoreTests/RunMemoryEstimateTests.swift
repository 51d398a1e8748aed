import Foundation
import XCTest
@testable import MoESimCore

/// A run that cannot fit in memory is refused before it starts, with the estimate and the key to
/// change (issue 22, item 5).
final class RunMemoryEstimateTests: XCTestCase {
    private func scenario(gpus: Int, tokensPerGPU: Int, experts: Int, k: Int, network: String) throws -> Scenario {
        try Scenario.decode(JSONParser.parse("""
            {"version":1,"name":"big","cluster":{"nodes":\(max(1, gpus / 8)),"gpusPerNode":\(min(gpus, 8)),"gpu":{"hbmGB":1e9}},
             "model":{"experts":\(experts),"moeLayers":1},"parallelism":{"tokensPerGPU":\(tokensPerGPU)},
             "routing":{"strategies":[{"name":"topk","k":\(k)}]},"simulation":{"network":"\(network)","steps":1}}
            """))
    }

    /// The terms follow their closed forms exactly.
    func testTermsFollowTheirClosedForms() throws {
        let estimate = RunMemoryEstimate(try scenario(gpus: 8, tokensPerGPU: 1024, experts: 64, k: 2, network: "flow"), jobs: 4)
        // One batch (1 step × 1 layer): one thread whatever --jobs says.
        let tokens = 8.0 * 1024
        let expected: [Double] = [tokens * 64 * 4, tokens * (2 * 16 + 16), 64 * 48 * 2, 64 * 400 * 1]
        XCTAssertEqual(estimate.terms.map(\.bytes), expected.sorted(by: >))
        XCTAssertEqual(estimate.bytes, expected.reduce(64 * 1_048_576, +))
    }

    /// The reproducers: one GPU with 2^24 tokens and top-32 of 32 experts, and 8192 GPUs
    /// under the flow model, are refused on a machine of 6 GiB, naming the key; a small run passes.
    func testRunsBeyondPhysicalMemoryAreRefusedWithTheKey() throws {
        let sixGiB: UInt64 = 6 << 30
        let tokens = try scenario(gpus: 1, tokensPerGPU: 1 << 24, experts: 32, k: 32, network: "analytical")
        XCTAssertThrowsError(try RunMemoryEstimate(tokens, jobs: 1).check(physicalMemoryBytes: sixGiB)) {
            guard case let .invalid(nil, key, message)? = $0 as? ScenarioError else { return XCTFail("\($0)") }
            XCTAssertEqual(key, "parallelism.tokensPerGPU")
            XCTAssertTrue(message.hasPrefix("scenario \"big\" needs about 10.3 GiB of memory, more than the 6.0 GiB this "
                + "process may use (physical memory or its control group's limit); the largest part is routing slots "
                + "(1 thread(s) × 16777216 tokens × k = 32), 8.2 GiB"), message)
        }
        let pairs = try scenario(gpus: 8192, tokensPerGPU: 8, experts: 8192, k: 8, network: "flow")
        XCTAssertThrowsError(try RunMemoryEstimate(pairs, jobs: 1).check(physicalMemoryBytes: sixGiB)) {
            guard case let .invalid(nil, key, _)? = $0 as? ScenarioError else { return XCTFail("\($0)") }
            XCTAssertTrue(key.hasPrefix("simulation.network"), key)
        }
        XCTAssertNoThrow(try RunMemoryEstimate(try TestSupport.scenario(), jobs: 2).check(physicalMemoryBytes: sixGiB))
        // This machine runs the shipped-size scenarios: the default check passes for them.
        XCTAssertNoThrow(try RunMemoryEstimate(try TestSupport.scenario(), jobs: 2).check())
        XCTAssertLessThanOrEqual(MachineMemory.bytes, ProcessInfo.processInfo.physicalMemory)
        XCTAssertGreaterThan(MachineMemory.bytes, 0)
    }
}
