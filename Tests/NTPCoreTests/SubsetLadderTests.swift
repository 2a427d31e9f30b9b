import XCTest
import TestSupport
import NTPFormats
@testable import NTPCore

/// Whole data sets decided through their most frequent contexts (`SubsetLadder`).
final class SubsetLadderTests: XCTestCase {
    /// 40 contexts with d = 1 and h̄_j = 1: the three most frequent (rows 37–39) are followed by 0, 1
    /// and 2 alone; the other 37 by {3, 4} (even rows) or by 3 alone (odd rows). With equal embeddings
    /// every single-token context needs its token's logit above all others, so any two of them
    /// contradict each other.
    private func data() -> (DataSet, ContextFeatures) {
        var rows: [[Int: Double]] = (0..<37).map { $0 % 2 == 0 ? [3: 1, 4: 1] : [3: 1] }
        rows += [[0: 50], [1: 40], [2: 30]]
        return (makeData(V: 6, rows: rows), denseFeatures(Array(repeating: [1], count: 40)))
    }

    /// Without forced ties the first rung (the 4 most frequent contexts: rows 37–39 and row 0, the
    /// first of the count-2 rows) is not separable: its Farkas pair, re-indexed to those rows of the
    /// whole set, verifies there; no second rung is run.
    func testFirstRungCertificateHoldsForTheWholeDataSet() throws {
        let (data, h) = data()
        var options = SeparabilityOptions()
        options.useForcedTies = false
        let (result, rungs) = SubsetLadder.decide(data, features: h, options: options, start: 4)
        XCTAssertEqual(result.verdict, .notSeparable)
        XCTAssertEqual(rungs.map(\.contexts), [4])
        XCTAssertEqual(rungs.map(\.verdict), ["not-separable"])
        let cert = try XCTUnwrap(result.farkas)
        let rows = Set(cert.marginMultipliers.map(\.context) + cert.tieMultipliers.map(\.context))
        XCTAssertTrue(rows.isSubset(of: [0, 37, 38, 39]) && rows.count >= 2, "\(rows)")
        XCTAssertTrue(Separability.verify(cert, data: data, features: h).valid)
        XCTAssertTrue(result.method.hasSuffix("on the 4 most frequent of 40 contexts (a Farkas certificate for any superset)"), result.method)
    }

    /// With forced ties (the default) the whole set is decided before any rung: tokens 3 and 4
    /// share 19 contexts, whose h̄ = 1 span R^1, so they share a decoder row, while the odd rows are
    /// followed by 3 but not by 4.
    func testForcedTiesDecideTheWholeSetBeforeTheLadder() throws {
        let (data, h) = data()
        let (result, rungs) = SubsetLadder.decide(data, features: h, start: 4)
        XCTAssertEqual(result.verdict, .notSeparable)
        XCTAssertTrue(rungs.isEmpty)
        XCTAssertTrue(result.method.hasPrefix("forced ties: tokens #3 ~ #4 share a decoder row (the 19 contexts"), result.method)
        XCTAssertTrue(Separability.verify(try XCTUnwrap(result.farkas), data: data, features: h).valid)
    }
}
