import Foundation
import XCTest
import NTPFormats
@testable import NTPCore

/// The decision's minimum-norm point stalled near the threshold on this instance ("reached at ‖x‖ = 1.4e-6
/// with min margin −1e-12"), and the exact LP then decided it. QA round 4 found it (m = 49, V = 17, d = 17,
/// column norms from 0.1 to 335; Tests/Fixtures/near-threshold): `check` said undecided while `solve`'s own
/// γ*_∞ LP had a W with every margin ≥ 1 that `check --weights` certified. The stall came from a fixed
/// round-off allowance of 1e-12·scale² in Wolfe's optimality test, which called every x below 1e-6·scale
/// optimal; the allowance now shrinks with ‖x‖, and the minimum-norm point decides it alone.
final class StalledMinNormPointTests: XCTestCase {
    /// Tests/Fixtures/near-threshold/NAME.npz and its NAME-H.npy.
    func fixture(_ name: String) throws -> (DataSet, ContextFeatures) {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/near-threshold")
        let data = try DataSet(contentsOfNPZ: folder.appendingPathComponent("\(name).npz").path)
        return (data, try ContextFeatures.load(npyPath: folder.appendingPathComponent("\(name)-H.npy").path,
                                               contextCount: data.contextCount))
    }

    func testTheMinimumNormPointNoLongerStallsWhereTheLPHadToDecide() throws {
        let (data, h) = try fixture("stalled-wolfe")
        let r = Separability.decide(data, features: h)
        XCTAssertEqual(r.verdict, .separable, r.reason ?? "")
        XCTAssertTrue(r.method.hasPrefix("minimum-norm point (Wolfe)") && r.lp == nil, r.method)
        let w = try XCTUnwrap(r.separating)
        let check = Separability.verify(w, data: data, features: h)
        XCTAssertTrue(check.valid, check.failure ?? "")
        XCTAssertEqual(check.minMargin, 1, accuracy: 1e-9)   // W = x/μ: its smallest margin is 1
    }

    /// Where the minimum-norm point still stalls, the LP decides: QA round 5's instance ndsmall_12 (m = 36,
    /// V = 26, d = 40, three pairs of columns 1e-6 apart with different supports; separable, since the
    /// columns are independent). Wolfe's Gram of the near-duplicate pairs is singular to about 1e-12, and it
    /// stops at ‖x‖ = 4.3e-7 with a min margin of −2.2e-13; the W-space LP then finds a W that verifies.
    func testTheLPDecidesWhereTheMinimumNormPointStillStalls() throws {
        let (data, h) = try fixture("near-duplicates-stall")
        let r = Separability.decide(data, features: h)
        XCTAssertEqual(r.verdict, .separable, r.reason ?? "")
        XCTAssertTrue(r.method.contains("after the minimum-norm point stalled"), r.method)
        let check = Separability.verify(try XCTUnwrap(r.separating), data: data, features: h)
        XCTAssertTrue(check.valid && check.minMargin > 0.99, "\(check)")
        var wolfeOnly = SeparabilityOptions()
        wolfeOnly.useLPAfterStall = false
        XCTAssertNotEqual(Separability.decide(data, features: h, options: wolfeOnly).verdict, .separable)
    }

    /// d ≥ m, and HᵀH is too ill-conditioned for Cholesky: the closed form's W = L H⁺ (SVD) verifies, but its
    /// normalized margin is below 10τ·scale and nothing bounds γ* from above there, so the other routes run
    /// too (`Separability.reconciled`). The LP's "yes" then stands; without the LP the W stays, at the
    /// threshold, as the certificate that rules "no" out.
    func testAClosedFormAtTheThresholdLeavesTheAnswerToTheLP() throws {
        let (data, h) = try fixture("near-duplicates-stall")
        let closed = try XCTUnwrap(Separability.decideByClosedForm(data, features: h, options: SeparabilityOptions()))
        XCTAssertEqual(closed.verdict, .atThreshold)
        XCTAssertTrue(Separability.needsOtherRoutes(closed, options: SeparabilityOptions()))
        var wolfeOnly = SeparabilityOptions()
        wolfeOnly.useLPAfterStall = false
        let r = Separability.decide(data, features: h, options: wolfeOnly)
        XCTAssertEqual(r.verdict, .atThreshold)
        XCTAssertTrue(r.method.hasPrefix("closed form, W = L H⁺ by the SVD of H") && r.method.contains("; then minimum-norm point (Wolfe)"), r.method)
        let check = Separability.verify(try XCTUnwrap(r.separating), data: data, features: h)
        XCTAssertTrue(check.valid, "\(check)")
        XCTAssertEqual(try XCTUnwrap(r.marginBracket).lower, try XCTUnwrap(closed.marginBracket).lower)
    }
}
