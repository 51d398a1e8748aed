import Foundation

/// Where a run's time goes, summed over its threads: making each batch's router scores (the
/// generator, or reading the trace), routing them under every strategy (router, capacity limit,
/// replicas), and pricing the layers (counting copies, kernels, the network model, byte accounting).
/// `moesim bench scenario` prints it; a run without a profile measures nothing.
public final class SimulationProfile: @unchecked Sendable {
    /// The phases of a batch.
    public enum Phase: Int, CaseIterable, Sendable {
        /// Router scores: generated, or read from the trace (including waiting for the trace's turn).
        case scores
        /// Routing under every strategy, with the capacity limit and replica choice.
        case routing
        /// Pricing every strategy's layer (copies, kernels, network model, byte accounting).
        case pricing
    }

    private let lock = NSLock()
    private var nanos = [UInt64](repeating: 0, count: Phase.allCases.count)

    /// An empty profile.
    public init() {}

    /// Seconds spent in `phase`, summed over threads.
    public func seconds(in phase: Phase) -> Double {
        lock.lock(); defer { lock.unlock() }
        return Double(nanos[phase.rawValue]) / 1e9
    }

    /// Runs `body`, adding its wall time to `phase`.
    func measure<T>(_ phase: Phase, _ body: () throws -> T) rethrows -> T {
        let start = DispatchTime.now().uptimeNanoseconds
        defer {
            let elapsed = DispatchTime.now().uptimeNanoseconds - start
            lock.lock()
            nanos[phase.rawValue] += elapsed
            lock.unlock()
        }
        return try body()
    }
}
