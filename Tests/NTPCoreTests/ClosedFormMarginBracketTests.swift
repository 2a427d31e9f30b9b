import XCTest
import TestSupport
@testable import NTPCore
import NTPFormats

/// The bracket on γ* after a closed-form "yes" (`ClosedFormMarginBracket`).
final class ClosedFormMarginBracketTests: XCTestCase {
    /// V = 3, S_1 = {0}, S_2 = {0, 1}. With H = I the contexts decouple: context 1 minimises
    /// l_0² + l_1² + l_2² with l_0 − l_1 ≥ 1, l_0 − l_2 ≥ 1 at (2/3, −1/3, −1/3), norm² 2/3; context 2
    /// minimises 2t² + (t − 1)² (l_0 = l_1 = t, l_2 = t − 1) at t = 1/3, norm² 2/3. So ‖W^mm‖² = 4/3 and
    /// γ* = √3/2, where the indicator certificate alone gives 1/√3 (margin 1, ‖W‖² = 3).
    func testOneHotBracketIsExact() throws {
        let data = makeData(V: 3, rows: [[0: 2], [0: 1, 1: 3]])
        let onehot = ContextFeatures(dimension: 2, contextCount: 2, storage: .identity)
        let r = Separability.decide(data, features: onehot)
        XCTAssertEqual(r.verdict, .separable)
        XCTAssertEqual(r.method, "closed form")
        let bracket = try XCTUnwrap(r.marginBracket)
        XCTAssertEqual(bracket.lower, 3.0.squareRoot() / 2, accuracy: 1e-12)
        XCTAssertEqual(bracket.upper, 3.0.squareRoot() / 2, accuracy: 1e-12)
        // The certificate is still the support indicator; its own normalized margin is 1/√3.
        XCTAssertEqual(try XCTUnwrap(r.normalizedMargin), 1 / 3.0.squareRoot(), accuracy: 1e-12)
        let gamma = try MaxMarginSolver(tolerance: 1e-12).solve(try DataSubspace(data: data, features: onehot)).margin
        XCTAssertEqual(gamma, 3.0.squareRoot() / 2, accuracy: 1e-9)
    }

    /// γ* = √(V/Σ k_j (V − k_j)) on a whole corpus's worth of one-hot contexts (226,404 of them over
    /// V = 48,865, supports of 1 to 17 tokens), against the same formula in 80-bit arithmetic from the
    /// integer sum: within 3e-16. The sum of the float terms k (V − k)/V was off by more than 1e-13 here
    /// (2e-12 on the QA's German corpus), and the closed bracket [γ, γ] then missed γ*.
    func testOneHotGammaOnManyContextsIsExactToRoundOff() throws {
        let V = 48_865, m = 226_404
        var offsets = [0], columns: [Int32] = []
        for j in 0..<m {
            let k = 1 + j % 17
            columns.append(contentsOf: (0..<k).map { Int32(($0 * 2_903 + j) % V) }.sorted())
            offsets.append(columns.count)
        }
        let data = DataSet(contextCount: m, vocabularySize: V, rowOffsets: offsets, columns: columns,
                           counts: [Double](repeating: 1, count: columns.count), contexts: nil, contextLength: 0)
        let gamma = try XCTUnwrap(ClosedFormMarginBracket.oneHot(data))
        let sum = (0..<m).reduce(0) { s, j in s + (1 + j % 17) * (V - 1 - j % 17) }
        let exact = (Float80(V) / Float80(sum)).squareRoot()
        XCTAssertLessThan(abs(Float80(gamma) - exact) / exact, 3e-16)
        let floatTerms = (0..<m).reduce(0.0) { s, j in let k = Double(1 + j % 17); return s + k * (Double(V) - k) / Double(V) }
        XCTAssertGreaterThan(abs(Float80(1 / floatTerms.squareRoot()) - exact) / exact, 1e-13, "the premise: the float terms are off")
    }

    /// The same supports with h̄_1 = 2 (0.6, 0.8, 0), h̄_2 = 2 (0, 0, 1): G = 4I, so W = L Hᵀ/4 and
    /// ‖W‖ = ‖L‖/2 for every logit matrix L; γ* doubles to √3. G diagonal makes each block step exact,
    /// so the dual ascent reaches both ends.
    func testFullRankOrthogonalColumnsBracketIsExact() throws {
        let data = makeData(V: 3, rows: [[0: 2], [0: 1, 1: 3]])
        let h = denseFeatures([[1.2, 1.6, 0], [0, 0, 2]])
        let r = Separability.decide(data, features: h)
        XCTAssertEqual(r.verdict, .separable)
        XCTAssertEqual(r.method, "closed form")
        let bracket = try XCTUnwrap(r.marginBracket)
        XCTAssertEqual(bracket.lower, 3.0.squareRoot(), accuracy: 1e-9)
        XCTAssertEqual(bracket.upper, 3.0.squareRoot(), accuracy: 1e-9)
    }

    /// Random supports with Gaussian H at d ≥ m: the bracket contains γ* = 1/‖W^mm‖ from
    /// `MaxMarginSolver` and its upper end is finite; off (as in `sweep`), the upper end stays ∞.
    func testFullRankBracketContainsTheMaxMargin() throws {
        for (seed, d) in [(UInt64(1), 12), (2, 15), (3, 30), (4, 12)] {
            let data = smallRandomSupports(seed: seed)
            let features = try ContextFeatures.make(.gaussian(dimension: d, seed: seed + 10), for: data)
            let r = Separability.decide(data, features: features)
            XCTAssertEqual(r.method, "closed form")
            let bracket = try XCTUnwrap(r.marginBracket)
            let gamma = try MaxMarginSolver(tolerance: 1e-10).solve(try DataSubspace(data: data, features: features)).margin
            XCTAssertTrue(bracket.upper.isFinite, "seed \(seed)")
            XCTAssertLessThanOrEqual(bracket.lower, gamma * (1 + 1e-8), "seed \(seed)")
            XCTAssertGreaterThanOrEqual(bracket.upper, gamma * (1 - 1e-8), "seed \(seed)")
            // 50 passes on 12 contexts, measured: upper/γ* − 1 = 3.6e-5, 1.8e-6, < 1e-6, 1.1e-4 and
            // 1 − lower/γ* = 0.014, 0.0017, < 1e-6, 0.013 (d = m conditions G worst).
            XCTAssertLessThan(bracket.upper / gamma - 1, 2e-4, "seed \(seed)")
            XCTAssertGreaterThan(bracket.lower / gamma, 0.98, "seed \(seed)")

            var off = SeparabilityOptions(); off.boundMarginAfterYes = false
            let plain = try XCTUnwrap(Separability.decide(data, features: features, options: off).marginBracket)
            XCTAssertEqual(plain.upper, .infinity)
            XCTAssertLessThanOrEqual(plain.lower, bracket.lower)
            // The certificate is the W behind each lower end: the support indicator's W without the
            // bound, the dual's verified W (every margin ≥ 1) with it, when that certifies more.
            let plainResult = Separability.decide(data, features: features, options: off)
            XCTAssertEqual(plain.lower, try XCTUnwrap(plainResult.normalizedMargin), accuracy: 1e-15)
            XCTAssertEqual(bracket.lower, try XCTUnwrap(r.normalizedMargin), accuracy: 1e-15)
            let cert = try XCTUnwrap(r.separating)
            let check = Separability.verify(cert, data: data, features: features)
            XCTAssertTrue(check.valid)
            XCTAssertEqual(check.minMargin / cert.frobeniusNorm, bracket.lower, accuracy: 1e-12 * bracket.lower)
            XCTAssertGreaterThanOrEqual(check.minMargin, 1 - 1e-12)
        }
    }

    /// The dense check (logits by GEMM) agrees with the per-entry sums it replaced: the same H stored
    /// sparse, with every entry listed, goes through the per-entry path.
    func testDenseVerificationAgreesWithPerEntrySums() throws {
        var rng = SeededGenerator(seed: 7)
        let V = 6, m = 300, d = 5
        let rows: [[Int: Double]] = (0..<m).map { _ in [Int(rng.next() % UInt64(V)): 1] }
        let data = makeData(V: V, rows: rows)
        let h = (0..<(d * m)).map { _ in rng.nextGaussian() }
        let w = (0..<(V * d)).map { _ in rng.nextGaussian() }
        let dense = ContextFeatures(dimension: d, contextCount: m, storage: .dense(h))
        let sparse = ContextFeatures(dimension: d, contextCount: m, storage: .sparse(
            nonzerosPerContext: d, indices: (0..<(d * m)).map { Int32($0 % d) }, values: h))
        let cert = SeparatingCertificate(weights: w, anchors: Separability.anchors(data))
        let a = Separability.verify(cert, data: data, features: dense)
        let b = Separability.verify(cert, data: data, features: sparse)
        XCTAssertEqual(a.minMargin, b.minMargin, accuracy: 1e-12)
        XCTAssertLessThan(a.minMargin, 0)   // a random W separates nothing
        XCTAssertEqual(a.valid, b.valid)
    }
}
