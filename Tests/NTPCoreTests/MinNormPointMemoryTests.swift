import XCTest
import TestSupport
import NTPFormats
@testable import NTPCore

/// Wolfe's minimum-norm point within a memory bound: its active set stops growing where its factor
/// would pass the bound, the run ends undecided with a valid bracket, and `decide` goes on to the
/// next route with the same verdict as without the bound.
final class MinNormPointMemoryTests: XCTestCase {
    /// `MinNormPointTests`' generators of random supports and Gaussian features.
    private let cases = MinNormPointTests(name: "generators", testClosure: { _ in })

    /// The supports and orthonormal features of `MinNormPointTests.testOrthonormalFeaturesMatchTheClosedForm`
    /// (m = 12, V = 9, d = 15), whose minimum-norm point keeps more than 32 pairs active.
    private func orthonormalCase() -> (DataSet, ContextFeatures) {
        let data = cases.randomSupports(m: 12, V: 9, seed: 3)
        return (data, ContextFeatures(dimension: 15, contextCount: 12, storage: .dense(orthonormalColumns(d: 15, m: 12, seed: 11))))
    }

    func testActiveSetCapFollowsTheBound() throws {
        let (data, features) = orthonormalCase()
        let basis = try XCTUnwrap(TieBasis(data: data, features: features))
        // The point and logits: 8 · V · (d + m) = 8 · 9 · 27 = 1,944 bytes; the factor of capacity c
        // needs 1.25 · 8c² while growing: 64 fits in 1,944 + 40,960 bytes, 128 needs 1,944 + 163,840.
        func cap(_ bytes: Int) -> Int { WolfeMinNormPoint(basis: basis, data: data, features: features, tolerance: 1e-9, memory: bytes).maxActive }
        XCTAssertEqual(cap(1_944 + 40_959), 0)
        XCTAssertEqual(cap(1_944 + 40_960), 64)
        XCTAssertEqual(cap(1_944 + 163_839), 64)
        XCTAssertEqual(cap(1_944 + 163_840), 128)
        XCTAssertEqual(cap(1 << 40), 262_144)   // 1.25 · 8 · 262,144² ≤ 2⁴⁰ < 1.25 · 8 · 524,288²
    }

    func testBoundStopsTheRunUndecidedWithAValidBracket() throws {
        let (data, features) = orthonormalCase()
        let basis = try XCTUnwrap(TieBasis(data: data, features: features))
        var gammaSquared = 0.0   // 1/γ*² = Σ_j k_j (V − k_j)/V (MinNormPointTests' closed form)
        for j in 0..<12 { let k = Double(data.supportSize(j)); gammaSquared += k * (9 - k) / 9 }
        let gamma = 1 / gammaSquared.squareRoot()
        let free = WolfeMinNormPoint(basis: basis, data: data, features: features, tolerance: 1e-9)
        free.stopAtFirstSeparating = false
        let unbounded = free.run(deadline: monotonicSeconds() + 60)
        XCTAssertEqual(unbounded.kind, .separable)
        XCTAssertGreaterThan(unbounded.activeSize, 32)
        let bounded = WolfeMinNormPoint(basis: basis, data: data, features: features, tolerance: 1e-9, memory: 1_944 + 40_960)
        bounded.stopAtFirstSeparating = false
        let out = bounded.run(deadline: monotonicSeconds() + 60)
        XCTAssertEqual(out.kind, .undecided)
        XCTAssertTrue(out.memoryBoundReached)
        XCTAssertLessThanOrEqual(out.activeSize, 64)
        XCTAssertTrue(out.reason?.hasPrefix("memory bound reached after") ?? false, out.reason ?? "")
        XCTAssertLessThanOrEqual(out.lower, gamma * (1 + 1e-9))
        XCTAssertGreaterThanOrEqual(out.upper, gamma * (1 - 1e-9))
        // The NTP-SVM margin's entry point reports it undecided, with the same bracket.
        var options = SeparabilityOptions()
        options.minNormPointMemory = 1_944 + 40_960
        let margin = try XCTUnwrap(Separability.maxMarginByMinNormPoint(data, features: features, options: options))
        XCTAssertEqual(margin.verdict, .undecided)
        XCTAssertNil(margin.weights)
    }

    /// Across the threshold (MinNormPointTests' random cases): with no room for Wolfe at all, `decide`
    /// reaches the same verified verdict by the next routes.
    func testDecideFallsBackToTheNextRoute() {
        for (i, d) in [2, 4, 6, 10].enumerated() {
            let data = cases.randomSupports(m: 24, V: 10, seed: UInt64(100 + i))
            let h = cases.gaussian(d: d, m: 24, seed: UInt64(200 + i))
            var bounded = SeparabilityOptions()
            bounded.minNormPointMemory = 0
            let unbounded = Separability.decide(data, features: h)
            let fallback = Separability.decide(data, features: h, options: bounded)
            XCTAssertEqual(fallback.verdict, unbounded.verdict, "d = \(d): \(fallback.reason ?? "")")
            XCTAssertTrue(fallback.check?.valid ?? false, "d = \(d)")
            XCTAssertFalse(fallback.method.hasPrefix("minimum-norm point"), "d = \(d): \(fallback.method)")
        }
    }
}
