import Foundation

/// `moesim plan --plot`: the Pareto front of step time against GPUs (or drop rate) as an SVG figure, with the
/// chosen configuration marked.
///
/// Three series: the front of every scored point under the analytical model (the configurations no other beats
/// on both axes), the front of the refined points under the flow model, and the chosen point (the flow model's
/// best). A front has one point per x value, so the plot never averages two configurations into one marker.
public enum PlanPlot {
    /// What the x axis shows.
    public enum Axis: String, CaseIterable, Sendable {
        /// GPUs of the configuration (`cluster.nodes` × GPUs per node).
        case gpus
        /// The configuration's drop rate.
        case dropRate = "drop_rate"
    }

    /// One configuration on the figure.
    struct Entry: Equatable {
        let x: Double
        let stepTimeMicros: Double
    }

    /// The SVG text of the plan's fronts against `axis`.
    /// - Throws: `PlotError.noData` when nothing was scored.
    /// - Complexity: O(P log P) for P scored points.
    public static func svg(_ outcome: PlanOutcome, axis: Axis) throws -> String {
        func x(_ scenario: Scenario, _ result: StrategyResult) -> Double {
            axis == .gpus ? Double(scenario.cluster.gpuCount) : result.dropRate
        }
        let analytical = front(outcome.scoredPoints.map { Entry(x: axis == .gpus ? Double($0.gpus) : $0.dropRate,
                                                                stepTimeMicros: $0.analyticalStepTimeMicros) })
        let refined = front(outcome.ranked.map { candidate in
            let result = candidate.flow ?? candidate.analytical
            return Entry(x: x(candidate.scenario, result), stepTimeMicros: result.stepTimeMicros)
        })
        let chosen = outcome.ranked.first.map { candidate -> [Entry] in
            let result = candidate.flow ?? candidate.analytical
            return [Entry(x: x(candidate.scenario, result), stepTimeMicros: result.stepTimeMicros)]
        } ?? []
        var csv = "configurations,\(axis.rawValue),step_time_us\n"
        for (name, entries) in [("analytical model: Pareto front of every scored point", analytical),
                                ("flow model: Pareto front of the refined points", refined),
                                ("chosen (flow model)", chosen)] {
            for entry in entries { csv += "\(name),\(entry.x),\(entry.stepTimeMicros)\n" }
        }
        let request = PlotRequest(xColumn: axis.rawValue, yColumn: "step_time_us", byColumn: "configurations",
                                  title: "plan \(outcome.space.name): step time against \(axis == .gpus ? "GPUs" : "drop rate")")
        return SVGPlot.render(try PlotData(table: try CSVTable(text: csv, source: "plan"), request: request))
    }

    /// The entries no other entry beats on both x and step time (lower is better on both), ascending in x;
    /// of equal entries the first.
    /// - Complexity: O(n log n).
    static func front(_ entries: [Entry]) -> [Entry] {
        var front: [Entry] = []
        for entry in entries.sorted(by: { ($0.x, $0.stepTimeMicros) < ($1.x, $1.stepTimeMicros) }) {
            if let last = front.last, last.stepTimeMicros <= entry.stepTimeMicros { continue }
            front.append(entry)
        }
        return front
    }
}
