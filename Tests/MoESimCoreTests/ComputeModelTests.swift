import Foundation
import XCTest
@testable import MoESimCore

/// The GEMM model (`ComputeModel`) against closed forms to the nanosecond, properties over random
/// shapes, and DeepGEMM's measured GEMMs (scenarios/validation/compute.csv).
final class ComputeModelTests: XCTestCase {
    /// A GPU with round numbers: 100 SMs, a BF16 peak of 1e15 FLOP/s at efficiency 0.5 (5e12 FLOP/s per SM),
    /// 4e12 B/s of HBM read at 0.5 and written at 0.25, 1 µs launch, no tile or K-block costs; 128 × 128 tiles.
    let roundGPU = GPUSpec(name: "round", peakFLOPsPerSecond: 1e15, fp8PeakFLOPsPerSecond: 2e15, streamingMultiprocessors: 100,
                           computeEfficiency: 0.5, hbmBytesPerSecond: 4e12, hbmEfficiency: 0.5, hbmWriteEfficiency: 0.25,
                           kernelLaunchNanos: 1_000, tileOverheadNanos: 0, kBlockOverheadNanos: 0)
    let shape = MoEModelSpec(hiddenSize: 1, expertFFNSize: 1, experts: 1, moeLayers: 1)

    /// M = N = 1280 with 128 × 128 tiles: 100 tiles, one whole wave on 100 SMs. K = 6400 BF16 = 100 K blocks of
    /// 64. Time = 2 · 1280² · 6400 FLOP / (1e15 · 0.5) = 41,943.04 ns → 41,944 ns, plus the 1 µs launch.
    /// Memory: (1280 · 6400 · 2) · 2 B read at 2e12 B/s = 16,384 ns, 1280² · 2 B written at 1e12 B/s = 3,277 ns.
    func testComputeBoundWholeWavesIsFLOPOverPeakPlusLaunch() {
        let model = ComputeModel(gpu: roundGPU, model: shape)
        let flops = 2.0 * 1280 * 1280 * 6400
        XCTAssertEqual(model.gemmTime(m: 1280, n: 1280, k: 6400, type: .bf16).nanoseconds,
                       1_000 + Int64((flops / (1e15 * 0.5) * 1e9).rounded(.up)))
        XCTAssertEqual(model.gemmTime(m: 1280, n: 1280, k: 6400, type: .bf16).nanoseconds, 1_000 + 41_944)
        // With the tile and K-block costs: each of the one wave's tiles adds 2 µs + 100 · 0.1 µs.
        var costly = roundGPU
        costly.tileOverheadNanos = 2_000
        costly.kBlockOverheadNanos = 100
        XCTAssertEqual(ComputeModel(gpu: costly, model: shape).gemmTime(m: 1280, n: 1280, k: 6400, type: .bf16).nanoseconds,
                       1_000 + 41_944 + 2_000 + 10_000)
        // FP8 doubles the peak and the K block (128 elements): half the time.
        XCTAssertEqual(model.gemmTime(m: 1280, n: 1280, k: 6400, type: .fp8).nanoseconds, 1_000 + 20_972)
    }

    /// One row more: 1281 rows need 11 tile rows, so 110 tiles of the widest shape, two waves on 100 SMs.
    /// The kernel picks the width that is fastest: 72 columns give ⌈1280 / 72⌉ = 18 tile columns, 198 tiles,
    /// still two waves, each tile 128 · 72 · 6400 · 2 FLOP / 5e12 FLOP/s = 23,592.96 ns → 2 waves = 47,185.92 ns
    /// (48 columns in 3 waves, 24 in 6 and 16 in 9 tie with it; every other width is slower).
    func testOneExtraRowCostsTheTileRowAndItsWave() {
        let model = ComputeModel(gpu: roundGPU, model: shape)
        let tile = 2.0 * 128 * 72 * 6400 / 5e12
        XCTAssertEqual(model.gemmTime(m: 1281, n: 1280, k: 6400, type: .bf16).nanoseconds,
                       1_000 + Int64((2 * tile * 1e9 - 1e-6).rounded(.up)))
        XCTAssertEqual(model.gemmTime(m: 1281, n: 1280, k: 6400, type: .bf16).nanoseconds, 1_000 + 47_186)
    }

    /// A GEMV-like GEMM (one row) is memory bound: 1 · 8192 + 8192 · 8192 BF16 elements read = 134,234,112 B
    /// at 2e12 B/s = 67,117.056 ns, 8192 · 2 B written at 1e12 B/s = 16.384 ns; the tiles (64-row, since one
    /// row fits half a tile) take far less: 1 tile row × 64 columns of 128 = 64 tiles, one wave of
    /// 128 K blocks × 2 · 64 · 128 · 64 / 5e12 s = 26,843.5 ns.
    func testGEMVIsMemoryBound() {
        let model = ComputeModel(gpu: roundGPU, model: shape)
        let readBytes: Double = (8192.0 + 8192.0 * 8192.0) * 2.0
        let seconds: Double = readBytes / 2e12 + 16384.0 / 1e12
        XCTAssertEqual(model.gemmTime(m: 1, n: 8192, k: 8192, type: .bf16).nanoseconds,
                       1_000 + Int64((seconds * 1e9 - 1e-6).rounded(.up)))
        XCTAssertEqual(model.gemmTime(m: 1, n: 8192, k: 8192, type: .bf16).nanoseconds, 1_000 + 67_134)
        XCTAssertEqual(model.gemmTime(m: 0, n: 8192, k: 8192, type: .bf16), .zero)
        // FP8 halves the input bytes and adds the scales: 8192 · 64 + 1 · 64 FP32 scales.
        let scaleBytes: Double = (64.0 * 64.0 + 64.0) * 4.0
        let fp8Reads: Double = 8192.0 + 8192.0 * 8192.0 + scaleBytes
        let fp8: Double = fp8Reads / 2e12 + 16384.0 / 1e12
        XCTAssertEqual(model.gemmTime(m: 1, n: 8192, k: 8192, type: .fp8).nanoseconds,
                       1_000 + Int64((fp8 * 1e9 - 1e-6).rounded(.up)))
    }

    /// The expert FFN is the fused up-projection GEMM and the down-projection; the gate is one BF16 GEMM;
    /// a GPU's grouped kernel over one expert is that expert's two GEMMs.
    func testExpertGateAndSharedExpertsAreTheirGEMMs() {
        var spec = MoEModelSpec(hiddenSize: 4_096, expertFFNSize: 2_048, experts: 8, moeLayers: 1, ffnMatrices: 3,
                                computeType: .fp8, sharedExperts: 2)
        let model = ComputeModel(gpu: ClusterPreset.h800.spec.gpu, model: spec)
        let up = model.gemmTime(m: 300, n: 4_096, k: 4_096, type: .fp8)
        let down = model.gemmTime(m: 300, n: 4_096, k: 2_048, type: .fp8)
        XCTAssertEqual(model.expertTime(tokens: 300), up + down)
        XCTAssertEqual(model.groupedExpertTime(rows: [300]), up + down)
        XCTAssertEqual(model.expertTime(tokens: 0), .zero)
        XCTAssertEqual(model.groupedExpertTime(rows: [0, 0]), .zero)
        XCTAssertEqual(model.gateTime(tokens: 100), model.gemmTime(m: 100, n: 8, k: 4_096, type: .bf16))
        XCTAssertEqual(model.sharedExpertTime(tokens: 300),
                       model.gemmTime(m: 300, n: 8_192, k: 4_096, type: .fp8) + model.gemmTime(m: 300, n: 4_096, k: 4_096, type: .fp8))
        spec.sharedExperts = 0
        XCTAssertEqual(ComputeModel(gpu: ClusterPreset.h800.spec.gpu, model: spec).sharedExpertTime(tokens: 300), .zero)
    }

    /// The layer prices each GPU's experts as its grouped GEMMs (or, per expert, their own GEMMs), plus its shared
    /// experts on its own tokens: 8 GPUs with 2 experts each, token t of every GPU to expert t mod 16, so every
    /// expert gets 4 tokens and every GPU runs two groups of 4 rows.
    func testLayerPricesEachGPUsExpertsAsItsKernels() throws {
        var scenario = try TestSupport.scenario(experts: 16, tokensPerGPU: 8, strategies: #"[{"name":"switch"}]"#)
        scenario.simulation.network = .analytical
        let placement = ExpertPlacement.contiguous(experts: 16, gpuCount: 8)
        var buffer = RoutingBuffer()
        buffer.reset(tokenCount: 64, k: 1)
        for t in 0..<64 { buffer.experts[t] = Int32(t % 16) }
        TestSupport.assignGPUs(&buffer, placement: placement)
        func expertTime(_ scenario: Scenario) -> SimTime {
            var step = MoELayerStep(scenario: scenario)
            return step.evaluate(buffer, placement: placement, deduplication: .perGPU).expert
        }
        let compute = ComputeModel(gpu: scenario.cluster.gpu, model: scenario.model)
        XCTAssertEqual(scenario.model.expertKernel, .grouped)
        XCTAssertEqual(expertTime(scenario), compute.groupedExpertTime(rows: [4, 4]))
        scenario.model.expertKernel = .perExpert
        XCTAssertEqual(expertTime(scenario), compute.expertTime(tokens: 4) + compute.expertTime(tokens: 4))
        XCTAssertLessThan(compute.groupedExpertTime(rows: [4, 4]), compute.expertTime(tokens: 4) + compute.expertTime(tokens: 4))
        scenario.model.expertKernel = .grouped
        scenario.model.sharedExperts = 1
        let shared = ComputeModel(gpu: scenario.cluster.gpu, model: scenario.model).sharedExpertTime(tokens: 8)
        XCTAssertGreaterThan(shared, .zero)
        XCTAssertEqual(expertTime(scenario), compute.groupedExpertTime(rows: [4, 4]) + shared)
    }

    /// Decode batches (every group at most half a tile) take the masked layout, larger ones the contiguous.
    func testLayoutFollowsTheGroupSizes() {
        let model = ComputeModel(gpu: ClusterPreset.h800.spec.gpu, model: shape)
        XCTAssertEqual(model.layout(rows: [1, 64, 0]), .masked)
        XCTAssertEqual(model.layout(rows: [1, 65]), .contiguous)
    }

    /// Random shapes: a random GEMM and a random set of expert groups on a random GPU.
    struct RandomCase {
        var gpu: GPUSpec
        var type: ComputeType
        var rows: [Int]
        var n: Int
        var k: Int
    }

    func randomCases(seed: UInt64, count: Int) -> [RandomCase] {
        var rng = SplitMix64(seed: seed)
        func pick(_ range: ClosedRange<Int>) -> Int { range.lowerBound + Int(rng.next() % UInt64(range.count)) }
        return (0..<count).map { _ in
            var gpu = [ClusterPreset.h800, .dgxA100][pick(0...1)].spec.gpu
            gpu.streamingMultiprocessors = pick(1...160)
            gpu.tileRows = [64, 128, 256][pick(0...2)]
            gpu.tileColumns = [8, 64, 128, 256][pick(0...3)]
            let type: ComputeType = gpu.fp8PeakFLOPsPerSecond == nil ? .bf16 : [.bf16, .fp8][pick(0...1)]
            let rows = (0..<pick(1...12)).map { _ in [0, 1, pick(1...64), pick(1...300), pick(1...6_000)][pick(0...4)] }
            return RandomCase(gpu: gpu, type: type, rows: rows, n: pick(1...9_000), k: pick(1...9_000))
        }
    }

    func testMoreRowsNeverTakeLessTime() {
        for (i, c) in randomCases(seed: 7, count: 400).enumerated() {
            let model = ComputeModel(gpu: c.gpu, model: shape)
            let m = c.rows.max() ?? 1
            for extra in [1, 7, 64, 129] {
                XCTAssertLessThanOrEqual(model.gemmTime(m: m, n: c.n, k: c.k, type: c.type),
                                         model.gemmTime(m: m + extra, n: c.n, k: c.k, type: c.type), "case \(i)")
                var more = c.rows
                more[i % more.count] += extra
                XCTAssertLessThanOrEqual(model.groupedGEMMTime(rows: c.rows, n: c.n, k: c.k, type: c.type),
                                         model.groupedGEMMTime(rows: more, n: c.n, k: c.k, type: c.type), "case \(i)")
            }
        }
    }

    func testGroupedGEMMNeverSlowerThanSeparateGEMMs() {
        for (i, c) in randomCases(seed: 11, count: 600).enumerated() {
            let model = ComputeModel(gpu: c.gpu, model: shape)
            let separate = c.rows.reduce(SimTime.zero) { $0 + model.gemmTime(m: $1, n: c.n, k: c.k, type: c.type) }
            XCTAssertLessThanOrEqual(model.groupedGEMMTime(rows: c.rows, n: c.n, k: c.k, type: c.type), separate,
                                     "case \(i): \(c.rows) n \(c.n) k \(c.k)")
        }
    }

    func testMoreSMsOrAHigherPeakNeverSlowAnything() {
        for (i, c) in randomCases(seed: 13, count: 400).enumerated() {
            let base = ComputeModel(gpu: c.gpu, model: shape)
            // An SM has a fixed throughput: more SMs bring their share of the peak with them.
            var moreSMs = c.gpu
            let added = 1 + i % 40, sms = Double(c.gpu.streamingMultiprocessors)
            moreSMs.streamingMultiprocessors += added
            moreSMs.peakFLOPsPerSecond *= (sms + Double(added)) / sms
            moreSMs.fp8PeakFLOPsPerSecond = moreSMs.fp8PeakFLOPsPerSecond.map { $0 * (sms + Double(added)) / sms }
            var higherPeak = c.gpu
            higherPeak.peakFLOPsPerSecond *= 1.3
            higherPeak.fp8PeakFLOPsPerSecond = higherPeak.fp8PeakFLOPsPerSecond.map { $0 * 1.3 }
            let time = base.groupedGEMMTime(rows: c.rows, n: c.n, k: c.k, type: c.type)
            for faster in [moreSMs, higherPeak] {
                XCTAssertLessThanOrEqual(ComputeModel(gpu: faster, model: shape).groupedGEMMTime(rows: c.rows, n: c.n, k: c.k,
                                                                                                  type: c.type),
                                         time, "case \(i)")
            }
        }
    }

    /// Every row of DeepGEMM's measured FP8 GEMMs on H800 within 10%, mean |error| under 5%, with the one
    /// Hopper calibration of the presets.
    func testComputeRowsWithinTenPercentAndMeanUnderFive() throws {
        let report = try ValidationReport(running: ValidationSet(measurementFiles: ["\(ValidationTests.directory)/compute.csv"]))
        for row in report.rows {
            print(String(format: "validation %@: measured %g %@, predicted %.1f, error %+.1f%%", row.measurement.id,
                         row.measurement.measured, row.measurement.unit, row.prediction.value, row.errorPercent))
        }
        XCTAssertEqual(report.rows.count, 22, "one scenario per row of ../shared/validation/compute.csv")
        XCTAssertEqual(report.failures(tolerancePercent: 10).map(\.measurement.id), [])
        XCTAssertLessThan(report.meanAbsoluteErrorPercent, 5)
    }

    /// The figure is the source's: 2 · m · n · k · groups / the modelled kernel time.
    func testGEMMBenchmarkReportsTFLOPS() throws {
        let scenario = try Scenario.decode(JSONParser.parse("""
            {"version": 1, "cluster": {"preset": "h800"}, "model": {"computeType": "fp8"},
             "validation": {"id": "x", "kernel": "grouped-gemm", "groups": 4, "m": 256, "n": 4096, "k": 7168}}
            """))
        let prediction = try KernelBenchmark(scenario: scenario).predict()
        let model = ComputeModel(gpu: scenario.cluster.gpu, model: scenario.model)
        let time = model.groupedGEMMTime(rows: [256, 256, 256, 256], n: 4096, k: 7168, type: .fp8)
        XCTAssertEqual(prediction.kernelTime, time)
        XCTAssertEqual(prediction.value, 2.0 * 4 * 256 * 4096 * 7168 / time.seconds / 1e12, accuracy: 1e-9)
        XCTAssertEqual(prediction.metric, "tflops")
        XCTAssertEqual(prediction.unit, "TFLOPS")
    }
}
