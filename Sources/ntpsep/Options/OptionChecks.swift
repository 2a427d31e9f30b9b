import NTPReport

/// Range checks of numeric options, called from each command's `validate()` so a bad value is
/// refused before any input is read. They throw `UserError` (one line on stderr, exit 1), not
/// ArgumentParser's `ValidationError`, which appends the usage text.
enum OptionCheck {
    /// `value` ≥ 1.
    static func positive(_ value: Int, _ flag: String) throws {
        guard value >= 1 else { throw UserError("\(flag) must be a positive integer (got \(value))") }
    }

    /// `value` ≥ 0 (0 meaning "none" or "skip" where the help says so).
    static func nonNegative(_ value: Int, _ flag: String) throws {
        guard value >= 0 else { throw UserError("\(flag) must be 0 or more (got \(value))") }
    }

    /// A finite `value` > 0 (NaN and infinity are refused, "-1" as well).
    static func positive(_ value: Double, _ flag: String) throws {
        guard value.isFinite, value > 0 else { throw UserError("\(flag) must be a positive finite number (got \(value))") }
    }

    /// A finite `value` ≥ 0.
    static func nonNegative(_ value: Double, _ flag: String) throws {
        guard value.isFinite, value >= 0 else { throw UserError("\(flag) must be a finite number, 0 or more (got \(value))") }
    }
}
