import Foundation
import XCTest

/// `simulate --timeline FILE`: Chrome trace-event JSON of the first step, written atomically.
final class TimelineCommandTests: MoesimTestCase {
    func testTimelineIsWrittenAndParses() throws {
        let scenario = try write(ScenarioText.minimal(name: "tl"), to: "tl.json")
        let run = try moesim("simulate", scenario, "--timeline", path("out/tl.trace.json"))
        assertStatus(run, 0)
        XCTAssertTrue(run.stderr.contains("timeline: 48 kernels and"), run.brief)
        let data = try XCTUnwrap(FileManager.default.contents(atPath: path("out/tl.trace.json")))
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let events = try XCTUnwrap(json["traceEvents"] as? [[String: Any]])
        let names = Set(events.compactMap { $0["ph"] as? String == "X" ? $0["name"] as? String : nil })
        XCTAssertEqual(names, ["L0 gate mb0", "L0 experts mb0"])
        XCTAssertTrue(events.contains { ($0["name"] as? String)?.hasPrefix("L0 dispatch mb0 0→") == true })
        XCTAssertTrue(events.contains { ($0["args"] as? [String: Any])?["name"] as? String == "GPU 7 receive" })
    }

    func testTimelineNeedsTheFlowModelAndOneScenario() throws {
        let analytical = ScenarioText.minimal(name: "an").replacingOccurrences(
            of: #""simulation":{"seed":1}"#, with: #""simulation":{"seed":1,"network":"analytical"}"#)
        let file = try write(analytical, to: "an.json")
        let run = try moesim("simulate", file, "--timeline", path("x.json"))
        assertStatus(run, 64)
        XCTAssertTrue(run.stderr.contains("flow"), run.brief)
        let other = try write(ScenarioText.minimal(name: "b"), to: "b.json")
        let two = try moesim("simulate", other, other, "--timeline", path("x.json"))
        assertStatus(two, 64)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("x.json")))
    }
}
