/// One simulation run's kernel: the clock, the event queue and the seeded random
/// stream. Nothing here is global, so any number of engines run side by side.
///
/// The engine only orders events; what they mean is the caller's business
/// (`Event` is typically an `enum` of the model's happenings).
public struct Engine<Event> {
    /// The current simulated time: the time of the last event popped.
    public private(set) var now: SimTime = .zero
    /// Events still to happen.
    public private(set) var queue = EventQueue<Event>()
    /// The run's random stream, seeded once.
    public var random: SplitMix64
    /// The seed the run started from (echoed in outputs).
    public let seed: UInt64

    /// A fresh engine at time zero.
    public init(seed: UInt64) {
        self.seed = seed
        random = SplitMix64(seed: seed)
    }

    /// Schedules `event` at `time`.
    /// - Precondition: `time >= now` (the past cannot change).
    /// - Complexity: O(log n).
    public mutating func schedule(_ event: Event, at time: SimTime) {
        precondition(time >= now, "an event was scheduled in the past")
        queue.push(event, at: time)
    }

    /// Schedules `event` `delay` after now.
    /// - Precondition: `delay >= 0`.
    public mutating func schedule(_ event: Event, after delay: SimTime) {
        precondition(delay >= .zero, "an event was scheduled with a negative delay")
        queue.push(event, at: now + delay)
    }

    /// Time of the next event, or nil if none is queued.
    public var nextTime: SimTime? { queue.nextTime }

    /// Pops the next event and moves the clock to its time.
    /// - Complexity: O(log n).
    public mutating func step() -> Event? {
        guard let (time, event) = queue.pop() else { return nil }
        now = time
        return event
    }

    /// Moves the clock forward to `time` without an event (another component, such as the
    /// flow network, had the earliest happening).
    /// - Precondition: `time >= now`, and no queued event is earlier than `time`.
    public mutating func advance(to time: SimTime) {
        precondition(time >= now && (queue.nextTime.map { $0 >= time } ?? true), "the clock may only move forward")
        now = time
    }
}
