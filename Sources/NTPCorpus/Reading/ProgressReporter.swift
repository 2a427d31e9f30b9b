#if canImport(Glibc)
import Glibc
#endif
import NTPFormats

/// A one-line progress display on stderr, shown only when stderr is a terminal.
public final class ProgressReporter {
    private let enabled: Bool
    private var lastDraw: Double = 0
    private let start: Double
    private var drawn = false

    /// `enabled: nil` means "when stderr is a terminal".
    public init(enabled: Bool? = nil) {
        self.enabled = enabled ?? (isatty(2) == 1)
        start = monotonicSeconds()
    }

    /// Redraws at most every 0.2 s.
    public func update(file: String, bytes: Int64, totalBytes: Int64?, tokens: Int64, ngrams: Int) {
        guard enabled else { return }
        let t = monotonicSeconds()
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
        writeStandardError(line)
        drawn = true
    }

    /// Clears the progress line.
    public func finish() {
        if drawn { writeStandardError("\r\u{1B}[2K"); drawn = false }
    }

    /// Writes `text` to file descriptor 2 at once (C's `stderr` is unbuffered too; its global
    /// `FILE *` is not visible to Swift 6's concurrency checking).
    private func writeStandardError(_ text: String) {
        var text = text
        text.withUTF8 { bytes in _ = write(2, bytes.baseAddress, bytes.count) }
    }

    private func fmt1(_ x: Double) -> String {
        let r = (x * 10).rounded() / 10
        return String(r)
    }
}
