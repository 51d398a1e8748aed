import Foundation
import XCTest

/// Bad input data (65), missing files (66) and usage errors (64): exit code, one
/// `moesim: ` message naming the file and key path, nothing on stdout, nothing written.
final class BadScenarioTests: MoesimTestCase {
    private let valid = ScenarioText.minimal()

    func testMinimalScenarioIsValid() throws {
        let file = try write(valid, to: "ok.json")
        let run = try moesim("simulate", file)
        assertStatus(run, 0)
        XCTAssertEqual(run.stderr, "", run.brief)
    }

    func testMalformedJSON() throws {
        let truncated = String(valid.dropLast(3))
        let file = try write(truncated, to: "truncated.json")
        let run = try moesim("simulate", file)
        assertFailure(run, 65, mentions: [file, "JSON", "line 1"])

        let trailingComma = try mutate(valid, #""seed":1}"#, #""seed":1,}"#)
        let file2 = try write(trailingComma, to: "comma.json")
        assertFailure(try moesim("simulate", file2), 65, mentions: [file2, "line"])

        let empty = try write("", to: "empty.json")
        assertFailure(try moesim("simulate", empty), 65, mentions: [empty])

        let duplicateKey = try mutate(valid, #""nodes":1"#, #""nodes":1,"nodes":2"#)
        let file3 = try write(duplicateKey, to: "dup.json")
        assertFailure(try moesim("simulate", file3), 65, mentions: [file3, "duplicate"])
        let out = try moesim("simulate", file3, "--out", path("never"))
        assertFailure(out, 65, mentions: [file3])
        XCTAssertFalse(exists("never"))
    }

    func testTopLevelNotAnObject() throws {
        let file = try write("[1, 2]", to: "array.json")
        assertFailure(try moesim("simulate", file), 65, mentions: [file])
    }

    func testUnknownKeys() throws {
        try assertBadData(try mutate(valid, #""hiddenSize""#, #""hiddenSise""#), keyPath: "model.hiddenSise")
        try assertBadData(try mutate(valid, #""version":1,"#, #""version":1,"extra":true,"#), keyPath: "extra")
        try assertBadData(try mutate(valid, #""nodes":1"#, #""nodes":1,"node":2"#), keyPath: "cluster.node")
        try assertBadData(try mutate(valid, #"{"name":"topk","k":2}"#, #"{"name":"topk","k":2,"kk":3}"#),
                          keyPath: "routing.strategies[1].kk")
        try assertBadData(try mutate(valid, #""zipf":1.0"#, #""zipf":1.0,"zipff":2"#), keyPath: "trace.synthetic.zipff")
        try assertBadData(try mutate(valid, #""seed":1"#, #""seed":1,"sed":2"#), keyPath: "simulation.sed")
        try assertBadData(try mutate(valid, #""tokensPerGPU":64"#, #""tokensPerGPU":64,"tokensPerGpu":64"#),
                          keyPath: "parallelism.tokensPerGpu")
    }

    /// The compute model's keys: an unknown type, a type the GPU has no peak for, a tile that is not a
    /// positive integer: exit 65 with the key, the value and what is allowed.
    func testBadComputeTypeAndTileSize() throws {
        let unknown = try mutate(valid, #""hiddenSize":256"#, #""hiddenSize":256,"computeType":"fp4""#)
        try assertBadData(unknown, keyPath: "model.computeType")
        let file = try write(unknown, to: "fp4.json")
        assertFailure(try moesim("simulate", file), 65, mentions: ["\"fp4\"", "\"bf16\", \"fp16\", \"fp8\""])

        var a100 = try mutate(valid, #""preset":"dgx-h100""#, #""preset":"dgx-a100""#)
        a100 = try mutate(a100, #""hiddenSize":256"#, #""hiddenSize":256,"computeType":"fp8""#)
        try assertBadData(a100, keyPath: "model.computeType")
        let a100File = try write(a100, to: "a100-fp8.json")
        assertFailure(try moesim("simulate", a100File), 65, mentions: ["\"fp8\"", "A100", "\"bf16\", \"fp16\""])
        // The same GPU with an FP8 peak given is fine.
        let withPeak = try mutate(a100, #""nodes":1"#, #""nodes":1,"gpu":{"fp8PeakTFLOPs":624}"#)
        assertStatus(try moesim("simulate", try write(withPeak, to: "a100-fp8-peak.json")), 0)

        for (key, value) in [("tileRows", "0"), ("tileColumns", "-8"), ("tileRows", "12.5"), ("tileColumns", "\"wide\"")] {
            let bad = try mutate(valid, #""nodes":1"#, #""nodes":1,"gpu":{"\#(key)":\#(value)}"#)
            try assertBadData(bad, keyPath: "cluster.gpu.\(key)")
            let badFile = try write(bad, to: "tile-\(key).json")
            assertFailure(try moesim("simulate", badFile), 65, mentions: ["(got \(value))", "[1, 4096]"])
        }
    }

    func testZeroAndNegativeCounts() throws {
        try assertBadData(try mutate(valid, #""nodes":1"#, #""nodes":0"#), keyPath: "cluster.nodes")
        try assertBadData(try mutate(valid, #""nodes":1"#, #""nodes":-2"#), keyPath: "cluster.nodes")
        try assertBadData(try mutate(valid, #""experts":16"#, #""experts":0"#), keyPath: "model.experts")
        try assertBadData(try mutate(valid, #""experts":16"#, #""experts":-16"#), keyPath: "model.experts")
        try assertBadData(try mutate(valid, #""hiddenSize":256"#, #""hiddenSize":0"#), keyPath: "model.hiddenSize")
        try assertBadData(try mutate(valid, #""tokensPerGPU":64"#, #""tokensPerGPU":0"#),
                          keyPath: "parallelism.tokensPerGPU")
        try assertBadData(try mutate(valid, #""tokensPerGPU":64"#, #""tokensPerGPU":-64"#),
                          keyPath: "parallelism.tokensPerGPU")
        try assertBadData(try mutate(valid, #"{"name":"topk","k":2}"#, #"{"name":"topk","k":0}"#),
                          keyPath: "routing.strategies[1].k")
        try assertBadData(try mutate(valid, #"{"name":"sam","k":2}"#, #"{"name":"sam","k":-1}"#),
                          keyPath: "routing.strategies[2].k")
        try assertBadData(try mutate(valid, #""seed":1"#, #""seed":1,"steps":0"#), keyPath: "simulation.steps")
        try assertBadData(try mutate(valid, #""seed":1"#, #""seed":-1"#), keyPath: "simulation.seed")
    }

    func testWrongTypes() throws {
        try assertBadData(try mutate(valid, #""nodes":1"#, #""nodes":"2""#), keyPath: "cluster.nodes")
        try assertBadData(try mutate(valid, #""experts":16"#, #""experts":16.5"#), keyPath: "model.experts")
        try assertBadData(try mutate(valid, #""tokensPerGPU":64"#, #""tokensPerGPU":true"#),
                          keyPath: "parallelism.tokensPerGPU")
        try assertBadData(try mutate(valid, #""zipf":1.0"#, #""zipf":"high""#), keyPath: "trace.synthetic.zipf")
        try assertBadData(try mutate(valid, #"{"name":"topk","k":2}"#, #"{"name":"topk","k":"2"}"#),
                          keyPath: "routing.strategies[1].k")
        try assertBadData(try mutate(valid, #"{"name":"topk","k":2}"#, #"{"name":"topk","k":2,"dedup":"yes"}"#),
                          keyPath: "routing.strategies[1].dedup")
        try assertBadData(try mutate(valid, ScenarioText.allStrategies, #"{"name":"switch"}"#),
                          keyPath: "routing.strategies")
        try assertBadData(try mutate(valid, ScenarioText.allStrategies, "[]"), keyPath: "routing.strategies")
        try assertBadData(try mutate(valid, #"{"preset":"dgx-h100","nodes":1}"#, "8"), keyPath: "cluster")
        try assertBadData(try mutate(valid, #"{"name":"switch"}"#, #"{"name":"mixture-of-depths"}"#),
                          keyPath: "routing.strategies[0].name")
        try assertBadData(try mutate(valid, #"{"name":"switch"}"#, #"{"k":1}"#), keyPath: "routing.strategies[0].name")
        try assertBadData(try mutate(valid, #""name":"t""#, #""name":"../t""#), keyPath: "name")
    }

    func testTopKLargerThanExperts() throws {
        try assertBadData(try mutate(valid, #"{"name":"topk","k":2}"#, #"{"name":"topk","k":17}"#),
                          keyPath: "routing.strategies[1].k")
        // k == experts is allowed.
        let file = try write(try mutate(valid, #"{"name":"topk","k":2}"#, #"{"name":"topk","k":16}"#), to: "k16.json")
        assertStatus(try moesim("simulate", file, "--format", "csv"), 0)
    }

    func testSAMLargerThanExpertsPerGPU() throws {
        // 16 experts on 8 GPUs: 2 per GPU.
        try assertBadData(try mutate(valid, #"{"name":"sam","k":2}"#, #"{"name":"sam","k":3}"#),
                          keyPath: "routing.strategies[2].k")
        // With 8 experts (1 per GPU) the default SAM k=2 is too large too.
        try assertBadData(ScenarioText.minimal(experts: 8, strategies: #"[{"name":"switch"},{"name":"sam"}]"#),
                          keyPath: "routing.strategies[1].k")
    }

    func testUnsupportedOrMissingVersion() throws {
        try assertBadData(try mutate(valid, #""version":1"#, #""version":2"#), keyPath: "version")
        try assertBadData(try mutate(valid, #""version":1"#, #""version":"1""#), keyPath: "version")
        try assertBadData(try mutate(valid, #""version":1,"#, ""), keyPath: "version")
    }

    func testUnknownPreset() throws {
        try assertBadData(try mutate(valid, #""preset":"dgx-h100""#, #""preset":"dgx-z100""#), keyPath: "cluster.preset")
    }

    func testExpertsNotAMultipleOfGPUs() throws {
        try assertBadData(try mutate(valid, #""experts":16"#, #""experts":12"#), keyPath: "model.experts")
        // 2 nodes = 16 GPUs: 8 experts is not a multiple either.
        let twoNodes = try mutate(ScenarioText.minimal(experts: 8, strategies: #"[{"name":"switch"}]"#),
                                  #""nodes":1"#, #""nodes":2"#)
        try assertBadData(twoNodes, keyPath: "model.experts")
    }

    /// The first bad file stops everything, even after a good one: nothing printed, nothing written.
    func testBadFileAfterGoodFileRunsNothing() throws {
        let good = try write(valid, to: "good.json")
        let bad = try write(try mutate(valid, #""nodes":1"#, #""nodes":0"#), to: "bad.json")
        let run = try moesim("simulate", good, bad, "--format", "csv", "--out", path("out"))
        assertFailure(run, 65, mentions: [bad, "cluster.nodes"])
        XCTAssertFalse(run.stderr.contains(good), run.brief)
        XCTAssertFalse(exists("out"))
    }
}

final class MissingFileTests: MoesimTestCase {
    func testMissingFile() throws {
        let missing = path("no-such-scenario.json")
        let run = try moesim("simulate", missing)
        assertFailure(run, 66, mentions: [missing])
    }

    func testMissingFileRelativePathIsNamedAsGiven() throws {
        let run = try moesim("simulate", "nowhere/missing.json", "--format", "csv")
        assertFailure(run, 66, mentions: ["nowhere/missing.json"])
    }

    func testMissingSecondFileRunsNothing() throws {
        let good = try write(ScenarioText.minimal(), to: "good.json")
        let missing = path("missing.json")
        let run = try moesim("simulate", good, missing, "--out", path("out"))
        assertFailure(run, 66, mentions: [missing])
        XCTAssertFalse(exists("out"))
    }
}

final class UsageErrorTests: MoesimTestCase {
    private var scenario: String!

    override func setUpWithError() throws {
        try super.setUpWithError()
        scenario = try write(ScenarioText.minimal(), to: "ok.json")
    }

    func testUnknownFlag() throws {
        assertFailure(try moesim("simulate", scenario, "--bogus"), 64, mentions: ["--bogus"])
        assertFailure(try moesim("simulate", "--bogus", scenario), 64, mentions: ["--bogus"])
        assertFailure(try moesim("simulate", scenario, "--bogus=1"), 64, mentions: ["--bogus"])
        assertFailure(try moesim("simulate", scenario, "-x"), 64, mentions: ["-x"])
        assertFailure(try moesim("presets", "--bogus"), 64, mentions: ["--bogus"])
        assertFailure(try moesim("--bogus"), 64, mentions: ["--bogus"])
    }

    func testUnknownFlagWithOutWritesNothing() throws {
        let run = try moesim("simulate", scenario, "--out", path("out"), "--bogus")
        assertFailure(run, 64, mentions: ["--bogus"])
        XCTAssertFalse(exists("out"))
    }

    func testUnknownCommand() throws {
        assertFailure(try moesim("simulat", scenario), 64, mentions: ["simulat"])
        assertFailure(try moesim("help", "frobnicate"), 64, mentions: ["frobnicate"])
    }

    func testNoFile() throws {
        assertFailure(try moesim("simulate"), 64, mentions: [])
        assertFailure(try moesim("simulate", "--format", "csv"), 64, mentions: [])
    }

    func testBadFormat() throws {
        assertFailure(try moesim("simulate", scenario, "--format", "xml"), 64, mentions: ["xml"])
        assertFailure(try moesim("simulate", scenario, "--format=yaml"), 64, mentions: ["yaml"])
        assertFailure(try moesim("simulate", scenario, "--format"), 64, mentions: ["--format"])
        assertFailure(try moesim("presets", "--format", "json"), 64, mentions: ["json"])
    }

    func testBadSeed() throws {
        for seed in ["abc", "-1", "1.5", "", "9223372036854775808", "18446744073709551616", "0x10"] {
            let run = try moesim("simulate", scenario, "--seed", seed)
            assertFailure(run, 64, mentions: ["--seed"])
        }
        assertFailure(try moesim("simulate", scenario, "--seed"), 64, mentions: ["--seed"])
    }

    /// Usage is checked before any file is read: a usage error wins over a missing file.
    func testUsageErrorBeforeMissingFile() throws {
        assertFailure(try moesim("simulate", path("missing.json"), "--format", "xml"), 64, mentions: ["xml"])
    }

    func testPresetsTakesNoArguments() throws {
        assertFailure(try moesim("presets", "dgx-h100"), 64, mentions: ["dgx-h100"])
    }
}
