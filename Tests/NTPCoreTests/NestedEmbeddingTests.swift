import Foundation
import XCTest
import TestSupport
import NTPFormats
@testable import NTPCore

final class NestedEmbeddingTests: XCTestCase {

    private func dense(_ f: ContextFeatures) -> [Double] { f.denseMatrix() }

    /// gaussian:d:S is the first d rows of gaussian:D:S times √(D/d), and rows are drawn one at a
    /// time across contexts: entry (0, 0) is the stream's first N(0, 1) draw / √d, entry (0, 1) the second.
    func testGaussianRowsAreNestedAcrossDimensions() throws {
        let data = makeData(V: 3, rows: (0..<7).map { [$0 % 3: 1] })
        let big = dense(try ContextFeatures.make(.gaussian(dimension: 12, seed: 3), for: data))
        for d in [1, 5, 11] {
            let small = dense(try ContextFeatures.make(.gaussian(dimension: d, seed: 3), for: data))
            for j in 0..<7 { for i in 0..<d {
                XCTAssertEqual(small[j * d + i], big[j * 12 + i] * (12.0 / Double(d)).squareRoot(), accuracy: 1e-14)
            } }
        }
        var rng = SeededGenerator(seed: 3)
        let g0 = rng.nextGaussian(), g1 = rng.nextGaussian()
        XCTAssertEqual(big[0], g0 / 12.0.squareRoot(), accuracy: 1e-15)
        XCTAssertEqual(big[12], g1 / 12.0.squareRoot(), accuracy: 1e-15)
    }

    /// positional-gaussian: each (position, token) block of D' entries is the first D' entries of the
    /// D block, rescaled; contexts sharing a token at a position share that block.
    func testPositionalGaussianIsNestedPerPositionBlock() throws {
        let ctx: [Int32] = [0, 1, 2, 1, 0, 3, 2, 2]
        let data = makeData(V: 4, rows: [[0: 1], [1: 2], [2: 1], [3: 1]], contexts: ctx, contextLength: 2)
        let big = dense(try ContextFeatures.make(.positionalGaussian(dimension: 6, seed: 9), for: data))
        let small = dense(try ContextFeatures.make(.positionalGaussian(dimension: 2, seed: 9), for: data))
        for j in 0..<4 { for p in 0..<2 { for t in 0..<2 {
            XCTAssertEqual(small[j * 4 + p * 2 + t], big[j * 12 + p * 6 + t] * 3.0.squareRoot(), accuracy: 1e-14)
        } } }
        // Context 0 = (0, 1) and context 2 = (0, 3): the same position-0 block, different position-1 blocks.
        XCTAssertEqual(Array(big[0..<6]), Array(big[24..<30]))
        XCTAssertNotEqual(Array(big[6..<12]), Array(big[30..<36]))
    }

    /// A W at d, padded with zeros (and scaled by √(D/d)), verifies at D > d; a Farkas pair at d
    /// verifies unchanged at d' < d and fails at d* (where the data are separable).
    func testCertificatesComposeAcrossNestedDimensions() throws {
        let corpus = SyntheticText.zipfianMarkov(vocabularySize: 30, length: 4000, seed: 5)
        let data = DataSetSampling.choose(corpus, count: 24, choice: .mostFrequent).data
        let V = data.vocabularySize
        func h(_ d: Int) throws -> ContextFeatures { try ContextFeatures.make(.gaussian(dimension: d, seed: 3), for: data) }
        let b = try ThresholdSearch.run(cap: 24) { d in (Separability.decide(data, features: try h(d)).verdict, 0) }
        let star = try XCTUnwrap(b.threshold)
        XCTAssertGreaterThan(star, 4)
        let yes = Separability.decide(data, features: try h(star))
        let no = Separability.decide(data, features: try h(star - 1))
        let w = try XCTUnwrap(yes.separating).weights, farkas = try XCTUnwrap(no.farkas)
        let D = star + 5
        var padded = [Double](repeating: 0, count: V * D)
        for v in 0..<V { for i in 0..<star { padded[v * D + i] = w[v * star + i] * (Double(D) / Double(star)).squareRoot() } }
        XCTAssertTrue(Separability.verify(SeparatingCertificate(weights: padded, anchors: yes.separating!.anchors),
                                          data: data, features: try h(D)).valid)
        XCTAssertTrue(Separability.verify(farkas, data: data, features: try h(star - 4)).valid)
        XCTAssertTrue(Separability.verify(farkas, data: data, features: try h(1)).valid)
        XCTAssertFalse(Separability.verify(farkas, data: data, features: try h(star)).valid)
    }
}
