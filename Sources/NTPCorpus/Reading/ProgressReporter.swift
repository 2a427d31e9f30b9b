#if canImport(Glibc)
import Glibc
#endif

/// A one-line progress display on stderr, shown only when stderr is a terminal.
public final class ProgressReporter {
    private let enabled: Bool
    private var lastDraw: Double = 0
    private let start: Double
    private var drawn = false

    /// `enabled: nil` means "when stderr is a terminal".
    public init(enabled: Bool? = nil) {
        self.enabled = enabled ?? (isatty(2) == 1)
        start = Self.now()
    }

    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }

    /// Redraws at most every 0.2 s.
    public func update(file: String, bytes: Int64, totalBytes: Int64?, tokens: Int64, ngrams: Int) {
        guard enabled else { return }
        let t = Self.now()
        guard t - lastDraw >= 0.2 else { return }
        lastDraw = t
        let mb = Double(bytes) / 1e6
        var line = "\r\u{1B}[2K"
        if let total = totalBytes, total > 0 {
            let frac = min(1, Double(bytes) / Double(total))
            let width = 24, full = Int(frac * Double(width))
            line += "[" + String(repeating: "#", count: full) + String(repeating: ".", count: width - full) + "] "
            line += fmt1(frac * 100) + "% "
        }
        let name = file.count > 30 ? "…" + file.suffix(29) : file
        line += "\(name)  \(fmt1(mb)) MB  \(tokens) tokens  \(ngrams) n-grams  \(fmt1(mb / max(t - start, 1e-9))) MB/s"
        fputs(line, stderr)
        drawn = true
    }

    /// Clears the progress line.
    public func finish() {
        if drawn { fputs("\r\u{1B}[2K", stderr); drawn = false }
    }

    private func fmt1(_ x: Double) -> String {
        let r = (x * 10).rounded() / 10
        return String(r)
    }
}
