import Foundation

/// The process's resident memory as the kernel reports it, for the benchmarks' `peak_rss_mb`
/// column. Linux only (`/proc/self`); elsewhere the peak reads 0 and the reset does nothing.
public enum ProcessMemory {
    /// Resets the peak resident set that `peakResidentMegabytes` reads (Linux 4.0+), so that a
    /// benchmark phase reports its own peak rather than an earlier phase's.
    public static func resetPeak() {
        try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
    }

    /// The process's peak resident set (VmHWM), MiB; 0 where unavailable.
    /// - Complexity: O(size of /proc/self/status).
    public static func peakResidentMegabytes() -> Double {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kilobytes = Double(line.split(separator: " ").dropFirst().first ?? "") else { return 0 }
        return kilobytes / 1024
    }
}
