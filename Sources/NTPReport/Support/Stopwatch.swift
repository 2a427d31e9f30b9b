/// Wall-clock time since creation, on `ContinuousClock` (monotonic), the one clock of the reports.
struct Stopwatch: Sendable {
    private let start: ContinuousClock.Instant

    /// Starts now.
    init() { start = ContinuousClock.now }

    /// Seconds since creation.
    var elapsed: Double { seconds(start.duration(to: ContinuousClock.now)) }

    /// "12.34 s".
    var elapsedText: String { fixed(elapsed, 2) + " s" }
}

/// A duration in seconds.
func seconds(_ d: Duration) -> Double {
    Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
}
