import Foundation
import XCTest
import TestSupport
@testable import NTPCore

final class MedianIntervalTests: XCTestCase {
    /// n = 20: P(B ≤ 5) = (1 + 20 + 190 + 1140 + 4845 + 15504)/2²⁰ = 21700/1048576, so [X₍₆₎, X₍₁₅₎]
    /// covers 1 − 43400/1048576 = 0.958611…, while [X₍₇₎, X₍₁₄₎] covers only 1 − 2·60460/2²⁰ = 0.8847.
    /// n = 6: [X₍₁₎, X₍₆₎], 1 − 2/64; n = 5 reaches only 1 − 2/32 = 0.9375 < 0.95: no interval.
    func testRanksAndCoverageByHand() {
        let twenty = MedianInterval(count: 20)
        XCTAssertEqual(twenty.lowerRank, 6); XCTAssertEqual(twenty.upperRank, 15)
        XCTAssertEqual(twenty.coverage!, 1 - 43400.0 / 1048576, accuracy: 1e-13)
        XCTAssertEqual(MedianInterval(count: 6).lowerRank, 1)
        XCTAssertEqual(MedianInterval(count: 6).coverage!, 1 - 2.0 / 64, accuracy: 1e-14)
        XCTAssertNil(MedianInterval(count: 5).lowerRank)
        XCTAssertNil(MedianInterval(count: 0).lowerRank)
        // Values 1…20 in a scrambled order: the 6th and 15th smallest.
        let values = (0..<20).map { Double((7 * $0) % 20 + 1) }
        XCTAssertEqual(Set(values).count, 20)
        let b = twenty.bounds(values)!
        XCTAssertEqual(b.lower, 6); XCTAssertEqual(b.upper, 15)
    }

    /// Against scipy.stats.binom for n = 1…300: the largest r with 1 − 2·cdf(r − 1) ≥ 0.95.
    func testRanksAgreeWithScipy() throws {
        let text = try Python.run("""
            from scipy.stats import binom
            out = []
            for n in range(1, 301):
                r = 0
                for k in range(1, (n + 1) // 2 + 1):
                    if 1 - 2 * binom.cdf(k - 1, n, 0.5) >= 0.95: r = k
                    else: break
                out.append(str(r))
            print(",".join(out))
            """)
        let theirs = text.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ",").map { Int($0)! }
        let ours = (1...300).map { MedianInterval(count: $0).lowerRank ?? 0 }
        XCTAssertEqual(ours, theirs)
        XCTAssertEqual(theirs[19], 6)
    }
}
