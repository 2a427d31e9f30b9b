#if canImport(Glibc)
import Glibc
#endif

/// 1234567 -> "1,234,567".
public func grouped(_ n: Int) -> String {
    let s = String(n.magnitude)
    var out = ""
    for (i, ch) in s.enumerated() {
        if i > 0 && (s.count - i) % 3 == 0 { out.append(",") }
        out.append(ch)
    }
    return (n < 0 ? "-" : "") + out
}

/// A fixed-point rendering with `digits` decimals (C printf semantics, locale independent).
public func fixed(_ x: Double, _ digits: Int) -> String {
    formatted("%.\(digits)f", x)
}

/// A compact general rendering (printf %.*g).
public func general(_ x: Double, _ digits: Int = 4) -> String {
    formatted("%.\(digits)g", x)
}

/// `x` in C printf's `format` (one double conversion), locale independent.
public func formatted(_ format: String, _ x: Double) -> String {
    var buffer = [CChar](repeating: 0, count: 64)
    _ = withVaList([x]) { vsnprintf(&buffer, 64, format, $0) }
    return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// "[lo, hi]" of a certified interval, rounded outward (lo down, hi up) so that the printed interval
/// contains it, with at least `digits` significant digits and more (up to 8) until the two ends
/// rounded to nearest differ. An infinite end prints as ∞. (Rounded to nearest, γ* ∈ [0.0114656,
/// 0.0114663] printed as [0.01147, 0.01147], an interval that misses it.)
public func intervalText(_ lo: Double, _ hi: Double, _ digits: Int = 4) -> String {
    let ends = intervalEnds(lo, hi, digits)
    return "[\(ends.lower), \(ends.upper)]"
}

/// The two ends as `intervalText` prints them.
public func intervalEnds(_ lo: Double, _ hi: Double, _ digits: Int = 4) -> (lower: String, upper: String) {
    var k = digits
    while k < 8 && lo != hi && general(lo, k) == general(hi, k) { k += 1 }
    return (general(lo, k, roundingUp: false), general(hi, k, roundingUp: true))
}

/// `x` to `digits` significant digits (printf %g) rounded up (towards +∞) or down; an infinite `x` as ∞ or −∞.
public func general(_ x: Double, _ digits: Int, roundingUp up: Bool) -> String {
    guard !x.isInfinite else { return x > 0 ? "∞" : "−∞" }
    let nearest = general(x, digits)
    // Double(nearest) is on the same side of x as the decimal itself: rounding to a double is monotone.
    guard let y = Double(nearest), up ? y < x : y > x else { return nearest }
    // One in the last printed digit, by x's exponent: rounded to nearest, 0.99999 prints as 1, and down is 0.9999.
    let unit = pow(10, log10(abs(x)).rounded(.down) - Double(digits - 1))
    return general(up ? y + unit : y - unit, digits)
}

/// The side of a column a padded cell keeps to.
public enum CellAlignment: Sendable {
    /// Text first, spaces after (labels).
    case left
    /// Spaces first, text after (numbers).
    case right
}

extension String {
    /// The string with spaces added to `width` characters (never cut): after it for `.left`,
    /// before it for `.right`. The one padding helper of every text table.
    public func padded(_ width: Int, _ alignment: CellAlignment = .left) -> String {
        guard count < width else { return self }
        let spaces = String(repeating: " ", count: width - count)
        return alignment == .left ? self + spaces : spaces + self
    }
}

/// "verdict" of an optional yes/no decision: "yes", "no" or "undecided".
public func verdict(_ b: Bool?) -> String { b.map { $0 ? "yes" : "no" } ?? "undecided" }
