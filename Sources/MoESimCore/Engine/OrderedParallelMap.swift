import Foundation

/// Runs independent work items on several threads and hands the results back in index order,
/// so that whatever finishes first, the consumer sees item 0, 1, 2, … — which is what makes a
/// sweep's output byte-identical for any number of jobs.
///
/// Workers take the next undone index from a shared counter (so a slow item never idles the
/// others); finished results wait in a small table until every earlier one has been delivered.
public enum OrderedParallelMap {
    /// Calls `work(i)` for every i in 0..<count on `jobs` threads and `deliver(i, result)` on the
    /// calling thread in increasing i, as soon as results 0...i are all done.
    ///
    /// If `work(i)` throws, the error is rethrown when item i's turn to be delivered comes (so the
    /// first failing item in index order wins, whatever the timing). If `deliver` or `work` throws,
    /// no new item starts, the running ones finish, and the error is rethrown.
    /// - Complexity: `count` calls of `work` spread over `jobs` threads; results wait at most
    ///   until every earlier one is done.
    public static func run<Result: Sendable>(count: Int, jobs: Int, work: @escaping @Sendable (Int) throws -> Result,
                                             deliver: (Int, Result) throws -> Void) throws {
        guard count > 0 else { return }
        let threads = min(max(jobs, 1), count)
        let state = SharedState<Result>(workers: threads)
        for _ in 0..<threads {
            let thread = Thread {
                while let index = state.claim(below: count) {
                    state.finish(index, Swift.Result { try work(index) })
                }
                state.retire()
            }
            thread.stackSize = 16 << 20
            thread.start()
        }
        try state.untilWorkersRetire {
            for index in 0..<count {
                try deliver(index, state.take(index).get())
            }
        }
    }

    /// The counter, the finished results and the live-worker count, behind one condition lock.
    private final class SharedState<Result: Sendable>: @unchecked Sendable {
        private let condition = NSCondition()
        private var next = 0
        private var cancelled = false
        private var done: [Int: Swift.Result<Result, Error>] = [:]
        private var liveWorkers: Int

        init(workers: Int) { liveWorkers = workers }

        /// The next index to work on, or nil when all are claimed or the run is cancelled.
        func claim(below count: Int) -> Int? {
            condition.lock(); defer { condition.unlock() }
            guard !cancelled, next < count else { return nil }
            next += 1
            return next - 1
        }

        func finish(_ index: Int, _ result: Swift.Result<Result, Error>) {
            condition.lock()
            done[index] = result
            condition.broadcast()
            condition.unlock()
        }

        func retire() {
            condition.lock()
            liveWorkers -= 1
            condition.broadcast()
            condition.unlock()
        }

        /// Blocks until result `index` is there and removes it.
        func take(_ index: Int) -> Swift.Result<Result, Error> {
            condition.lock(); defer { condition.unlock() }
            while true {
                if let result = done.removeValue(forKey: index) { return result }
                condition.wait()
            }
        }

        /// Runs `body`; on the way out (error or not) stops new claims and waits for every worker to retire.
        func untilWorkersRetire(_ body: () throws -> Void) throws {
            defer {
                condition.lock()
                cancelled = true
                while liveWorkers > 0 { condition.wait() }
                condition.unlock()
            }
            try body()
        }
    }
}
