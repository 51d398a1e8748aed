/// Merges the CSVs of a sharded sweep (`--shard 0/N` … `--shard N-1/N`) into the file a single
/// unsharded run would have written, byte for byte: the common header, then every point's rows
/// in grid order.
public enum SweepMerge {
    /// Merges `shards` (path, text) into one sweep CSV.
    /// - Throws: `SweepError.data` when a file is not a sweep CSV or is cut short, headers or
    ///   grids differ, a point appears twice, or points are missing (an unfinished or absent shard).
    /// - Complexity: O(total size + rows · log rows).
    public static func merge(_ shards: [(path: String, text: String)]) throws -> String {
        var header: (text: String, path: String)?
        var grid: (id: String, points: Int, path: String)?
        var rows: [(point: Int, shard: Int, order: Int, text: Substring)] = []
        var owner: [Int: String] = [:]
        for (shard, file) in shards.enumerated() {
            let contents = try SweepTable.read(file.text, file: file.path)
            if contents.endsMidLine {
                throw SweepError.data("\(file.path) ends in the middle of a row: its sweep was interrupted; "
                    + "finish it with the same command plus --resume, then merge")
            }
            if let header, header.text != contents.header {
                throw SweepError.data("\(file.path) has other columns than \(header.path): the shards come from "
                    + "different sweeps (another scenario or other --set keys) and cannot be merged")
            }
            header = header ?? (contents.header, file.path)
            if let id = contents.gridID, let points = contents.pointCount {
                if let grid, grid.id != id || grid.points != points {
                    throw SweepError.data("\(file.path) is from grid \(id) (\(points) points) but \(grid.path) from grid "
                        + "\(grid.id) (\(grid.points) points): shards of different sweeps cannot be merged")
                }
                grid = grid ?? (id, points, file.path)
            }
            for (order, row) in contents.rows.enumerated() {
                if let other = owner[row.point], other != file.path {
                    throw SweepError.data("point \(row.point) is in both \(other) and \(file.path): "
                        + "each shard must be given once (check the --shard of each)")
                }
                owner[row.point] = file.path
                rows.append((row.point, shard, order, row.text))
            }
        }
        guard let header else { throw SweepError.data("merge needs at least one shard file") }
        // Every point read is in 0..<points (SweepTable.read checks), so the count of missing ones
        // needs no pass over the whole grid, which a damaged file may claim to be astronomically large.
        if let grid, owner.count < grid.points {
            var first = 0
            while owner[first] != nil { first += 1 }
            throw SweepError.data("\(grid.points - owner.count) of \(grid.points) points are in no shard (the first is point "
                + "\(first)): a shard is missing or unfinished; run it (with --resume if it was interrupted) and merge again")
        }
        rows.sort { ($0.point, $0.shard, $0.order) < ($1.point, $1.shard, $1.order) }
        return header.text + rows.map(\.text).joined()
    }
}
