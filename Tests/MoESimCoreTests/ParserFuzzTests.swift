import Foundation
import XCTest
@testable import MoESimCore

/// Seeded fuzzing of the parsers that read user bytes: the scenario JSON parser and decoder, the
/// binary trace reader and the CSV trace reader. Valid inputs are mutated (byte flips, truncations,
/// duplicated or moved pieces, huge numbers, header fields rewritten with a valid CRC) and each
/// mutant must give the parser's typed error or a correct parse, with memory sized by the input,
/// never a crash or a hang. Longer runs scale the case counts and shift the seeds (`FuzzBudget`).
final class ParserFuzzTests: TemporaryDirectoryTestCase {
    /// Cases per target: `defaultCount`, scaled by `FuzzBudget`.
    private func iterations(_ defaultCount: Int) -> Int { FuzzBudget.cases(defaultCount) }

    /// The seeded generator of one target (seed 22, shifted by `FuzzBudget.seedShift`).
    private func generator(_ target: UInt64) -> SplitMix64 {
        SplitMix64.stream(seed: 22 &+ FuzzBudget.seedShift, stream: target)
    }

    /// Numbers that sit on or beyond the limits parsers check.
    private static let hostileNumbers = ["0", "-1", "1e308", "-1e308", "1e-300", "4294967296", "9007199254740993",
                                         "1073741824", "16777216", "65536", "2147483648", "0.5", "1e999", "nan", "-0"]

    /// One mutation of `bytes`: flips, a cut, a duplicated or moved slice, an inserted hostile token.
    private func mutate(_ bytes: [UInt8], _ rng: inout SplitMix64, tokens: [String]) -> [UInt8] {
        var result = bytes
        let rounds = 1 + Int(rng.next() % 3)
        for _ in 0..<rounds where !result.isEmpty {
            let at = Int(rng.next() % UInt64(result.count))
            switch rng.next() % 7 {
            case 0, 1:
                result[at] ^= UInt8(1 + rng.next() % 255)
            case 2:
                result = Array(result.prefix(at))
            case 3:
                let length = min(result.count - at, 1 + Int(rng.next() % 64))
                result.insert(contentsOf: result[at..<at + length], at: at)
            case 4:
                let length = min(result.count - at, 1 + Int(rng.next() % 32))
                let slice = Array(result[at..<at + length])
                result.removeSubrange(at..<at + length)
                result.insert(contentsOf: slice, at: Int(rng.next() % UInt64(result.count + 1)))
            case 5:
                result.insert(contentsOf: Array(tokens[Int(rng.next() % UInt64(tokens.count))].utf8), at: at)
            default:
                result = result + result.prefix(Int(rng.next() % UInt64(result.count + 1)))
            }
        }
        return result
    }

    // MARK: scenario JSON

    /// Every shipped scenario (and the test scenario) mutated: the parser throws `SyntaxError` or
    /// returns a value; the decoder throws `ScenarioError` or returns a scenario within its limits.
    func testScenarioParserAndDecoderFailCleanlyOnMutants() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let scenarioDirectory = root.appendingPathComponent("scenarios")
        var seeds = try FileManager.default.contentsOfDirectory(atPath: scenarioDirectory.path).sorted()
            .filter { $0.hasSuffix(".json") }
            .map { [UInt8](try Data(contentsOf: scenarioDirectory.appendingPathComponent($0))) }
        seeds.append(Array(#"{"version":1,"model":{"experts":8,"moeLayers":2},"parallelism":{"tokensPerGPU":4}}"#.utf8))
        XCTAssertGreaterThan(seeds.count, 5)
        let tokens = ParserFuzzTests.hostileNumbers + ["\"", "{", "}", "[", "]", ",", ":", "\\u0000", "\\ud800", "\u{FEFF}",
                                                       "\"experts\":", "\"k\":", "\"nodes\":", "\"steps\":", "\"warmupSteps\":",
                                                       String(repeating: "[", count: 300), "\"\u{1B}[31m\""]
        let documents = try seeds.map { try JSONParser.parse($0) }
        var rng = generator(1)
        var outcome = (syntax: 0, invalid: 0, decoded: 0)
        for iteration in 0..<iterations(2_000) {
            let seed = Int(rng.next() % UInt64(seeds.count))
            // Even cases mutate bytes (the parser); odd ones values and keys of a valid document (the decoder).
            let bytes = iteration % 2 == 0 ? mutate(seeds[seed], &rng, tokens: tokens)
                : Array(mutateValue(documents[seed], &rng).compactText.utf8)
            let document: JSONValue
            do {
                document = try JSONParser.parse(bytes)
            } catch let error as JSONParser.SyntaxError {
                XCTAssertLessThanOrEqual(error.byteOffset, bytes.count)
                XCTAssertLessThan(error.message.count, 200, "messages echo excerpts: \(error.message)")
                outcome.syntax += 1
                continue
            }
            do {
                let scenario = try Scenario.decode(document, file: path("fuzz.json"))
                XCTAssertGreaterThan(RunMemoryEstimate(scenario, jobs: 4).bytes, 0)
                XCTAssertLessThanOrEqual(scenario.cluster.gpuCount, Scenario.maxGPUs)
                XCTAssertLessThanOrEqual(Double(scenario.cluster.gpuCount * scenario.tokensPerGPU * scenario.model.experts * 4),
                                         Scenario.maxScoreBytes)
                outcome.decoded += 1
            } catch let error as ScenarioError {
                XCTAssertEqual(error.exitCode == 65 || error.exitCode == 66, true)
                XCTAssertLessThan("\(error)".count, 2_000, "\(error)")
                outcome.invalid += 1
            }
        }
        // The mix shows the mutants reach every layer (a fuzzer whose mutants all fail to parse tests little).
        XCTAssertGreaterThan(outcome.syntax, 0)
        XCTAssertGreaterThan(outcome.invalid, 0)
        XCTAssertGreaterThan(outcome.decoded, 0)
    }

    /// Values a scenario key may be given by mistake or malice.
    private static let hostileValues: [JSONValue] = ([0, -1, 1e308, -1e308, 1e-300, 4_294_967_296, 9_007_199_254_740_993,
                                                      1_073_741_824, 16_777_216, 65_536, 8_193, 129, 0.5, 1e15, 1e16] as [Double])
        .map { JSONValue.number($0) }
        + ["", "x", "switch", "sam", "flow", "analytical", "round-robin", "replicated", "fat-tree", "training",
           String(repeating: "é\u{1B}", count: 500)].map { JSONValue.string($0) }
        + [.bool(true), .null, .array([]), .object([]), .array([.number(0), .number(1)]), .object([("kind", .string("rail"))])]

    /// `value` with one leaf replaced by a hostile value, or one member removed or duplicated under a new name.
    private func mutateValue(_ value: JSONValue, _ rng: inout SplitMix64) -> JSONValue {
        switch value {
        case .object(var members) where !members.isEmpty && rng.next() % 5 != 0:
            let i = Int(rng.next() % UInt64(members.count))
            switch rng.next() % 8 {
            case 0: members.remove(at: i)
            case 1: members.append((members[i].key + "x", members[i].value))
            default: members[i].value = mutateValue(members[i].value, &rng)
            }
            return .object(members)
        case .array(var elements) where !elements.isEmpty && rng.next() % 5 != 0:
            let i = Int(rng.next() % UInt64(elements.count))
            if rng.next() % 6 == 0 { elements.append(elements[i]) } else { elements[i] = mutateValue(elements[i], &rng) }
            return .array(elements)
        default:
            return ParserFuzzTests.hostileValues[Int(rng.next() % UInt64(ParserFuzzTests.hostileValues.count))]
        }
    }

    // MARK: binary trace

    /// Valid traces of each payload kind, as (bytes, their batches).
    private func binarySeeds() throws -> [([UInt8], [TraceBatch])] {
        let headers = [
            TraceHeader(payload: .scores, experts: 8, layers: 2, tokensPerStep: 12, steps: 2, gpus: 4, chunkTokens: 5),
            TraceHeader(payload: .scores, scoreType: .f16, hasDeviceLogits: true, experts: 8, layers: 1, tokensPerStep: 8,
                        steps: 2, gpus: 2, chunkTokens: 3),
        ]
        var seeds: [([UInt8], [TraceBatch])] = []
        for (index, header) in headers.enumerated() {
            let file = path("seed-\(index).moetrace")
            try TraceSource(header: header, synthetic: SyntheticScoresSpec(zipfExponent: 1), seed: 9).write(to: file)
            seeds.append(([UInt8](try Data(contentsOf: URL(fileURLWithPath: file))), try readAll(file)))
        }
        let choices = TraceHeader(payload: .choices, experts: 6, layers: 1, tokensPerStep: 4, steps: 2, gpus: 2, k: 2, chunkTokens: 3)
        var batch = TraceBatch()
        batch.experts = [0, 1, 2, 3, 4, 5, 5, 0]
        batch.weights = [0.5, 0.5, 1, 0, 0.25, 0.75, 2, 1]
        let file = path("seed-choices.moetrace")
        try TraceSource(header: choices, batches: [batch, batch]).write(to: file)
        seeds.append(([UInt8](try Data(contentsOf: URL(fileURLWithPath: file))), try readAll(file)))
        return seeds
    }

    private func readAll(_ file: String) throws -> [TraceBatch] {
        let source = try TraceSource(file: file)
        var batches: [TraceBatch] = []
        var batch = TraceBatch()
        while try source.nextBatch(into: &batch) { batches.append(batch) }
        return batches
    }

    /// `bytes` with the u32 at `offset` set to `value` and the header CRC made valid again, so the
    /// field checks (not the CRC) must catch it.
    private func rewritingHeaderField(_ bytes: [UInt8], at offset: Int, to value: UInt32) -> [UInt8] {
        guard bytes.count >= 64 else { return bytes }
        var result = bytes
        for i in 0..<4 { result[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt32(i))) }
        let crc = CRC32.checksum(result[0..<60])
        for i in 0..<4 { result[60 + i] = UInt8(truncatingIfNeeded: crc >> (8 * UInt32(i))) }
        return result
    }

    /// Mutated `.moetrace` files: `TraceError`, or the original batches; a header that opens never
    /// sizes a batch beyond twice the file (f16 values become f32 in memory).
    func testBinaryTraceReaderFailsCleanlyOnMutants() throws {
        let seeds = try binarySeeds()
        let fieldValues: [UInt32] = [0, 1, 2, 3, 7, 1 << 16, 1 << 24, 1 << 30, 1 << 31, UInt32.max]
        var rng = generator(2)
        var errors = 0, parses = 0
        let file = path("fuzz.moetrace")
        for _ in 0..<iterations(2_000) {
            let (original, expected) = seeds[Int(rng.next() % UInt64(seeds.count))]
            var bytes = mutate(original, &rng, tokens: ["CHNK", "MOETRACE"])
            if rng.next() % 3 == 0 {
                let offset = [16, 20, 24, 28, 32, 36, 40, 44][Int(rng.next() % 8)]
                bytes = rewritingHeaderField(original, at: offset, to: fieldValues[Int(rng.next() % UInt64(fieldValues.count))])
            }
            try Data(bytes).write(to: URL(fileURLWithPath: file))
            do {
                let source = try TraceSource(file: file)
                let header = source.header
                let batchBytes = header.tokensPerStep * (header.payload == .scores
                    ? (header.experts + (header.hasDeviceLogits ? header.gpus : 0)) * 4 : header.k * 8)
                XCTAssertLessThanOrEqual(batchBytes, 2 * bytes.count, "a batch is sized by the file, not by the header alone")
                let batches = try readAll(file)
                XCTAssertEqual(batches, expected, "a mutant that parses must give the original batches")
                parses += 1
            } catch let error as TraceError {
                XCTAssertTrue(error.description.hasPrefix(file), "\(error)")
                XCTAssertEqual(error.exitCode, 65, "\(error)")
                errors += 1
            }
        }
        XCTAssertGreaterThan(errors, iterations(2_000) * 9 / 10, "nearly every mutant is caught (\(parses) parsed)")
    }

    // MARK: CSV trace

    /// Mutated CSV traces: `TraceError`, or a trace with exactly one row per token, whose
    /// batches hold no more values than the file has fields.
    func testCSVTraceReaderFailsCleanlyOnMutants() throws {
        let scores = """
            # moetrace version=1 payload=scores score_type=f32 experts=3 layers=1 tokens_per_step=4 steps=1 gpus=2 chunk_tokens=4
            step,layer,token,src_gpu,score_0,score_1,score_2
            0,0,0,0,1,2,3
            0,0,1,0,0.5,-1,2
            0,0,2,1,3,3,3
            0,0,3,1,-2,0,1e3

            """
        let choices = "step,layer,token,src_gpu,expert_0,expert_1,weight_0,weight_1\r\n0,0,0,0,1,2,0.5,0.5\r\n"
            + "0,0,1,0,0,3,1,0\r\n0,1,0,0,2,1,0.25,0.75\r\n0,1,1,0,3,0,1,1\r\n"
        let seeds = [Array(scores.utf8), [0xEF, 0xBB, 0xBF] + Array(choices.utf8)]
        let tokens = ParserFuzzTests.hostileNumbers + [",", "\n", "\r\n", "\r", "\u{FEFF}", "# moetrace ", "experts=1073741824 ",
                                                       "steps=1073741824 ", "tokens_per_step=1073741824 ", "k=9 ", "1000000000000",
                                                       "9223372036854775807", ",0,0,9223372036854775807,"]
        var rng = generator(3)
        var errors = 0, parses = 0
        let file = path("fuzz.csv")
        for _ in 0..<iterations(2_000) {
            let bytes = mutate(seeds[Int(rng.next() % UInt64(seeds.count))], &rng, tokens: tokens)
            try Data(bytes).write(to: URL(fileURLWithPath: file))
            do {
                let (header, batches) = try TraceCSV.read(file: file)
                let dataRows = String(decoding: bytes, as: UTF8.self).split(whereSeparator: \.isNewline)
                    .filter { !$0.isEmpty && !$0.hasPrefix("#") && !$0.hasPrefix("step") && !$0.hasPrefix("\u{FEFF}step") }.count
                XCTAssertEqual(header.steps * header.layers * header.tokensPerStep, dataRows, "one row per token")
                XCTAssertEqual(batches.count, header.batchCount)
                parses += 1
            } catch let error as TraceError {
                XCTAssertTrue(error.description.hasPrefix(file), "\(error)")
                XCTAssertLessThan(error.description.count, 600, "messages echo excerpts: \(error)")
                XCTAssertFalse(error.description.unicodeScalars.contains { $0.value < 0x20 }, "escaped: \(error)")
                errors += 1
            }
        }
        XCTAssertGreaterThan(errors, 0)
        XCTAssertGreaterThan(parses, 0, "some mutants (a changed number) still parse")
    }
}
