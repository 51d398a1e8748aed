import Foundation

/// Renders a `Timeline` as Chrome trace-event JSON, which Perfetto (ui.perfetto.dev)
/// and chrome://tracing open.
///
/// One process per strategy; per GPU three threads: "GPU g compute" (one complete
/// span per kernel, which never overlap), "GPU g send" and "GPU g receive" (one async
/// span per flow, since flows of one GPU overlap). Span names say the layer, the stage
/// and the micro-batch, e.g. "L0 dispatch mb1 3→5". Times are microseconds with
/// nanosecond decimals.
public enum TimelineWriter {
    /// The whole trace as one JSON document.
    /// - Complexity: O(spans).
    public static func render(_ timeline: Timeline) -> String {
        var out = "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n"
        var first = true
        func emit(_ event: String) {
            if !first { out += ",\n" }
            first = false
            out += event
        }
        func micros(_ nanos: Int64) -> String { String(format: "%.3f", Double(nanos) / 1_000) }
        var flowID = 0
        for (index, track) in timeline.tracks.enumerated() {
            let pid = index + 1
            emit("{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":\(pid),\"args\":{\"name\":\(JSONValue.quoted(track.strategy))}}")
            for g in 0..<timeline.gpuCount {
                for (offset, role) in ["compute", "send", "receive"].enumerated() {
                    let tid = 3 * g + offset
                    emit("{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":\(pid),\"tid\":\(tid),\"args\":{\"name\":\"GPU \(g) \(role)\"}}")
                    emit("{\"ph\":\"M\",\"name\":\"thread_sort_index\",\"pid\":\(pid),\"tid\":\(tid),\"args\":{\"sort_index\":\(tid)}}")
                }
            }
            for span in track.compute {
                let name = "L\(span.layer) \(span.stage) mb\(span.microbatch)"
                emit("{\"ph\":\"X\",\"cat\":\"compute\",\"name\":\(JSONValue.quoted(name)),\"pid\":\(pid),"
                     + "\"tid\":\(3 * Int(span.gpu)),\"ts\":\(micros(span.startNanos)),"
                     + "\"dur\":\(micros(span.endNanos - span.startNanos))}")
            }
            for flow in track.flows {
                let name = "L\(flow.layer) \(flow.stage) mb\(flow.microbatch) \(flow.source)→\(flow.destination)"
                let args = "\"args\":{\"bytes\":\(flow.bytes)}"
                for (category, tid) in [("send", 3 * Int(flow.source) + 1), ("receive", 3 * Int(flow.destination) + 2)] {
                    flowID += 1
                    let common = "\"cat\":\"\(category)\",\"name\":\(JSONValue.quoted(name)),\"id\":\(flowID),\"pid\":\(pid),\"tid\":\(tid)"
                    emit("{\"ph\":\"b\",\(common),\"ts\":\(micros(flow.startNanos)),\(args)}")
                    emit("{\"ph\":\"e\",\(common),\"ts\":\(micros(flow.endNanos))}")
                }
            }
        }
        out += "\n]}\n"
        return out
    }
}
