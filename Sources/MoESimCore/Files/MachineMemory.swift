import Foundation

/// The memory this process may use: the machine's physical memory, or less when a control
/// group (a container, a Slurm job) limits it, as Linux's cgroup v2 `memory.max` or v1
/// `memory.limit_in_bytes` says. What runs and outputs check their estimates against.
public enum MachineMemory {
    /// Bytes available to this process at most.
    /// - Complexity: O(1) (reads two small files).
    public static var bytes: UInt64 {
        let limits = ["/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"].compactMap { path in
            (try? String(contentsOfFile: path, encoding: .utf8)).flatMap { UInt64($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        }
        return ([ProcessInfo.processInfo.physicalMemory] + limits).min() ?? ProcessInfo.processInfo.physicalMemory
    }
}
