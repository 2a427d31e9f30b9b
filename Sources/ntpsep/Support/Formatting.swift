#if canImport(Glibc)
import Glibc
#endif

/// 1234567 -> "1,234,567".
func grouped(_ n: Int) -> String {
    let s = String(n.magnitude)
    var out = ""
    for (i, ch) in s.enumerated() {
        if i > 0 && (s.count - i) % 3 == 0 { out.append(",") }
        out.append(ch)
    }
    return (n < 0 ? "-" : "") + out
}

/// A fixed-point rendering with `digits` decimals (C printf semantics, locale independent).
func fixed(_ x: Double, _ digits: Int) -> String {
    formatted("%.\(digits)f", x)
}

/// A compact general rendering (printf %.*g).
func general(_ x: Double, _ digits: Int = 4) -> String {
    formatted("%.\(digits)g", x)
}

private func formatted(_ format: String, _ x: Double) -> String {
    var buffer = [CChar](repeating: 0, count: 64)
    _ = withVaList([x]) { vsnprintf(&buffer, 64, format, $0) }
    return String(cString: buffer)
}

/// Wall-clock time since creation.
struct Stopwatch {
    private let start: Double
    init() { start = Stopwatch.now() }
    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }
    var elapsed: Double { Stopwatch.now() - start }
    var elapsedText: String { fixed(elapsed, 2) + " s" }
}

/// "[lo, hi]" with at least `digits` significant digits, and more (up to 8) until the two ends differ,
/// so a tight interval never prints as [x, x].
func intervalText(_ lo: Double, _ hi: Double, _ digits: Int = 4) -> String {
    var k = digits
    while k < 8 && lo != hi && general(lo, k) == general(hi, k) { k += 1 }
    return "[\(general(lo, k)), \(general(hi, k))]"
}
