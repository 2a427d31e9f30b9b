/// Wall-clock time since creation, on `ContinuousClock` (monotonic), the one clock of the reports.
public struct Stopwatch: Sendable {
    private let start: ContinuousClock.Instant

    /// Starts now.
    public init() { start = ContinuousClock.now }

    /// Seconds since creation.
    public var elapsed: Double { seconds(start.duration(to: ContinuousClock.now)) }

    /// "12.34 s".
    public var elapsedText: String { fixed(elapsed, 2) + " s" }
}

/// A duration in seconds.
func seconds(_ d: Duration) -> Double {
    Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
}
