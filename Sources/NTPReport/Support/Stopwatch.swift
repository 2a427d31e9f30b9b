import NTPFormats

extension Stopwatch {
    /// "12.34 s".
    var elapsedText: String { fixed(elapsed, 2) + " s" }
}
