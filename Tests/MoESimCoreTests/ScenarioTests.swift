import XCTest
@testable import MoESimCore

/// Scenario decoding: defaults, overrides, and a precise message for every kind of bad value.
final class ScenarioTests: XCTestCase {
    func decode(_ text: String) throws -> Scenario { try Scenario.decode(JSONParser.parse(text)) }

    /// Asserts that decoding `text` fails at `keyPath` with a message containing `fragment`.
    func assertInvalid(_ text: String, keyPath: String, mentions fragment: String,
                       file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try decode(text), file: file, line: line) { error in
            guard case let .invalid(_, path, message)? = error as? ScenarioError else {
                return XCTFail("expected ScenarioError.invalid, got \(error)", file: file, line: line)
            }
            XCTAssertEqual(path, keyPath, file: file, line: line)
            XCTAssertTrue(message.contains(fragment), "message \"\(message)\" lacks \"\(fragment)\"", file: file, line: line)
            XCTAssertEqual((error as? ScenarioError)?.exitCode, 65, file: file, line: line)
        }
    }

    func testDefaultsOfAMinimalScenario() throws {
        let s = try decode(#"{"version": 1}"#)
        XCTAssertEqual(s.name, "scenario")
        XCTAssertEqual(s.cluster, ClusterPreset.dgxH100.spec)
        XCTAssertEqual(s.model, MoEModelSpec(hiddenSize: 4096, expertFFNSize: 14336, experts: 64, moeLayers: 1))
        XCTAssertEqual(s.tokensPerGPU, 4096)
        XCTAssertEqual(s.strategies.map(\.label), ["switch", "top-2", "sam-2"])
        XCTAssertNil(s.capacityFactor)
        XCTAssertEqual(s.synthetic.zipfExponent, 0)
        XCTAssertEqual(s.simulation, SimulationSpec(mode: .inference, steps: 1, seed: 1, network: .flow))
        XCTAssertEqual(s.microbatches, 1)
        XCTAssertEqual(s.cluster.fabric, .nonBlocking)
    }

    func testPresetFieldsCanBeOverridden() throws {
        let s = try decode("""
        {"version": 1, "cluster": {"preset": "h800", "nodes": 2, "nicsPerNode": 4,
          "gpu": {"peakTFLOPs": 500, "kernelLaunchUs": 2.5},
          "intraNodeLink": {"bandwidthGBps": 150, "efficiency": 1, "latencyUs": 0.5},
          "nicLink": {"bandwidthGBps": 25}},
         "routing": {"capacityFactor": 1.5, "strategies": [{"name": "sam", "k": 4, "deviceScore": "max"}]}}
        """)
        XCTAssertEqual(s.cluster.presetName, "h800")
        XCTAssertEqual(s.cluster.gpuCount, 16)
        XCTAssertEqual(s.cluster.nicsPerNode, 4)
        XCTAssertEqual(s.cluster.gpu.peakFLOPsPerSecond, 500e12)
        XCTAssertEqual(s.cluster.gpu.kernelLaunchNanos, 2_500)
        XCTAssertEqual(s.cluster.gpu.hbmBytesPerSecond, ClusterPreset.h800.spec.gpu.hbmBytesPerSecond)
        XCTAssertEqual(s.cluster.intraNodeLink, LinkSpec(bandwidthBytesPerSecond: 150e9, efficiency: 1, latencyNanos: 500))
        XCTAssertEqual(s.cluster.nicLink.bandwidthBytesPerSecond, 25e9)
        XCTAssertEqual(s.cluster.nicLink.efficiency, ClusterPreset.h800.spec.nicLink.efficiency)
        XCTAssertEqual(s.capacityFactor, 1.5)
        XCTAssertEqual(s.strategies, [RoutingStrategySpec(kind: .sam, k: 4, deviceScore: .max)])
    }

    func testEveryBadValueNamesItsKeyPath() {
        assertInvalid(#"{}"#, keyPath: "version", mentions: "missing")
        assertInvalid(#"{"version": 2}"#, keyPath: "version", mentions: "unsupported")
        assertInvalid(#"{"version": 1, "cluster": {"nodes": 0}}"#, keyPath: "cluster.nodes", mentions: "(got 0)")
        assertInvalid(#"{"version": 1, "cluster": {"nodes": -3}}"#, keyPath: "cluster.nodes", mentions: "(got -3)")
        assertInvalid(#"{"version": 1, "cluster": {"nodes": 1.5}}"#, keyPath: "cluster.nodes", mentions: "integer")
        assertInvalid(#"{"version": 1, "cluster": {"nodes": "2"}}"#, keyPath: "cluster.nodes", mentions: "(got \"2\")")
        assertInvalid(#"{"version": 1, "cluster": {"preset": "tpu"}}"#, keyPath: "cluster.preset", mentions: "dgx-h100")
        assertInvalid(#"{"version": 1, "cluster": {"nicLink": {"efficiency": 1.5}}}"#,
                      keyPath: "cluster.nicLink.efficiency", mentions: "(0, 1]")
        assertInvalid(#"{"version": 1, "cluster": {"intraNodeFabric": "ethernet"}}"#,
                      keyPath: "cluster.intraNodeFabric", mentions: "\"nvswitch\", \"pcie\"")
        assertInvalid(#"{"version": 1, "model": {"experts": 0}}"#, keyPath: "model.experts", mentions: "(got 0)")
        assertInvalid(#"{"version": 1, "model": {"experts": 12}}"#, keyPath: "model.experts", mentions: "multiple of the GPU count 8")
        assertInvalid(#"{"version": 1, "parallelism": {"tokensPerGPU": 0}}"#, keyPath: "parallelism.tokensPerGPU", mentions: "(got 0)")
        assertInvalid(#"{"version": 1, "routing": {"strategies": [{"name": "topk", "k": 65}]}}"#,
                      keyPath: "routing.strategies[0].k", mentions: "at most model.experts = 64")
        assertInvalid(#"{"version": 1, "routing": {"strategies": [{"name": "switch"}, {"name": "sam", "k": 9}]}}"#,
                      keyPath: "routing.strategies[1].k", mentions: "fewest experts on one GPU = 8")
        assertInvalid(#"{"version": 1, "model": {"experts": 512}, "routing": {"strategies": [{"name": "topk", "k": 129}]}}"#,
                      keyPath: "routing.strategies[0].k", mentions: "at most 128 experts per token")
        assertInvalid(#"{"version": 1, "routing": {"strategies": [{"name": "topk", "k": 0}]}}"#,
                      keyPath: "routing.strategies[0].k", mentions: "(got 0)")
        assertInvalid(#"{"version": 1, "routing": {"strategies": [{"name": "expert_choice"}]}}"#,
                      keyPath: "routing.strategies[0].name", mentions: "\"switch\", \"topk\", \"sam\", \"node-limited\"")
        assertInvalid(#"{"version": 1, "routing": {"strategies": [{"name": "node-limited", "k": 2}]}}"#,
                      keyPath: "routing.strategies[0].maxNodes", mentions: "missing")
        assertInvalid(#"{"version": 1, "cluster": {"nodes": 2}, "model": {"experts": 64}, "routing": {"strategies": [{"name": "node-limited", "k": 2, "maxNodes": 3}]}}"#,
                      keyPath: "routing.strategies[0].maxNodes", mentions: "[1, 2] (got 3)")
        assertInvalid(#"{"version": 1, "cluster": {"nodes": 2}, "model": {"experts": 64}, "routing": {"strategies": [{"name": "node-limited", "k": 2, "maxNodes": 0}]}}"#,
                      keyPath: "routing.strategies[0].maxNodes", mentions: "(got 0)")
        assertInvalid(#"{"version": 1, "cluster": {"nodes": 4}, "model": {"experts": 64}, "routing": {"strategies": [{"name": "node-limited", "k": 17, "maxNodes": 1}]}}"#,
                      keyPath: "routing.strategies[0].k", mentions: "fewest experts on any maxNodes = 1 node(s) = 16")
        assertInvalid(#"{"version": 1, "routing": {"strategies": [{"name": "expert-choice", "k": 65}]}}"#,
                      keyPath: "routing.strategies[0].k", mentions: "at most model.experts = 64")
        assertInvalid(#"{"version": 1, "routing": {"strategies": [{"name": "hash", "k": 2}]}}"#,
                      keyPath: "routing.strategies[0].k", mentions: "unknown key")
        assertInvalid(#"{"version": 1, "routing": {"strategies": [{"k": 2}]}}"#,
                      keyPath: "routing.strategies[0].name", mentions: "missing")
        assertInvalid(#"{"version": 1, "routing": {"strategies": []}}"#, keyPath: "routing.strategies", mentions: "non-empty")
        assertInvalid(#"{"version": 1, "routing": {"capacityFactor": 0}}"#, keyPath: "routing.capacityFactor", mentions: "> 0")
        assertInvalid(#"{"version": 1, "trace": {"synthetic": {"zipf": -1}}}"#, keyPath: "trace.synthetic.zipf", mentions: "(got -1)")
        assertInvalid(#"{"version": 1, "simulation": {"network": "packet"}}"#, keyPath: "simulation.network", mentions: "\"flow\"")
        assertInvalid(#"{"version": 1, "simulation": {"flowPrecision": 0}}"#, keyPath: "simulation.flowPrecision", mentions: "1e-9")
        assertInvalid(#"{"version": 1, "simulation": {"flowPrecision": 0.1}}"#, keyPath: "simulation.flowPrecision", mentions: "0.01")
        assertInvalid(#"{"version": 1, "simulation": {"flowPrecision": "exact"}}"#, keyPath: "simulation.flowPrecision", mentions: "number")
        assertInvalid(#"{"version": 1, "parallelism": {"microbatches": 2}, "simulation": {"network": "analytical"}}"#, keyPath: "parallelism.microbatches", mentions: "flow")
        assertInvalid(#"{"version": 1, "parallelism": {"microbatches": 0}}"#, keyPath: "parallelism.microbatches", mentions: "0")
        assertInvalid(#"{"version": 1, "parallelism": {"microbatches": 8, "tokensPerGPU": 4}}"#, keyPath: "parallelism.microbatches", mentions: "tokensPerGPU")
        assertInvalid(#"{"version": 1, "cluster": {"fabric": {"kind": "torus"}}}"#, keyPath: "cluster.fabric.kind", mentions: "fat-tree")
        assertInvalid(#"{"version": 1, "cluster": {"fabric": {"kind": "fat-tree", "oversubscription": 0.5}}}"#, keyPath: "cluster.fabric.oversubscription", mentions: "0.5")
        assertInvalid(#"{"version": 1, "cluster": {"fabric": {"kind": "rail", "nodesPerLeaf": 2}}}"#, keyPath: "cluster.fabric.nodesPerLeaf", mentions: "unknown")
        assertInvalid(#"{"version": 1, "cluster": {"pcieSwitchesPerNode": 9}}"#, keyPath: "cluster.pcieSwitchesPerNode", mentions: "9")
        assertInvalid(#"{"version": 1, "simulation": {"mode": "serving"}}"#, keyPath: "simulation.mode", mentions: "\"inference\", \"training\"")
        assertInvalid(#"{"version": 1, "trace": {"file": 7}}"#, keyPath: "trace.file", mentions: "(got 7)")
        assertInvalid(#"{"version": 1, "simulation": {"steps": 0}}"#, keyPath: "simulation.steps", mentions: "(got 0)")
        assertInvalid(#"{"version": 1, "name": "a/b"}"#, keyPath: "name", mentions: "letters")
        assertInvalid(#"{"version": 1, "cluster": []}"#, keyPath: "cluster", mentions: "expected an object")
        assertInvalid(#"{"version": 1, "cluster": {"nodes": 2048}, "model": {"experts": 16384}}"#,
                      keyPath: "cluster.nodes", mentions: "16384 GPUs; at most 8192")
        assertInvalid(#"{"version": 1, "cluster": {"nodes": 64}, "model": {"experts": 4096}, "parallelism": {"tokensPerGPU": 8192}}"#,
                      keyPath: "parallelism.tokensPerGPU", mentions: "needs 64.0 GiB; at most 2 GiB")
    }

    func testUnknownKeysAreErrorsThatNameThem() {
        assertInvalid(#"{"version": 1, "modle": {}}"#, keyPath: "modle", mentions: "unknown key")
        assertInvalid(#"{"version": 1, "cluster": {"gpuToNICLink": {"latencyUs": 5}}}"#,
                      keyPath: "cluster.gpuToNICLink.latencyUs", mentions: "allowed here: bandwidthGBps, efficiency)")
        assertInvalid(#"{"version": 1, "model": {"hiddenSise": 1024}}"#, keyPath: "model.hiddenSise", mentions: "hiddenSize")
        assertInvalid(#"{"version": 1, "cluster": {"gpu": {"tflops": 1}}}"#, keyPath: "cluster.gpu.tflops", mentions: "peakTFLOPs")
        assertInvalid(#"{"version": 1, "routing": {"strategies": [{"name": "switch", "k": 2}]}}"#,
                      keyPath: "routing.strategies[0].k", mentions: "unknown key")
        assertInvalid(#"{"version": 1, "routing": {"strategies": [{"name": "sam", "maxNodes": 2}]}}"#,
                      keyPath: "routing.strategies[0].maxNodes", mentions: "unknown key")
        assertInvalid(#"{"version": 1, "routing": {"strategies": [{"name": "switch", "k": 2}]}}"#,
                      keyPath: "routing.strategies[0].k", mentions: "allowed here: name, dedup)")
        assertInvalid(#"{"version": 1, "routing": {"strategies": [{"name": "topk", "dedup": "rack"}]}}"#,
                      keyPath: "routing.strategies[0].dedup", mentions: "\"gpu\", \"node\", \"none\"")
        assertInvalid(#"{"version": 1, "parallelism": {"transport": "tcp"}}"#,
                      keyPath: "parallelism.transport", mentions: "\"nvlink\", \"rdma\"")
    }

    func testLoadReportsMissingFilesAndSyntaxErrorsWithTheFileName() throws {
        XCTAssertThrowsError(try Scenario.load(file: "/nonexistent/s.json")) { error in
            XCTAssertEqual(error as? ScenarioError, .fileNotFound(file: "/nonexistent/s.json"))
            XCTAssertEqual((error as? ScenarioError)?.exitCode, 66)
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("moesim-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let broken = directory.appendingPathComponent("broken.json").path
        try Data("{\n  \"version\": 1,\n  \"name\": \"x\",\n}".utf8).write(to: URL(fileURLWithPath: broken))
        XCTAssertThrowsError(try Scenario.load(file: broken)) { error in
            let text = String(describing: error)
            XCTAssertTrue(text.hasPrefix(broken), text)
            XCTAssertTrue(text.contains("line 4"), text)
            XCTAssertEqual((error as? ScenarioError)?.exitCode, 65)
        }
        let invalid = directory.appendingPathComponent("invalid.json").path
        try Data(#"{"version": 1, "model": {"experts": -1}}"#.utf8).write(to: URL(fileURLWithPath: invalid))
        XCTAssertThrowsError(try Scenario.load(file: invalid)) { error in
            XCTAssertEqual(String(describing: error), "\(invalid): model.experts: must be in [1, 65536] (got -1)")
        }
    }
}

/// The strict JSON parser behind scenario files.
final class JSONParserTests: XCTestCase {
    func testParsesEveryKindOfValueAndKeepsKeyOrder() throws {
        let value = try JSONParser.parse(#"{"b": [1, -2.5e3, true, false, null], "a": "x\u00e9\n\"", "c": {}}"#)
        XCTAssertEqual(value, .object([
            ("b", .array([.number(1), .number(-2500), .bool(true), .bool(false), .null])),
            ("a", .string("xé\n\"")),
            ("c", .object([])),
        ]))
        XCTAssertEqual(try JSONParser.parse(#""\ud83d\ude00""#), .string("😀"))
    }

    func testRejectsMalformedDocumentsWithAPosition() {
        let cases: [(String, Int, Int)] = [
            ("{\"a\": 1,}", 1, 9), ("[1 2]", 1, 4), ("{\"a\" 1}", 1, 6), ("01", 1, 2), ("\"abc", 1, 5),
            ("{\n\"a\": tru}", 2, 6), ("{\"a\": 1, \"a\": 2}", 1, 10), ("", 1, 1), ("{} x", 1, 4), ("1.", 1, 3),
        ]
        for (text, line, column) in cases {
            XCTAssertThrowsError(try JSONParser.parse(text), text) { error in
                guard let syntax = error as? JSONParser.SyntaxError else { return XCTFail("\(error)") }
                XCTAssertEqual(syntax.line, line, "\(text): \(syntax)")
                XCTAssertEqual(syntax.column, column, "\(text): \(syntax)")
            }
        }
    }

    func testWriterQuotesStringsTheParserReadsBack() throws {
        let text = "a\"b\\c\t\u{01}é"
        XCTAssertEqual(try JSONParser.parse(JSONValue.quoted(text)), .string(text))
    }
}
