/// Runs one MoE layer as discrete events on the flow network: per micro-batch,
/// each GPU computes its gate, sends its dispatch flows, runs its experts once
/// all of that micro-batch's inbound tokens (and its own) are there, sends the
/// combine flows back, and so on through the `LayerStage` pipeline.
///
/// Each GPU has one compute stream serving kernels first-come first-served
/// (gate kernels of all micro-batches are ready at once; expert kernels when
/// their tokens arrive), while its transfers run concurrently on the network.
/// With several micro-batches, one micro-batch's transfers overlap another's
/// compute; the layer ends when the last GPU has its last result back.
///
/// The layer time is split along its **critical path**: walking back from the
/// last event, each step goes to what released it last (the last inbound flow,
/// the GPU's own previous stage, or the kernel that held its compute stream), and
/// each kernel or flow on that chain adds its duration to its phase. The four
/// phases therefore sum to the layer time, and the communication on the path is
/// exactly the communication no compute hid.
struct FlowLayerSimulation: LayerNetworkModel {
    private enum Event {
        case computeDone(gpu: Int32)
    }

    let gpus: Int
    /// The pipeline of the current run.
    private var stages: [LayerStage] = []
    private(set) var network: FlowNetwork
    /// Compute time of each GPU in the last run (all stages, all micro-batches).
    private(set) var gpuCompute: [SimTime]
    private var engine = Engine<Event>(seed: 0)
    private var pending: [Int32] = []
    // Per (micro-batch, stage, GPU) entry: what released it last (≥ 0 a flow id, −1 nothing, −2 the GPU itself),
    // and for compute stages the kernel's start, end and the kernel that held the stream before it (−1 none).
    private var cause: [Int32] = []
    private var entered: [Int64] = [], kernelStart: [Int64] = [], kernelEnd: [Int64] = [], kernelAfter: [Int32] = []
    private var lastKernel: [Int32]
    private var queues: [[Int32]]
    private var queueHead: [Int]
    private var running: [Int32]
    private var busy: [Int64]
    private var completed: [FlowID] = []
    /// When set, every kernel and flow of each run is appended here (for `--timeline`).
    var recording: Timeline.Track?

    /// A model over `topology`; `precision` is the flow network's (`SimulationSpec.flowPrecision`).
    init(topology: Topology, precision: Double) {
        gpus = topology.cluster.gpuCount
        network = FlowNetwork(topology: topology, precision: precision)
        queues = [[Int32]](repeating: [], count: gpus)
        queueHead = [Int](repeating: 0, count: gpus)
        running = [Int32](repeating: -1, count: gpus)
        lastKernel = running
        busy = [Int64](repeating: 0, count: gpus)
        gpuCompute = [SimTime](repeating: .zero, count: gpus)
    }

    /// Simulates the layer, micro-batch by micro-batch (`work.microbatchCopies` and kernel times).
    /// - Complexity: O(M · S · G² + network work) for M micro-batches of S stages.
    mutating func run(_ work: LayerWork, layer: Int) -> LayerTiming {
        stages = work.stages
        let copies = work.microbatchCopies
        let gateNanos = work.gateNanos, expertNanos = work.expertNanos
        let microbatches = copies.count
        let stageCount = stages.count
        engine = Engine(seed: 0)
        network.reset()
        let entries = microbatches * (stageCount + 1) * gpus
        pending = [Int32](repeating: 0, count: entries)
        cause = [Int32](repeating: -1, count: entries)
        kernelStart = [Int64](repeating: 0, count: entries)
        kernelEnd = kernelStart
        entered = kernelStart
        kernelAfter = cause
        for g in 0..<gpus {
            lastKernel[g] = -1
            queues[g].removeAll(keepingCapacity: true)
            queueHead[g] = 0
            running[g] = -1
            busy[g] = 0
        }
        // Stage s+1 of micro-batch m on GPU g waits for g itself and for every flow into g of stage s.
        for m in 0..<microbatches {
            for s in 0..<stageCount {
                let traffic = stages[s].traffic(of: copies[m])
                for g in 0..<gpus {
                    var waits: Int32 = 1
                    if let traffic {
                        for other in 0..<gpus where other != g && traffic.bytes(from: other, to: g) > 0 {
                            waits += 1
                        }
                        for kind in TrafficMatrix.Loopback.allCases where traffic.loopbackBytes(of: g, through: kind) > 0 {
                            waits += 1
                        }
                    }
                    pending[index(m, s + 1, g)] = waits
                }
            }
        }

        var run = LayerTiming()
        var finished = 0
        var lastEntry = -1

        // Entering stage s of micro-batch m on GPU g at time `now`.
        func enter(_ m: Int, _ s: Int, _ g: Int, _ now: Int64) {
            entered[index(m, s, g)] = now
            if s == stageCount {
                finished += 1
                if lastEntry < 0 || now > run.layerTime.nanoseconds {
                    run.layerTime = SimTime(nanoseconds: now)
                    lastEntry = index(m, s, g)
                }
                return
            }
            if let traffic = stages[s].traffic(of: copies[m]) {
                let tag = Int32(m * stageCount + s)
                for other in 0..<gpus where other != g {
                    let amount = traffic.bytes(from: g, to: other)
                    if amount == 0 { continue }
                    network.addFlow(from: g, to: other, bytes: amount, at: SimTime(nanoseconds: now), tag: tag)
                }
                for kind in TrafficMatrix.Loopback.allCases {
                    let amount = traffic.loopbackBytes(of: g, through: kind)
                    if amount > 0 { network.addLoopbackFlow(gpu: g, through: kind, bytes: amount, at: SimTime(nanoseconds: now), tag: tag) }
                }
                release(m, s + 1, g, now, by: -2)
            } else {
                queues[g].append(Int32(m * stageCount + s))
                if running[g] < 0 { startNext(g, now) }
            }
        }

        func release(_ m: Int, _ s: Int, _ g: Int, _ now: Int64, by releaser: Int32) {
            let i = index(m, s, g)
            cause[i] = releaser
            pending[i] -= 1
            if pending[i] == 0 { enter(m, s, g, now) }
        }

        func startNext(_ g: Int, _ now: Int64) {
            guard queueHead[g] < queues[g].count else { return }
            let task = queues[g][queueHead[g]]
            queueHead[g] += 1
            running[g] = task
            let m = Int(task) / stageCount, s = Int(task) % stageCount
            let entry = index(m, s, g)
            kernelAfter[entry] = lastKernel[g]
            lastKernel[g] = Int32(entry)
            let duration: Int64
            switch stages[s] {
            case let .gate(factor):
                duration = gateNanos[m * gpus + g] * factor
            case let .experts(factor):
                duration = expertNanos[m * gpus + g] * factor
            case .dispatch, .combine:
                preconditionFailure("a transfer stage was queued on a compute stream")
            }
            busy[g] += duration
            kernelStart[entry] = now
            kernelEnd[entry] = now + duration
            engine.schedule(.computeDone(gpu: Int32(g)), at: SimTime(nanoseconds: now + duration))
        }

        let stageNames = recording == nil ? [] : LayerStage.names(of: stages)
        for m in 0..<microbatches {
            for g in 0..<gpus { enter(m, 0, g, 0) }
        }
        while true {
            let networkNext = network.nextEventTime()
            let engineNext = engine.nextTime
            if let t = networkNext, engineNext.map({ t <= $0 }) ?? true {
                engine.advance(to: t)
                completed.removeAll(keepingCapacity: true)
                network.advance(to: t, completed: &completed)
                for f in completed {
                    let tag = Int(network.tags[f.index])
                    release(tag / stageCount, tag % stageCount + 1, Int(network.destinations[f.index]), t.nanoseconds, by: f.rawValue)
                }
            } else if case let .computeDone(gpu)? = engine.step() {
                let g = Int(gpu)
                let now = engine.now.nanoseconds
                let task = Int(running[g])
                recording?.compute.append(Timeline.ComputeSpan(
                    gpu: gpu, startNanos: kernelStart[Int(lastKernel[g])], endNanos: now,
                    layer: Int32(layer), microbatch: Int32(task / stageCount), stage: stageNames[task % stageCount]))
                running[g] = -1
                release(task / stageCount, task % stageCount + 1, g, now, by: -2)
                if running[g] < 0 { startNext(g, now) }
            } else {
                break
            }
        }
        precondition(finished == microbatches * gpus, "the layer's event graph did not complete")

        if recording != nil {
            for f in 0..<network.flowCount {
                let tag = Int(network.tags[f])
                recording?.flows.append(Timeline.FlowSpan(
                    source: network.sources[f], destination: network.destinations[f],
                    startNanos: network.addedNanos[f], endNanos: network.finishedNanos[f],
                    bytes: network.bytes[f], layer: Int32(layer), microbatch: Int32(tag / stageCount),
                    stage: stageNames[tag % stageCount]))
            }
        }
        for g in 0..<gpus { gpuCompute[g] = SimTime(nanoseconds: busy[g]) }
        attributeCriticalPath(from: lastEntry, to: &run)
        precondition(run.gateTime + run.expertTime + run.dispatchTime + run.combineTime == run.layerTime,
                     "the critical path does not add up to the layer time")
        return run
    }

    /// Walks back from entry `last` (the layer's final event) along what released each step,
    /// adding every kernel and flow met to its phase.
    private func attributeCriticalPath(from last: Int, to run: inout LayerTiming) {
        let stageCount = stages.count
        func add(stage: Int, _ nanos: Int64) { run.add(nanos, to: stages[stage]) }
        var entry = last
        while entry >= 0 {
            let g = entry % gpus
            let ms = entry / gpus
            let m = ms / (stageCount + 1), s = ms % (stageCount + 1)
            let releaser = cause[entry]
            if s == 0 || releaser == -1 { break }
            if releaser >= 0 {
                // The last inbound flow: its whole life, then the sender's entry into that transfer stage.
                let f = Int(releaser)
                add(stage: s - 1, network.finishedNanos[f] - network.addedNanos[f])
                entry = index(m, s - 1, Int(network.sources[f]))
            } else if stages[s - 1].isCommunication {
                entry = index(m, s - 1, g)   // released the moment this GPU started its own sends
            } else {
                // A kernel; while it waited for the stream, the kernels before it were the path.
                var kernel = index(m, s - 1, g)
                while true {
                    add(stage: (kernel / gpus) % (stageCount + 1), kernelEnd[kernel] - kernelStart[kernel])
                    let before = Int(kernelAfter[kernel])
                    guard before >= 0 && kernelEnd[before] == kernelStart[kernel]
                            && kernelStart[kernel] > entered[kernel] else { break }
                    kernel = before
                }
                entry = kernel
            }
        }
    }

    @inline(__always) private func index(_ m: Int, _ s: Int, _ g: Int) -> Int {
        (m * (stages.count + 1) + s) * gpus + g
    }
}
