import XCTest
import TestSupport
import NTPFormats
@testable import NTPCore

/// Separability, γ*, γ*_∞ and the entropy gap do not depend on the scale of H (QA: H × 1e-7 came out
/// "undecided", H × 1e-50 gave a γ*_∞ whose W broke the ties, and H × 1e6 made check's Adam diverge).
/// Base embeddings with their largest column norm in [1, 2) times 2^k are solved on exactly the base H,
/// so every answer must be the base's, scaled by 2^k, bit for bit.
final class FeatureScalingTests: XCTestCase {
    /// m = 30, V = 12, supports of 1–4 tokens, and a d × 30 Gaussian H rescaled by a power of two to
    /// a largest column norm in [1, 2).
    func instance(dimension d: Int) throws -> (DataSet, ContextFeatures) {
        let data = try SyntheticData.generate(SyntheticSpec(contexts: 30, vocabulary: 12, support: .uniform(1, 4), seed: 3))
        let h = SyntheticData.gaussianEmbeddings(dimension: d, contexts: 30, scale: 1, seed: 5)
        let largest = SparseContextColumns.largestNorm(h)
        return (data, times(h, 1 / Double(sign: .plus, exponent: largest.exponent, significand: 1)))
    }

    func times(_ h: ContextFeatures, _ c: Double) -> ContextFeatures {
        ContextFeatures(dimension: h.dimension, contextCount: h.contextCount, storage: .dense(h.denseMatrix().map { $0 * c }))
    }

    func testBaseInstanceIsLeftAloneAndFarScalesAreMappedToIt() throws {
        let (_, h) = try instance(dimension: 5)
        XCTAssertNil(FeatureScaling(h))
        XCTAssertEqual(FeatureScaling(times(h, 0x1p40))?.factor, 0x1p40)
        XCTAssertEqual(FeatureScaling(times(h, 0x1p-170))?.factor, 0x1p-170)
        XCTAssertEqual(FeatureScaling(times(h, 0x1p-170)).map { $0.scaled(times(h, 0x1p-170)).denseMatrix() }, h.denseMatrix())
        XCTAssertNil(FeatureScaling(ContextFeatures(dimension: 3, contextCount: 3, storage: .identity)))
    }

    /// Both verdicts (d = 3 is not separable here, d = 20 is), with the brackets and W mapped exactly.
    func testVerdictsBracketsAndCertificatesScaleExactly() throws {
        for d in [3, 20] {
            let (data, h) = try instance(dimension: d)
            let base = Separability.decide(data, features: h)
            XCTAssertNotEqual(base.verdict, .undecided, "d = \(d)")
            XCTAssertEqual(base.verdict, d == 20 ? .separable : .notSeparable)
            for c in [0x1p40, 0x1p-170] {
                let scaled = times(h, c)
                let r = Separability.decide(data, features: scaled)
                XCTAssertEqual(r.verdict, base.verdict, "d = \(d), scale \(c)")
                XCTAssertEqual(r.marginBracket?.lower, base.marginBracket.map { $0.lower * c })
                XCTAssertEqual(r.marginBracket?.upper, base.marginBracket.map { $0.upper * c })
                XCTAssertEqual(r.check?.valid, true)
                if let w = r.separating {
                    XCTAssertEqual(w.weights, base.separating!.weights.map { $0 / c })
                    XCTAssertTrue(Separability.verify(w, data: data, features: scaled).valid)
                } else {
                    XCTAssertTrue(Separability.verify(try XCTUnwrap(r.farkas), data: data, features: scaled).valid)
                }
            }
        }
    }

    /// The QA case itself: H × 1e-7 (not a power of two) is separable like H.
    func testTinyDecimalScaleDecides() throws {
        let (data, h) = try instance(dimension: 20)
        XCTAssertEqual(Separability.decide(data, features: times(h, 1e-7)).verdict, .separable)
    }

    func testMaxNormMarginAndMinimumNormPointScaleExactly() throws {
        let (data, h) = try instance(dimension: 20)
        let base = MaxNormMarginSolver().solve(data, features: h)
        let point = try XCTUnwrap(Separability.maxMarginByMinNormPoint(data, features: h))
        XCTAssertEqual(base.status, .separable)
        for c in [0x1p40, 0x1p-170] {
            let r = MaxNormMarginSolver().solve(data, features: times(h, c))
            XCTAssertEqual(r.status, .separable)
            XCTAssertEqual(r.gamma, base.gamma * c)
            XCTAssertEqual(r.weights, base.weights.map { $0 / c })
            XCTAssertGreaterThanOrEqual(r.minMargin, 1 - 1e-9)
            let p = try XCTUnwrap(Separability.maxMarginByMinNormPoint(data, features: times(h, c)))
            XCTAssertEqual(p.gamma, point.gamma * c)
            XCTAssertEqual(p.weights, point.weights?.map { $0 / c })
        }
    }

    /// check's Adam runs on H/s: the entropy-gap interval is the base's exactly, and γ* scales.
    func testCheckReportScalesExactly() throws {
        let (data, h) = try instance(dimension: 20)
        let hooks = CheckHooks.standard(crossEntropySteps: 300)
        let base = try CheckRunner.run(data, features: h, embedding: "base", hooks: hooks)
        let big = try CheckRunner.run(data, features: times(h, 0x1p20), embedding: "big", hooks: hooks)
        XCTAssertEqual(big.separable, true)
        XCTAssertEqual(big.entropyGapInterval, base.entropyGapInterval)
        XCTAssertEqual(big.entropyGap, base.entropyGap)
        XCTAssertEqual(big.margin, base.margin.map { $0 * 0x1p20 })
    }
}
