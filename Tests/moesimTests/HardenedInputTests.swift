import Foundation
import XCTest

/// The issue-22 input reproducers through the built binary: each is one `moesim: ` message and
/// exit 65, nothing on stdout, no crash (exit 132) and no capped number.
final class HardenedInputTests: MoesimTestCase {
    /// computeEfficiency 1e-300 over 1024 layers trapped with steps 3 and printed a capped
    /// 1000000000003 µs with steps 1.
    func testScenarioWhoseTimesOverflowIsRefusedNamingTheKeys() throws {
        for steps in [3, 1] {
            let file = try write(#"{"version":1,"cluster":{"gpu":{"computeEfficiency":1e-300,"hbmGB":1e9}},"model":{"experts":8,"moeLayers":1024},"#
                + #""parallelism":{"tokensPerGPU":1},"routing":{"strategies":[{"name":"switch"}]},"#
                + #""simulation":{"network":"analytical","steps":\#(steps)}}"#, to: "overflow-\(steps).json")
            let run = try moesim("simulate", file, "--format", "csv")
            assertFailure(run, 65, mentions: ["cluster.gpu.computeEfficiency", "the gate phase of layer 0 of step 0 under switch"])
        }
    }

    /// `simulate` refuses a trace with trailing data exactly as `trace stats` does.
    func testSimulateAndTraceStatsRefuseTrailingBytesAlike() throws {
        let trace = path("t.moetrace")
        assertStatus(try moesim("trace", "generate", "--experts", "8", "--tokens", "64", "--gpus", "8", "--steps", "2", "-o", trace), 0)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: trace))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data([0]))
        try handle.close()
        let scenario = try write(#"{"version":1,"cluster":{"gpusPerNode":8},"model":{"experts":8,"moeLayers":1},"#
            + #""trace":{"file":"t.moetrace"},"routing":{"strategies":[{"name":"switch"}]}}"#, to: "replay.json")
        assertFailure(try moesim("simulate", scenario), 65, mentions: [scenario, "trace.file", "t.moetrace", "1 more bytes"])
        assertFailure(try moesim("trace", "stats", trace), 65, mentions: [trace, "1 more bytes"])
    }
}
