@testable import NTPCore
import XCTest

/// `IncompatibilityCertificate.bound`: B and L from yᵀc, ‖y‖, ‖c‖ and ‖𝓐y‖_F, in closed form.
final class IncompatibilityCertificateTests: XCTestCase {
    private func certificate(residual r: Double, adjointNorm: Double) -> IncompatibilityCertificate {
        // ‖y‖ = 2, ‖c‖ = 4, yᵀc = 8r: L at B = 0 is r.
        IncompatibilityCertificate(entryResidual: [], residualDotTarget: 8 * r, residualNorm: 2, targetNorm: 4, adjointNorm: adjointNorm)
    }

    /// Far above the tolerance L is ¾ r and B = (8r − 8L)/g = 2r/g; at 1.2e-6 against 1e-6 (QA round 18: no
    /// certificate at ¾ r = 9e-7) L is halfway, 1.1e-6, and B = 8·1e-7/g; at or below the tolerance there is none;
    /// with 𝓐y = 0 exactly B is infinite and L = r.
    func testTheBoundKeepsLAboveTheTolerance() throws {
        let tau = 1e-6
        let far = try XCTUnwrap(certificate(residual: 0.5, adjointNorm: 1e-12).bound(above: tau))
        XCTAssertEqual(far.lower, 0.375, accuracy: 1e-15)
        XCTAssertEqual(far.normRadius, 1e12, accuracy: 1e-3)
        let near = try XCTUnwrap(certificate(residual: 1.2e-6, adjointNorm: 1e-12).bound(above: tau))
        XCTAssertEqual(near.lower, 1.1e-6, accuracy: 1e-20)
        XCTAssertEqual(near.normRadius, 8e5, accuracy: 1e-6)
        XCTAssertNil(certificate(residual: 1e-6, adjointNorm: 1e-12).bound(above: tau))
        let exact = try XCTUnwrap(certificate(residual: 0.25, adjointNorm: 0).bound(above: tau))
        XCTAssertEqual(exact.normRadius, .infinity)
        XCTAssertEqual(exact.lower, 0.25)
    }

    /// A least-squares claim stands only when the refutation on its residual covers its own W (`withCoveredResidual`):
    /// W* (m = 50, d = 8, incompatible) keeps it; 1.5 W*, whose residual y has 𝓐y = −𝓐c/2, loses it.
    func testAResidualWhoseRefutationMissesItsOwnWIsNoLeastSquaresClaim() throws {
        let data = try SyntheticData.generate(SyntheticSpec(contexts: 50, vocabulary: 10, support: .fixed(6), seed: 3))
        let subspace = try DataSubspace(data: data, features: SyntheticData.gaussianEmbeddings(dimension: 8, contexts: 50, scale: 1, seed: 4))
        let star = subspace.solveFinitePart()
        XCTAssertTrue(star.isLeastSquaresResidual && !star.isCompatible)
        XCTAssertTrue(subspace.withCoveredResidual(star).isLeastSquaresResidual)
        let longer = star.weights.map { 1.5 * $0 }
        let claimed = FinitePartSolution(weights: longer, relativeResidual: subspace.compatibilityResidual(longer), iterations: 1)
        XCTAssertTrue(claimed.isLeastSquaresResidual)
        XCTAssertFalse(subspace.withCoveredResidual(claimed).isLeastSquaresResidual)
    }
}
