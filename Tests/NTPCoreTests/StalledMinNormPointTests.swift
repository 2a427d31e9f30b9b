import Foundation
import XCTest
import NTPFormats
@testable import NTPCore

/// The decision's minimum-norm point can stall near the threshold ("reached at ‖x‖ = 1.4e-6 with min
/// margin −1e-12"); the rest of the time budget then goes to the exact LP. QA round 4 found this instance
/// (m = 49, V = 17, d = 17, column norms from 0.1 to 335; Tests/Fixtures/near-threshold): `check` said
/// undecided while `solve`'s own γ*_∞ LP had a W with every margin ≥ 1 that `check --weights` certified.
final class StalledMinNormPointTests: XCTestCase {
    func testTheLPDecidesWhereTheMinimumNormPointStalled() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/near-threshold")
        let data = try DataSet(contentsOfNPZ: folder.appendingPathComponent("stalled-wolfe.npz").path)
        let h = try ContextFeatures.load(npyPath: folder.appendingPathComponent("stalled-wolfe-H.npy").path,
                                         contextCount: data.contextCount)
        let r = Separability.decide(data, features: h)
        XCTAssertEqual(r.verdict, .separable, r.reason ?? "")
        XCTAssertTrue(r.method.contains("after the minimum-norm point stalled"), r.method)
        let w = try XCTUnwrap(r.separating)
        let check = Separability.verify(w, data: data, features: h)
        XCTAssertTrue(check.valid, check.failure ?? "")
        XCTAssertGreaterThan(check.minMargin, 0.99)   // margins ≥ 1 from the LP, to its feasibility tolerance
        // Without the LP the minimum-norm point alone stays undecided on it.
        var wolfeOnly = SeparabilityOptions()
        wolfeOnly.useLPAfterStall = false
        XCTAssertEqual(Separability.decide(data, features: h, options: wolfeOnly).verdict, .undecided)
    }
}
