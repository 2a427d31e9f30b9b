/// The one clock of the code base: seconds on `ContinuousClock`, which never goes backwards (unlike
/// the wall-clock date) and keeps counting while the machine sleeps. Elapsed times in reports,
/// deadlines of solvers and the progress display all read it, so a time limit and the time reported
/// against it are measured the same way.
///
/// Seconds are a `Double` because deadlines are compared and budgets divided in floating point all
/// over the numerics; the origin is the first reading in the process, so only differences mean
/// anything.
@inline(__always) public func monotonicSeconds() -> Double {
    (ContinuousClock.now - clockOrigin).seconds
}

/// Wall time since creation, on the same clock as `monotonicSeconds()`.
public struct Stopwatch: Sendable {
    private let start: ContinuousClock.Instant

    /// Starts measuring now.
    public init() { start = .now }

    /// Seconds since `init()`.
    public var elapsed: Double { (ContinuousClock.now - start).seconds }
}

/// The reading `monotonicSeconds()` counts from (set once, on first use; a global `let` is
/// initialized exactly once even when threads race to read it).
private let clockOrigin = ContinuousClock.now

extension Duration {
    /// The duration in seconds, with attosecond resolution folded into a `Double`.
    var seconds: Double {
        let (whole, atto) = components
        return Double(whole) + Double(atto) * 1e-18
    }
}
