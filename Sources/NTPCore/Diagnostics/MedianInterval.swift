import Foundation

/// A distribution-free confidence interval for the median from order statistics.
///
/// For n i.i.d. draws from a continuous distribution, the number B of draws below the median is
/// Binomial(n, ½), so P(X₍ᵣ₎ ≤ median ≤ X₍ₙ₋ᵣ₊₁₎) = P(r ≤ B ≤ n − r) = 1 − 2 P(B ≤ r − 1). The interval
/// uses the largest r with that coverage ≥ the level (for n = 20 and 95 %: r = 6, [X₍₆₎, X₍₁₅₎],
/// coverage 0.9586). With ties (integer d*) the coverage is at least this.
public struct MedianInterval: Codable, Equatable, Sendable {
    /// Sample size n.
    public var count: Int
    /// 1-based rank r of the lower end (the upper end is n − r + 1); nil when n is too small for the level.
    public var lowerRank: Int?
    /// 1 − 2 P(B ≤ r − 1) for that r (nil without an interval).
    public var coverage: Double?

    enum CodingKeys: String, CodingKey { case count, lowerRank = "lower_rank", coverage }

    /// The ranks for n draws at `level` (default 95 %).
    public init(count n: Int, level: Double = 0.95) {
        count = n
        lowerRank = nil; coverage = nil
        guard n > 0 else { return }
        // P(B ≤ k) for B ~ Binomial(n, ½), accumulated in log space (n may be large).
        var cdf = 0.0
        var best: Int? = nil, bestCoverage: Double? = nil
        for r in 1...((n + 1) / 2) {
            let k = r - 1
            cdf += Foundation.exp(MedianInterval.logChoose(n, k) - Double(n) * Foundation.log(2.0))
            let cov = 1 - 2 * cdf
            if cov >= level { best = r; bestCoverage = cov } else { break }
        }
        lowerRank = best; coverage = bestCoverage
    }

    /// The 1-based rank of the upper end, n − r + 1.
    public var upperRank: Int? { lowerRank.map { count - $0 + 1 } }

    /// [X₍ᵣ₎, X₍ₙ₋ᵣ₊₁₎] of `values` (sorted here), or nil when n is too small for the level.
    public func bounds<T: Comparable>(_ values: [T]) -> (lower: T, upper: T)? {
        precondition(values.count == count, "MedianInterval built for \(count) values, given \(values.count)")
        guard let r = lowerRank, let s = upperRank else { return nil }
        let sorted = values.sorted()
        return (sorted[r - 1], sorted[s - 1])
    }

    static func logChoose(_ n: Int, _ k: Int) -> Double {
        lgamma(Double(n + 1)) - lgamma(Double(k + 1)) - lgamma(Double(n - k + 1))
    }
}
