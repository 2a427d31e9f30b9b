import ArgumentParser
import NTPCorpus
import NTPFormats
import NTPReport

/// `--memory SIZE` and `--temp-dir DIR`: the RAM budget of counting and where sorted runs go
/// beyond it (ingest, merge).
struct MemoryArguments: ParsableArguments {
    /// The default budget as a fraction of the available memory.
    static let defaultFraction = 0.5

    @Option(help: "RAM for the counts, e.g. 256M or 4G (default: half the available memory, the smaller of MemAvailable and the cgroup limit). Beyond it sorted runs go to --temp-dir; the output is the same.")
    var memory: String?

    @Option(help: "Folder for the sorted runs (default: $TMPDIR or /tmp). Removed when done.")
    var tempDir: String?

    func validate() throws {
        // QA round 11: '' was taken, and the note said the runs "went to ".
        if tempDir?.isEmpty == true { throw UserError("--temp-dir '': give a folder, or omit it for $TMPDIR or /tmp") }
    }

    /// The budget in bytes.
    func budget() throws -> Int {
        if let memory { return try parseByteSize(memory, option: "--memory") }
        let available = AvailableMemory.bytes().map { Int(clamping: $0) } ?? (4 << 30)
        return Int(Double(available) * Self.defaultFraction)
    }
}

/// "256M", "4G", "512K", "1T" or a plain number of bytes (binary units).
func parseByteSize(_ text: String, option: String) throws -> Int {
    let units: [Character: Int] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40]
    var digits = Substring(text.uppercased())
    if digits.hasSuffix("B") && digits.count > 1 && units[digits[digits.index(before: digits.index(before: digits.endIndex))]] != nil { digits = digits.dropLast() }
    var scale = 1
    if let last = digits.last, let u = units[last] { scale = u; digits = digits.dropLast() }
    guard let value = Double(digits), value > 0, value * Double(scale) >= Double(16 << 20) else {
        throw UserError("\(option) \(text): expected a size of at least 16M, like 256M or 4G")
    }
    // Int(_:) traps past 2^63 (QA round 11: --memory inf, 1e400 and 9000000T crashed with a backtrace).
    guard let bytes = Int(exactly: (value * Double(scale)).rounded(.down)), bytes < 1 << 60 else {
        throw UserError("\(option) \(text): expected a size from 16M to 1048576T (2^60 bytes), like 256M or 4G")
    }
    return bytes
}
