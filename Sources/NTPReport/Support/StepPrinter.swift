import NTPFormats
import Foundation

/// Numbered progress lines on stderr ("[2/6] … (3.10 s)") with indented detail lines; none when quiet.
struct StepPrinter {
    let total: Int
    let clock: Stopwatch
    let quiet: Bool
    /// Steps printed so far; a class so that copies of the printer share it.
    private final class Counter { var value = 0 }
    private let counter = Counter()

    init(total: Int, clock: Stopwatch, quiet: Bool = false) { self.total = total; self.clock = clock; self.quiet = quiet }

    /// The next numbered step.
    func step(_ text: String) {
        counter.value += 1
        guard !quiet else { return }
        FileHandle.standardError.write(Data("[\(counter.value)/\(total)] \(text)  (\(clock.elapsedText))\n".utf8))
    }

    /// An indented line under the current step.
    func detail(_ text: String) {
        if !quiet { FileHandle.standardError.write(Data("      \(text)\n".utf8)) }
    }
}
