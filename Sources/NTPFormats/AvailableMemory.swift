#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// The one definition of "available memory" that every size check uses (data set loading,
/// synthetic data, embeddings, sweeps, and later `ingest --memory`).
///
/// Available memory is the smaller of
/// - `MemAvailable` in `/proc/meminfo` (what the kernel can hand out without swapping), and
/// - what the memory limit of this process's cgroup leaves: `memory.max` (cgroup v2) or
///   `memory.limit_in_bytes` (cgroup v1) less the cgroup's working set (`memory.current` or
///   `memory.usage_in_bytes`, less the reclaimable `inactive_file` of `memory.stat`), looked up under the
///   process's own cgroup path from `/proc/self/cgroup` and, when that path is not visible (a namespaced
///   container), at the root of the mounted hierarchy. "max" and v1's near-2⁶³ "unlimited" count as no
///   limit. The limit alone counted memory the process already held as free: a 12,000-context check in a
///   1.5 GB cgroup passed every check and was killed by the OOM killer.
///
/// It is read afresh on each call (a few small files), so call it once per decision, not in a loop.
public enum AvailableMemory {
    /// Available bytes per the definition above; `nil` when neither source can be read (not Linux).
    public static func bytes() -> UInt64? {
        let limits = [memAvailable(), cgroupHeadroom()].compactMap { $0 }
        return limits.min()
    }

    /// Throws a one-line error when `needed` bytes exceed the available memory. `what` names the
    /// allocation ("gaussian:1000000000000 on 3 contexts"), `advice` says what to do instead.
    /// Does nothing when the available memory is unknown.
    public static func require(_ needed: UInt64, for what: String, advice: String) throws {
        guard let available = bytes(), needed > available else { return }
        throw NTPFormatError("\(what) needs \(byteText(needed)) of memory but only \(byteText(available)) is available (MemAvailable, or the cgroup limit less its usage); \(advice)", isMemory: true)
    }

    /// Like `require(_:for:advice:)` for a product of counts (elements × bytes each, …); a product
    /// that overflows 64 bits is always too large.
    public static func require(product factors: [Int], for what: String, advice: String) throws {
        var total: UInt64 = 1
        for f in factors {
            let (p, overflow) = total.multipliedReportingOverflow(by: UInt64(max(0, f)))
            if overflow {
                throw NTPFormatError("\(what) needs more than 2^64 bytes of memory; \(advice)", isMemory: true)
            }
            total = p
        }
        try require(total, for: what, advice: advice)
    }

    /// Like `require(_:for:advice:)` for an estimate computed in floating point (sums of
    /// products that could overflow an integer); non-finite or ≥ 2⁶⁴ estimates are too large.
    public static func require(approximately estimate: Double, for what: String, advice: String) throws {
        guard estimate.isFinite, estimate < 18_446_744_073_709_551_616.0 else {
            throw NTPFormatError("\(what) needs more than 2^64 bytes of memory; \(advice)", isMemory: true)
        }
        try require(UInt64(max(0, estimate)), for: what, advice: advice)
    }

    /// A byte count in binary units with three significant digits ("1.50 GiB").
    public static func byteText(_ n: UInt64) -> String {
        let units = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
        var value = Double(n), unit = 0
        while value >= 1024 && unit < units.count - 1 { value /= 1024; unit += 1 }
        if unit == 0 { return "\(n) bytes" }
        let digits = value >= 100 ? 0 : value >= 10 ? 1 : 2
        var text = String(Int((value * pow10(digits)).rounded()))
        if digits > 0 {
            while text.count <= digits { text = "0" + text }
            text.insert(".", at: text.index(text.endIndex, offsetBy: -digits))
        }
        return text + " " + units[unit]
    }

    private static func pow10(_ k: Int) -> Double { k == 0 ? 1 : k == 1 ? 10 : 100 }

    /// `MemAvailable` from /proc/meminfo, in bytes.
    static func memAvailable() -> UInt64? {
        guard let text = smallFile("/proc/meminfo") else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("MemAvailable:") {
            let fields = line.split(separator: " ")
            guard fields.count >= 2, let kib = UInt64(fields[1]) else { return nil }
            return kib * 1024
        }
        return nil
    }

    /// The cgroup v2 or v1 memory limit of this process less its working set, in bytes; nil when there is
    /// no limit.
    static func cgroupHeadroom() -> UInt64? {
        var candidates: [String] = []
        for line in (smallFile("/proc/self/cgroup") ?? "").split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3 else { continue }
            let path = parts[2] == "/" ? "" : String(parts[2])
            if parts[0] == "0" && parts[1].isEmpty {
                candidates.append("/sys/fs/cgroup\(path)/memory.max")
            } else if parts[1].split(separator: ",").contains("memory") {
                candidates.append("/sys/fs/cgroup/memory\(path)/memory.limit_in_bytes")
            }
        }
        candidates += ["/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"]
        for file in candidates {
            guard let text = smallFile(file) else { continue }
            let value = text.trimmingWhitespace
            if value == "max" { return nil }
            guard let limit = UInt64(value) else { continue }
            // cgroup v1 reports "unlimited" as the largest page-aligned Int64.
            if limit >= UInt64(Int64.max) / 2 { return nil }
            return limit - min(limit, workingSet(besideLimitFile: file) ?? 0)
        }
        return nil
    }

    /// A cgroup's usage less its inactive page cache (what it cannot give back without swapping), from the
    /// files beside its limit file; nil when the usage cannot be read.
    static func workingSet(besideLimitFile limitFile: String) -> UInt64? {
        let v2 = limitFile.hasSuffix("memory.max")
        let folder = limitFile.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        guard let text = smallFile(folder + (v2 ? "/memory.current" : "/memory.usage_in_bytes")),
              let usage = UInt64(text.trimmingWhitespace) else { return nil }
        let key = v2 ? "inactive_file" : "total_inactive_file"
        var inactive: UInt64 = 0
        for line in (smallFile(folder + "/memory.stat") ?? "").split(separator: "\n") {
            let fields = line.split(separator: " ")
            if fields.count == 2, fields[0] == key, let n = UInt64(fields[1]) { inactive = n }
        }
        return usage - min(usage, inactive)
    }

    /// The contents of a small text file (procfs/sysfs report size 0, so read until EOF).
    private static func smallFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while bytes.count < 1 << 20 {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            bytes += chunk[0..<n]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

private extension String {
    var trimmingWhitespace: String {
        String(self.drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
    }
}
