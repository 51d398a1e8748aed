/// What one `moesim sweep` process runs: the points of its shard, each already decoded and
/// validated, and how to turn them into rows.
///
/// Every point of the whole grid is validated up front (not only this shard's), so a bad value
/// fails every shard at once, before anything runs or is written.
public struct SweepPlan: Sendable {
    /// The grid being swept.
    public let grid: SweepGrid
    /// The output format.
    public let table: SweepTable
    /// The grid points this process runs, ascending: all of them, or every `count`-th from `index`.
    public let points: [Int]
    /// The scenario of each of `points`.
    public let scenarios: [Scenario]

    /// Plans shard `shard.index` of `shard.count` (nil: the whole grid).
    /// - Throws: `SweepError.usage` for a bad shard or the first invalid point.
    /// - Complexity: O(points · document size).
    public init(grid: SweepGrid, shard: (index: Int, count: Int)? = nil) throws {
        let (index, count) = shard ?? (0, 1)
        guard count >= 1, index >= 0, index < count else {
            throw SweepError.usage("--shard \(index)/\(count): expected I/N with 0 ≤ I < N (e.g. --shard 0/4)")
        }
        var points: [Int] = []
        var scenarios: [Scenario] = []
        var perturbed = false
        for point in 0..<grid.pointCount {
            let scenario = try grid.scenario(at: point)
            perturbed = perturbed || !scenario.perturbations.isEmpty
            if point % count == index {
                points.append(point)
                scenarios.append(scenario)
            }
        }
        self.grid = grid
        table = SweepTable(grid: grid, perturbed: perturbed)
        self.points = points
        self.scenarios = scenarios
    }

    /// Simulates the `position`-th point of this plan and returns its rows.
    /// - Throws: `TraceError` when the scenario replays a trace file that turns out corrupt.
    /// - Complexity: that of `Simulator.run` on the point's scenario.
    public func rows(at position: Int) throws -> String {
        let point = points[position]
        return table.rows(point: point, labels: grid.labels(of: point), result: try Simulator.run(scenarios[position]))
    }

    /// How many of this plan's points an earlier, interrupted run of it finished, and the bytes
    /// of the file they span (header included), so that a resumed run truncates a cut-short tail
    /// there and appends the rest.
    ///
    /// Points are written in order, all rows of a point at once, so a finished run's file holds
    /// a prefix of `points`; a point with fewer rows than strategies was cut short and is redone.
    /// - Throws: `SweepError.data` when the file has other columns, another grid, or points
    ///   that are not this plan's in order (another `--shard`, or an edited file).
    /// - Complexity: O(rows in the file).
    public func finishedPrefix(of contents: SweepTable.Contents, file: String) throws -> (points: Int, bytes: Int) {
        guard contents.header == table.header else {
            throw SweepError.data("\(file) has other columns than this sweep writes (another scenario or other --set keys); "
                + "resume needs the same command line, or remove the file to start over")
        }
        if let grid = contents.gridID, grid != table.gridID {
            throw SweepError.data("\(file) holds grid \(grid), not this sweep's grid \(table.gridID) (the scenario "
                + "or a --set value changed); resume needs the same command line, or remove the file to start over")
        }
        var finished = 0
        var bytes = contents.header.utf8.count
        var row = 0
        while row < contents.rows.count {
            guard finished < points.count, contents.rows[row].point == points[finished] else {
                let expected = finished < points.count ? "point \(points[finished])" : "no more rows"
                throw SweepError.data("\(file): row \(row + 2) is point \(contents.rows[row].point) where this sweep "
                    + "expects \(expected) (was it written with another --shard?)")
            }
            let strategies = scenarios[finished].strategies.count
            let end = row + strategies
            guard end <= contents.rows.count,
                  contents.rows[row..<end].allSatisfy({ $0.point == points[finished] }) else { break }
            bytes += contents.rows[row..<end].reduce(0) { $0 + $1.text.utf8.count }
            finished += 1
            row = end
        }
        return (finished, bytes)
    }
}
