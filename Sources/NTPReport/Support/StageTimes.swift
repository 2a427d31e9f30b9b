/// Seconds per named stage of a command, for the `timing` object (stage → seconds) of its JSON output.
struct StageTimes {
    /// Seconds charged to each stage so far.
    private(set) var seconds: [String: Double] = [:]
    private var last = ContinuousClock.now

    /// Charges the time since the previous lap (or since creation) to `stage`, adding to it when
    /// the stage repeats.
    mutating func lap(_ stage: String) {
        let now = ContinuousClock.now
        seconds[stage, default: 0] += NTPReport.seconds(last.duration(to: now))
        last = now
    }
}
