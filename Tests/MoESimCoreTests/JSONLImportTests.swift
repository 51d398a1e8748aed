import Foundation
import XCTest
@testable import MoESimCore

/// JSON-lines routing logs: every recognised naming, filters, ragged and out-of-order tokens,
/// steps, and bad lines refused with their line number.
final class JSONLImportTests: TemporaryDirectoryTestCase {
    private func write(_ lines: [String], name: String = "log.jsonl") throws -> String {
        let path = directory.appendingPathComponent(name).path
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    private func imported(_ lines: [String], _ configure: (inout TraceImporter.Options) -> Void = { _ in }) throws
        -> (TraceImporter.Summary, [TraceBatch]) {
        var options = TraceImporter.Options()
        configure(&options)
        let output = directory.appendingPathComponent("out.moetrace").path
        let summary = try TraceImporter.importFile(from: try write(lines), to: output, options: options)
        let source = try TraceSource(file: output)
        var batches: [TraceBatch] = []
        var batch = TraceBatch()
        while try source.nextBatch(into: &batch) { batches.append(batch) }
        return (summary, batches)
    }

    /// Expert ids of token t in layer l: distinct, in [0, 8).
    private func ids(_ layer: Int, _ token: Int) -> [Int] { [(layer + 3 * token) % 8, (layer + 3 * token + 1) % 8] }

    func testEveryRecognisedNamingImportsTheSameChoices() throws {
        let namings = [("layer", "token_pos", "experts", "gating_probs"), ("layer_id", "position", "topk_ids", "topk_weights"),
                       ("layer_idx", "token_idx", "expert_ids", "weights"), ("layer_index", "pos", "selected_experts", "routing_weights")]
        var reference: [TraceBatch]?
        for (layer, token, experts, weights) in namings {
            let lines = (0..<2).flatMap { l in
                (0..<4).map { t in
                    "{\"\(layer)\": \(l), \"\(token)\": \(t), \"\(experts)\": \(ids(l, t)), \"\(weights)\": [0.75, 0.25], \"x\": {\"y\": [1, \"]\"]}}"
                }
            }
            let (summary, batches) = try imported(lines)
            XCTAssertEqual(summary.header.payload, .choices, experts)
            XCTAssertEqual([summary.header.layers, summary.header.tokensPerStep, summary.header.k, summary.header.experts],
                           [2, 4, 2, 8], experts)
            XCTAssertEqual(batches[1].experts, (0..<4).flatMap { ids(1, $0).map(Int32.init) }, experts)
            XCTAssertEqual(batches[0].weights, [Float](repeating: 0, count: 4).flatMap { _ in [Float(0.75), 0.25] }, weights)
            if let reference { XCTAssertEqual(batches, reference, "\(experts) reads as the others") }
            reference = batches
        }
    }

    func testLogitsPerTokenWithLayerRowsAndFlagsAndFilters() throws {
        // One line per token, one row per layer (no layer field); other record types in between.
        func logit(_ t: Int, _ l: Int, _ e: Int) -> Double { Double(t * 8 + l * 4 + e) / 4 - 1 }
        let logits: [[[Double]]] = (0..<3).map { t in (0..<2).map { l in (0..<4).map { e in logit(t, l, e) } } }
        let lines = (0..<3).flatMap { t in
            ["{\"type\": \"meta\", \"note\": \"ignored\"}",
             "{\"type\": \"route\", \"tok\": \(t), \"router_logits\": \(logits[t]), \"other\": null}"]
        }
        let (summary, batches) = try imported(lines) {
            $0.log.filters = [JSONLRoutingLog.Filter(field: "type", value: "route")]
            _ = $0.log.setField(flag: "--token-field", name: "tok")
        }
        XCTAssertEqual(summary.header.payload, .scores)
        XCTAssertEqual([summary.header.layers, summary.header.tokensPerStep, summary.header.experts], [2, 3, 4])
        XCTAssertEqual(batches[1].scores, (0..<3).flatMap { logits[$0][1].map(Float.init) }, "layer 1 = row 1 of each token")
        XCTAssertTrue(summary.notes.contains { $0.contains("3 not matching --where") }, "\(summary.notes)")
        // Without the filter, the meta lines have no routing field: skipped and counted too.
        let (unfiltered, same) = try imported(lines) { _ = $0.log.setField(flag: "--token-field", name: "tok") }
        XCTAssertEqual(same, batches)
        XCTAssertTrue(unfiltered.notes.contains { $0.contains("3 without routing fields") }, "\(unfiltered.notes)")
    }

    func testOutOfOrderAndRaggedTokensKeepTheCompleteOnesInPositionOrder() throws {
        // Layers interleaved, tokens shuffled; token 2 lacks layer 1, token 5 lacks layer 0.
        var lines: [String] = []
        for (l, t) in [(1, 4), (0, 3), (0, 1), (1, 0), (0, 4), (1, 3), (0, 0), (1, 1), (0, 2), (1, 5)] {
            lines.append("{\"layer\": \(l), \"token_pos\": \(t), \"experts\": \(ids(l, t))}")
        }
        let (summary, batches) = try imported(lines)
        XCTAssertEqual(summary.header.tokensPerStep, 4, "tokens 0, 1, 3, 4")
        XCTAssertEqual(batches[0].experts, [0, 1, 3, 4].flatMap { ids(0, $0).map(Int32.init) })
        XCTAssertEqual(batches[1].experts, [0, 1, 3, 4].flatMap { ids(1, $0).map(Int32.init) })
        XCTAssertEqual(batches[0].weights, [Float](repeating: 0.5, count: 8), "no weights: 1/k")
        XCTAssertTrue(summary.notes.contains { $0.contains("dropped 2 of 6 tokens") }, "\(summary.notes)")

        XCTAssertThrowsError(try imported(lines) { $0.log.strict = true }) { error in
            XCTAssertTrue("\(error)".contains("line 9: token 2 of step 0 (0-based)"), "\(error)")
            XCTAssertTrue("\(error)".contains("no record for layer 1"), "\(error)")
        }
    }

    func testStepsAreEqualisedAndTheRemainderDroppedWhenAsked() throws {
        // Step "a" has 3 complete tokens, step "b" 4: each keeps 3; over 2 GPUs, 2 with --drop-remainder.
        let lines = [("a", 3), ("b", 4)].flatMap { step, count in
            (0..<count).map { t in "{\"request_id\": \"\(step)\", \"layer\": 0, \"experts\": [\(t % 8)]}" }
        }
        let (summary, batches) = try imported(lines) {
            $0.gpus = 2
            $0.dropRemainder = true
        }
        XCTAssertEqual([summary.header.steps, summary.header.tokensPerStep], [2, 2])
        XCTAssertEqual(batches.map(\.experts), [[0, 1], [0, 1]])
        XCTAssertTrue(summary.notes.contains { $0.contains("steps have 3–4 complete tokens; each keeps its first 3") }, "\(summary.notes)")
        XCTAssertTrue(summary.notes.contains { $0.contains("--drop-remainder: dropped the last 1 of 3 tokens") }, "\(summary.notes)")
        XCTAssertThrowsError(try imported(lines) { $0.gpus = 2 }) {
            XCTAssertTrue("\($0)".contains("add --drop-remainder"), "\($0)")
        }
    }

    func testPadAppendsRoundRobinTokensAfterTheKeptOnes() throws {
        // Steps of 3 kept tokens (k = 2 of 8 experts) over 4 GPUs: 1 padded token per step, picking experts 0 and 1.
        let lines = [("a", 3), ("b", 4)].flatMap { step, count in
            (0..<count).map { t in "{\"request_id\": \"\(step)\", \"layer\": 0, \"experts\": [\(t + 3), \(t + 4)], \"weights\": [0.75, 0.25]}" }
        }
        let (summary, batches) = try imported(lines) {
            $0.gpus = 4
            $0.pad = true
        }
        XCTAssertEqual([summary.header.steps, summary.header.tokensPerStep], [2, 4])
        XCTAssertEqual(batches.map(\.experts), [[3, 4, 4, 5, 5, 6, 0, 1], [3, 4, 4, 5, 5, 6, 0, 1]])
        XCTAssertEqual(batches[0].weights, [0.75, 0.25, 0.75, 0.25, 0.75, 0.25, 0.5, 0.5])
        XCTAssertTrue(summary.notes.contains { $0.contains("--pad: padded each of 2 step(s) from 3 to 4 tokens (2 padded tokens in all)")
            && $0.contains("add 25% to every layer's load") }, "\(summary.notes)")
    }

    func testBatchesLargerThanAWindowAreGatheredInWindowsWhateverTheTokenOrder() throws {
        // 70,000 tokens × 2 layers of top-2 ids (payload 1.1 MB a batch: 2 chunks of 65,536 tokens), in a
        // seeded shuffled order, token 7 missing from layer 1, over 4 GPUs with --pad: windows of one chunk
        // read the records again.
        var random = SplitMix64(seed: 7)
        var units = (0..<2).flatMap { layer in (0..<70_000).map { (layer, $0) } }.filter { $0 != (1, 7) }
        units.shuffle(using: &random)
        let path = try write(units.map { "{\"layer\": \($0.0), \"token_pos\": \($0.1), \"experts\": \(ids($0.0, $0.1))}" })
        var traces: [Data] = []
        for partBytes in [8 << 20, 1] {
            var options = TraceImporter.Options()
            options.partBytes = partBytes
            options.gpus = 4
            options.pad = true
            let output = directory.appendingPathComponent("w\(partBytes).moetrace").path
            let summary = try TraceImporter.importFile(from: path, to: output, options: options)
            XCTAssertEqual([summary.header.tokensPerStep, summary.header.chunkTokens], [70_000, 65_536], "69,999 complete + 1 padded")
            traces.append(try Data(contentsOf: URL(fileURLWithPath: output)))
        }
        XCTAssertEqual(traces[0], traces[1], "one window or two: byte-identical traces")
        let source = try TraceSource(file: directory.appendingPathComponent("w1.moetrace").path)
        var batch = TraceBatch()
        for layer in 0..<2 {
            XCTAssertTrue(try source.nextBatch(into: &batch))
            let kept = (0..<70_000).filter { $0 != 7 }
            XCTAssertEqual(batch.experts, kept.flatMap { ids(layer, $0).map(Int32.init) } + [0, 1], "layer \(layer)")
        }
    }

    func testBadLinesAreRefusedWithTheirLineNumber() {
        let good = "{\"layer\": 0, \"experts\": [1, 2]}"
        let cases: [([String], String)] = [
            ([good, "{\"layer\": 0, \"experts\": [1, 2}"], "line 2: column 30"),
            ([good, "", "not json"], "line 3: column 1"),
            ([good, "{\"layer\": 0, \"experts\": [1, 2, 3]}"], "line 2: number of expert ids (k) must be 2"),
            ([good, "{\"layer\": 0, \"experts\": [1, 9]}"], "line 2: expert id 1: expert id 9 is out of range"),
            ([good, "{\"layer\": 0, \"experts\": [3, 3]}"], "line 2: expert ids must be k different experts"),
            ([good, "{\"layer\": 0, \"experts\": [1, 2], \"weights\": [NaN, 1]}"], "line 2: a value of the weights is nan"),
            ([good, "{\"layer\": 0, \"experts\": [1.5, 2]}"], "line 2: expert id 0: expert id 1 is out of range"),
            (["{\"step\": 1, \"layer\": 0, \"experts\": [1]}", "{\"step\": 2, \"layer\": 0, \"experts\": [1]}",
              "{\"step\": 1, \"layer\": 0, \"experts\": [1]}"], "line 3: step \"1\" must be on consecutive lines"),
            ([good, "{\"layer\": 0, \"token_pos\": 0, \"experts\": [1, 2]}"], "line 2: record of layer 0, token 0"),
            ([good, "{\"layer\": 0, \"token_pos\": 1073741823, \"experts\": [1, 2]}"], "line 2: token position must be in [0, 16777216)"),
            (["{\"type\": \"meta\"}"], "routing records must be lines with expert ids"),
            ([good, "{\"layer\": 0, \"experts\": [1, 2]} x"], "line 2: column 33"),
        ]
        for (lines, message) in cases {
            XCTAssertThrowsError(try imported(lines) { $0.experts = 8 }, message) { error in
                XCTAssertTrue("\(error)".contains(message), "\(message): \(error)")
                XCTAssertTrue("\(error)".hasPrefix(directory.appendingPathComponent("log.jsonl").path), "\(error)")
                XCTAssertEqual((error as? TraceError)?.exitCode, 65)
            }
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory.appendingPathComponent("out.moetrace").path))
    }

    /// 1,000 seeded mutations of a valid log (bytes changed, deleted or duplicated): each imports or
    /// fails with a `TraceError` (exit 65); none crashes or hangs.
    func testStringScanFindsQuotesEscapesAndControlCharactersAtEveryOffset() throws {
        // Keys of 0–19 bytes (the scan reads 8 at a time) with an escaped quote, or a control character, at every offset.
        func scan(_ line: [UInt8]) throws -> (key: [UInt8], value: Int) {
            try line.withUnsafeBufferPointer { buffer in
                var scanner = try JSONLineScanner(line: buffer)
                guard let key = try scanner.nextKey().map(Array.init) else { return ([], -1) }
                let value = try scanner.integer()
                XCTAssertNil(try scanner.nextKey())
                return (key, value)
            }
        }
        func column(_ line: [UInt8]) -> Int? {
            do { _ = try scan(line) } catch { return (error as? JSONLineScanner.Error)?.column }
            return nil
        }
        for length in 0..<20 {
            let name = [UInt8](repeating: UInt8(ascii: "k"), count: length)
            XCTAssertEqual(try scan(Array("{\"".utf8) + name + Array("\": 7}".utf8)).value, 7)
            for at in 0...length {
                var escaped = name
                escaped.insert(contentsOf: Array(#"\""#.utf8), at: at)
                XCTAssertEqual(try scan(Array("{\"".utf8) + escaped + Array("\": 7}".utf8)).key, escaped, "escape at \(at)")
                var control = name
                control.insert(0x01, at: at)
                XCTAssertEqual(column(Array("{\"".utf8) + control + Array("\": 7}".utf8)), 3 + at, "control character at \(at)")
            }
            XCTAssertEqual(column(Array("{\"".utf8) + name), 3 + length, "no closing quote")
            XCTAssertEqual(column(Array("{\"".utf8) + name + [UInt8(ascii: "\\")]), 4 + length, "a backslash ends the line")
        }
    }

    func testFuzzedLogsFailCleanly() throws {
        let lines = (0..<2).flatMap { l in
            (0..<3).map { t in "{\"layer\": \(l), \"token_pos\": \(t), \"experts\": \(ids(l, t)), \"gating_probs\": [0.6, 0.4], \"s\": \"a\\\"b\"}" }
        }
        let original = Array((lines.joined(separator: "\n") + "\n").utf8)
        let alphabet = Array("{}[]\":,0123456789.-eE nulltruefalse\\\n".utf8)
        var random = SplitMix64(seed: 7)
        var failures = 0
        let path = directory.appendingPathComponent("fuzz.jsonl").path
        for _ in 0..<1_000 {
            var bytes = original
            for _ in 0..<Int.random(in: 1...3, using: &random) {
                let at = Int.random(in: 0..<bytes.count, using: &random)
                switch Int.random(in: 0..<3, using: &random) {
                case 0: bytes[at] = alphabet.randomElement(using: &random)!
                case 1: bytes.remove(at: at)
                default: bytes.insert(bytes[at], at: at)
                }
            }
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            do {
                try TraceImporter.importFile(from: path, to: directory.appendingPathComponent("f.moetrace").path,
                                             options: TraceImporter.Options())
            } catch let error as TraceError {
                XCTAssertEqual(error.exitCode, 65, "\(error)")
                failures += 1
            }
        }
        XCTAssertGreaterThan(failures, 500)
    }
}
