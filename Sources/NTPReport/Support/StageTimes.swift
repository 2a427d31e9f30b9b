import NTPFormats

/// Seconds per named stage of a command, for the `timing` object (stage → seconds) of its JSON output.
struct StageTimes {
    /// Seconds charged to each stage so far.
    private(set) var seconds: [String: Double] = [:]
    private var last = monotonicSeconds()

    /// Charges the time since the previous lap (or since creation) to `stage`, adding to it when
    /// the stage repeats.
    mutating func lap(_ stage: String) {
        let now = monotonicSeconds()
        seconds[stage, default: 0] += now - last
        last = now
    }
}
