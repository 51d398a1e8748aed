import Foundation
import XCTest
@testable import MoESimCore

/// safetensors import (fixtures by Tests/Fixtures/traces/make_safetensors_fixtures.py): values
/// round-trip exactly, BF16 included; layers by number; ids with weights; bad files refused.
final class SafetensorsImportTests: TemporaryDirectoryTestCase {
    private func imported(_ fixture: String, gpus: Int = 1, tensor: String? = nil,
                          dropRemainder: Bool = false) throws -> (TraceImporter.Summary, [TraceBatch]) {
        let output = directory.appendingPathComponent("out.moetrace").path
        var options = TraceImporter.Options()
        options.gpus = gpus
        options.tensor = tensor
        options.dropRemainder = dropRemainder
        let summary = try TraceImporter.importFile(from: TraceFixtures.path(fixture), to: output, options: options)
        let source = try TraceSource(file: output)
        var batches: [TraceBatch] = []
        var batch = TraceBatch()
        while try source.nextBatch(into: &batch) { batches.append(batch) }
        return (summary, batches)
    }

    /// make_safetensors_fixtures.py's bf16_bits(count, start).
    private func bf16Bits(_ range: Range<Int>) -> [UInt16] {
        range.map { i in
            let bits = UInt16(i * 40503 % 65536)
            return (bits >> 7) & 0xFF == 0xFF ? bits ^ 0x4000 : bits
        }
    }

    func testPerLayerBF16RouterLogitsRoundTripExactlyInLayerNumberOrder() throws {
        let (summary, batches) = try imported("router_bf16_layers.safetensors")
        let header = summary.header
        XCTAssertEqual([header.steps, header.layers, header.tokensPerStep, header.experts], [1, 3, 6, 8])
        XCTAssertEqual(header.payload, .scores)
        XCTAssertEqual(header.scoreType, .f32, "bf16 widens to f32 exactly")
        XCTAssertTrue(summary.notes[0].contains("model.layers.*.mlp.gate (layers 1…10"), summary.notes[0])
        // Layers 1, 3, 10 become trace layers 0, 1, 2: by number, not by name ("10" < "3").
        for (index, batch) in batches.enumerated() {
            XCTAssertEqual(batch.scores.map(\.bitPattern), bf16Bits(48 * index ..< 48 * (index + 1)).map { UInt32($0) << 16 },
                           "layer \(index): every bf16 value exactly")
        }
        XCTAssertTrue(bf16Bits(0..<144).contains { $0 & 0x8000 != 0 } && bf16Bits(0..<144).contains { $0 & 0x7F != 0 },
                      "negative values and low mantissa bits are covered")

        let (_, explicit) = try imported("router_bf16_layers.safetensors", tensor: "model.layers.*.mlp.gate")
        XCTAssertEqual(explicit, batches, "--tensor with a pattern reads the same tensors")
    }

    func testSingleTensorsOfF16AndF32AndIdsWithWeights() throws {
        let (f16, f16Batches) = try imported("router_logits_f16.safetensors")
        XCTAssertEqual([f16.header.layers, f16.header.tokensPerStep, f16.header.experts], [2, 4, 8])
        XCTAssertEqual(f16.header.scoreType, .f16)
        XCTAssertEqual(f16Batches.flatMap(\.scores), (0..<64).map(TraceFixtures.score))

        let (f32, f32Batches) = try imported("scores_f32.safetensors", gpus: 3, dropRemainder: true)
        XCTAssertEqual(f32.header.tokensPerStep, 3, "4 tokens over 3 GPUs: the last one dropped")
        XCTAssertEqual(f32Batches.flatMap(\.scores), (0..<24).map(TraceFixtures.score))
        XCTAssertTrue(f32.notes.contains { $0.contains("dropped the last 1 of 4 tokens") }, "\(f32.notes)")

        let (choices, choiceBatches) = try imported("choices_i64.safetensors")
        XCTAssertEqual([choices.header.layers, choices.header.k, choices.header.experts], [2, 2, 8])
        XCTAssertEqual(choiceBatches.flatMap(\.experts), (0..<8).flatMap { t in (0..<2).map { Int32((3 * t + $0) % 8) } })
        XCTAssertEqual(choiceBatches[1].weights, (0..<4).flatMap { _ in [Float(0.5), Float(1) / 3] })
    }

    func testBadFilesAndSelectionsAreRefusedWithTheirReason() {
        let cases: [(String, String?, String)] = [
            ("short_tensor.safetensors", nil, "32 × 4 bytes for shape [4, 8] F32"),
            ("int8_tensor.safetensors", nil, "one of BF16, F16, F32, F64"),
            ("router_bf16_layers.safetensors", "model.layers.*.mlp.up", "a pattern matching tensors"),
            ("router_bf16_layers.safetensors", "gate", "a tensor of the file (model.embed_tokens.weight"),
            ("scores_f32_tokens_experts.npy", nil, "safetensors header length"),
        ]
        for (fixture, tensor, message) in cases {
            let input = fixture.hasSuffix(".npy") ? copy(fixture, as: "x.safetensors") : TraceFixtures.path(fixture)
            XCTAssertThrowsError(try TraceImporter.importFile(from: input, to: directory.appendingPathComponent("o.moetrace").path,
                                                              options: options(tensor: tensor))) { error in
                XCTAssertTrue("\(error)".contains(message), "\(fixture): \(error)")
                XCTAssertEqual((error as? TraceError)?.exitCode, 65)
            }
        }
        XCTAssertThrowsError(try imported("scores_f32.safetensors", gpus: 3)) {
            XCTAssertTrue("\($0)".contains("add --drop-remainder to drop the last 1 of every step"), "\($0)")
        }
    }

    private func options(tensor: String?) -> TraceImporter.Options {
        var options = TraceImporter.Options()
        options.tensor = tensor
        return options
    }

    private func copy(_ fixture: String, as name: String) -> String {
        let path = directory.appendingPathComponent(name).path
        try? FileManager.default.removeItem(atPath: path)
        try? FileManager.default.copyItem(atPath: TraceFixtures.path(fixture), toPath: path)
        return path
    }
}
