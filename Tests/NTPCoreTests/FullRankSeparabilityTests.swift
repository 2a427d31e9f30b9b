import XCTest
import TestSupport
@testable import NTPCore
import NTPFormats

/// m = 12 contexts over V = 7 tokens, each with 1–4 draws of a random token (so 1–4 support tokens).
func smallRandomSupports(seed: UInt64) -> DataSet {
    var rng = SeededGenerator(seed: seed)
    let V = 7, m = 12
    let rows: [[Int: Double]] = (0..<m).map { _ in
        var row: [Int: Double] = [:]
        for _ in 0..<(1 + Int(rng.next() % 4)) { row[Int(rng.next() % UInt64(V)), default: 0] += 1 }
        return row
    }
    return makeData(V: V, rows: rows)
}

final class FullRankSeparabilityTests: XCTestCase {
    /// d ≥ m Gaussian features: separable by the closed form W = L G⁻¹ Hᵀ, no LP, margins exactly 1.
    func testFullColumnRankIsSeparableWithoutLP() throws {
        let data = smallRandomSupports(seed: 3)
        let features = try ContextFeatures.make(.gaussian(dimension: 15, seed: 9), for: data)
        let r = Separability.decide(data, features: features)
        XCTAssertEqual(r.verdict, .separable)
        XCTAssertNil(r.lp, "the closed form should decide without the LP")
        XCTAssertEqual(try XCTUnwrap(r.check).minMargin, 1, accuracy: 1e-9)
        // Below full rank the closed form does not apply and the LP decides; it must agree with it off.
        var options = SeparabilityOptions(); options.useClosedForms = false
        XCTAssertEqual(Separability.decide(data, features: features, options: options).verdict, .separable)
        let narrow = try ContextFeatures.make(.gaussian(dimension: 5, seed: 9), for: data)
        var lpOnly = SeparabilityOptions(); lpOnly.useMinNormPoint = false; lpOnly.useNullSpaceLP = false
        XCTAssertNotNil(Separability.decide(data, features: narrow, options: lpOnly).lp)
    }

    /// h̄_0 = e₁, h̄_1 = e₂, h̄_2 = e₁ + ε e₃ (followed by 0, 1, 1): HᵀH holds 1 + ε², which rounds to 1
    /// at ε = 1e-9, so its Cholesky factor fails, while H itself is exactly representable and invertible.
    /// By hand, W = L H⁻¹ has rows (1, 0, −1/ε) and (0, 1, 1/ε), every margin 1, and normalized margin
    /// 1/‖W‖_F = 1/√(2 + 2/ε²): below 10τ·scale (scale √2), so "at the threshold", with that W verified.
    /// Contexts 0 and 2 are ε apart: their pair α = ½ on (2, 0) and on (0, 1) leaves R = ½(e₁ − e₀)(ε e₃)ᵀ,
    /// so γ* ≤ ‖R‖_F = ε/√2, and the bracket closes on γ* to within ε².
    func testIllConditionedGramFallsBackOnTheSingularValuesOfH() throws {
        let eps = 1e-9
        let data = makeData(V: 2, rows: [[0: 1], [1: 1], [1: 1]])
        let h = denseFeatures([[1, 0, 0], [0, 1, 0], [1, 0, eps]])
        XCTAssertNil(FullRankGram(h: [1, 0, 0, 0, 1, 0, 1, 0, eps], d: 3, m: 3, keepGram: false))
        let r = Separability.decide(data, features: h)
        XCTAssertEqual(r.method, "closed form, W = L H⁺ by the SVD of H (HᵀH too ill-conditioned for Cholesky); γ* ≤ ‖R‖_F of the two closest contexts' Farkas pair")
        XCTAssertEqual(r.verdict, .atThreshold)
        let w = try XCTUnwrap(r.separating).weights
        for (got, want) in zip(w, [1, 0, -1 / eps, 0, 1, 1 / eps]) { XCTAssertEqual(got, want, accuracy: 1e-6 * max(1, abs(want))) }
        let check = try XCTUnwrap(r.check)
        XCTAssertTrue(check.valid)
        XCTAssertEqual(check.minMargin, 1, accuracy: 1e-6)
        XCTAssertEqual(try XCTUnwrap(r.marginBracket).lower, 1 / (2 + 2 / (eps * eps)).squareRoot(), accuracy: 1e-6 * eps)
        XCTAssertEqual(try XCTUnwrap(r.marginBracket).upper, eps / 2.0.squareRoot(), accuracy: 1e-6 * eps)
    }
}
