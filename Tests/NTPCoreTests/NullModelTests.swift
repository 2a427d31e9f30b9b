import Foundation
import XCTest
import TestSupport
import NTPFormats
@testable import NTPCore

final class NullModelTests: XCTestCase {

    /// Support sizes and each row's sorted counts are exact; the draw is a function of the seed.
    func testFrequencyNullKeepsSupportSizesAndCounts() throws {
        let data = SyntheticText.zipfianMarkov(vocabularySize: 30, length: 4000, seed: 5)
        let null = NullModel.frequency.sample(data, seed: 4)
        try null.validate()
        XCTAssertEqual(null.rowOffsets, data.rowOffsets)
        for j in 0..<data.contextCount {
            let r = data.rowOffsets[j]..<data.rowOffsets[j + 1]
            XCTAssertEqual(null.counts[r].sorted(), data.counts[r].sorted())
            XCTAssertEqual(Set(null.columns[r]).count, r.count)   // without replacement
        }
        XCTAssertEqual(NullModel.frequency.sample(data, seed: 4), null)
        XCTAssertNotEqual(NullModel.frequency.sample(data, seed: 5), null)
        XCTAssertNotEqual(null.columns, data.columns)
    }

    /// Singleton supports: context j's token is v with probability w_v / W (w = real token totals), so
    /// the expected total count of v is w_v · Σ_j c_j / W = w_v. The mean over 2,000 draws is within 5
    /// standard errors of w_v for every token; the uniform null's is Σ c / V for every token instead.
    /// Two-token supports: v joins with probability p_v + Σ_{u≠v} p_u p_v / (1 − p_u).
    func testFrequencyNullPreservesTokenTotalsInExpectation() {
        let counts: [Double] = [9, 1, 4, 2, 7, 3, 1, 5, 2, 6]
        let tokens = [0, 0, 0, 1, 1, 2, 3, 0, 4, 5]   // V = 6: totals w = (19, 9, 3, 1, 2, 6)
        let data = makeData(V: 6, rows: zip(tokens, counts).map { [$0.0: $0.1] })
        let w: [Double] = [19, 9, 3, 1, 2, 6]
        let n = 2000
        var sum = [Double](repeating: 0, count: 6), sq = [Double](repeating: 0, count: 6)
        for s in 0..<n {
            var tot = [Double](repeating: 0, count: 6)
            let null = NullModel.frequency.sample(data, seed: UInt64(s))
            for e in 0..<null.columns.count { tot[Int(null.columns[e])] += null.counts[e] }
            for v in 0..<6 { sum[v] += tot[v]; sq[v] += tot[v] * tot[v] }
        }
        for v in 0..<6 {
            let mean = sum[v] / Double(n), se = ((sq[v] / Double(n) - mean * mean) / Double(n)).squareRoot()
            XCTAssertEqual(mean, w[v], accuracy: 5 * se + 1e-9, "token \(v)")
        }
        // Two-token supports over the same V: inclusion probabilities.
        let pair = makeData(V: 6, rows: [[0: 19], [1: 9], [2: 3], [3: 1], [4: 2], [5: 6], [0: 1, 1: 1]])
        let wp: [Double] = [20, 10, 3, 1, 2, 6], total = 42.0
        let p = wp.map { $0 / total }
        var hits = [Double](repeating: 0, count: 6)
        for s in 0..<n {
            let null = NullModel.frequency.sample(pair, seed: UInt64(s))
            for e in null.rowOffsets[6]..<null.rowOffsets[7] { hits[Int(null.columns[e])] += 1 }
        }
        for v in 0..<6 {
            var expected = p[v]
            for u in 0..<6 where u != v { expected += p[u] * p[v] / (1 - p[u]) }
            let se = (expected * (1 - expected) / Double(n)).squareRoot()
            XCTAssertEqual(hits[v] / Double(n), expected, accuracy: 5 * se, "token \(v)")
        }
    }

    /// most-frequent ranks by count (ties by row); random-contexts is `subsample`'s draw; every
    /// ranking's prefixes are nested; random-events picks the heavier of two contexts (3 vs 1) first
    /// with probability 3/4.
    func testContextChoices() {
        let data = makeData(V: 3, rows: [[0: 1], [1: 5], [2: 2], [0: 5], [1: 3, 2: 1]])
        XCTAssertEqual(DataSetSampling.rankedContexts(data, choice: .mostFrequent), [1, 3, 4, 2, 0])
        XCTAssertEqual(DataSetSampling.choose(data, count: 3, choice: .mostFrequent).rows, [1, 3, 4])
        XCTAssertEqual(DataSetSampling.rankedContexts(data, choice: .mostFrequent, minContextCount: 3), [1, 3, 4])
        let corpus = SyntheticText.zipfianMarkov(vocabularySize: 30, length: 4000, seed: 5)
        for choice in ContextChoice.allCases {
            let big = DataSetSampling.rankedContexts(corpus, choice: choice, limit: 200, seed: 6)
            XCTAssertEqual(DataSetSampling.rankedContexts(corpus, choice: choice, limit: 50, seed: 6), Array(big.prefix(50)))
        }
        XCTAssertEqual(DataSetSampling.choose(corpus, count: 50, choice: .randomContexts, seed: 6).rows,
                       DataSetSampling.subsample(corpus, maxContexts: 50, seed: 6).rows)
        let two = makeData(V: 2, rows: [[0: 1], [1: 3]])
        let heavyFirst = (0..<4000).filter { DataSetSampling.rankedContexts(two, choice: .randomEvents, seed: UInt64($0))[0] == 1 }.count
        XCTAssertEqual(Double(heavyFirst) / 4000, 0.75, accuracy: 5 * (0.75 * 0.25 / 4000).squareRoot())
    }
}
