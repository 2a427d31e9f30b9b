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
}
