import Foundation

/// Memory this process can use: the smaller of the kernel's MemAvailable (/proc/meminfo) and
/// the cgroup memory limit (v2 memory.max, or v1 memory.limit_in_bytes; "max" or a huge v1
/// value means no limit). `nil` where neither is readable (not Linux).
public func availableMemoryBytes() -> Int? {
    func read(_ path: String) -> String? { try? String(contentsOfFile: path, encoding: .utf8) }
    var best: Int? = nil
    func consider(_ value: Int?) { if let v = value, v > 0 { best = min(best ?? v, v) } }
    if let info = read("/proc/meminfo"),
       let line = info.split(separator: "\n").first(where: { $0.hasPrefix("MemAvailable:") }) {
        let kib = line.split(separator: " ").dropFirst().first.flatMap { Int($0) }
        consider(kib.map { $0 * 1024 })
    }
    for limitPath in ["/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"] {
        guard let text = read(limitPath)?.trimmingCharacters(in: .whitespacesAndNewlines), let limit = Int(text) else { continue }
        if limit < 1 << 60 { consider(limit) }
        break
    }
    return best
}
