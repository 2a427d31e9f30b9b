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

    /// The two most frequent contexts, h̄ = (1, 0) and (1, ε) followed by 0 and by 1, are ε apart: their
    /// Farkas pair verifies to τ but not to round-off, and every W that separates them has
    /// ‖W‖_F ≥ √2/ε (`MinNormPointTests.testNearDuplicateContextsAreAtTheThreshold`).
    private func nearDuplicates(_ rest: [[Double]], eps: Double = 1e-10) -> (DataSet, ContextFeatures) {
        let rows: [[Int: Double]] = [[0: 50], [1: 40]] + rest.indices.map { [2 + $0: 1] }
        return (makeData(V: 2 + rest.count, rows: rows), denseFeatures([[1, 0], [1, eps]] + rest))
    }

    /// An at-threshold rung no longer ends the ladder as "undecided": its bound holds for the whole
    /// set, and the ladder climbs on. Here the whole set is at the threshold too.
    func testAnAtThresholdRungBoundsTheWholeSet() throws {
        let (data, h) = nearDuplicates([[0, 1], [-1, 0]])
        let (result, rungs) = SubsetLadder.decide(data, features: h, start: 2)
        XCTAssertEqual(rungs.map(\.verdict), ["at-threshold", "at-threshold"])
        XCTAssertEqual(result.verdict, .atThreshold, result.reason ?? "")
        let check = Separability.verify(try XCTUnwrap(result.farkas), data: data, features: h)
        XCTAssertTrue(check.valid && check.relativeResidual > 1e-12, "\(check)")
        // The whole set's own pair (the last rung is the whole set) bounds ‖W‖_F at least as well.
        XCTAssertGreaterThan(1 / check.residualNorm, (1 - 1e-6) * 2.0.squareRoot() / 1e-10)
    }

    /// With no room for ties, the ladder stops below the third most frequent context (followed by 2
    /// and 3): the whole set is out of reach, and the first rung's bound is the answer. That rung is
    /// decided in closed form (d = m = 2), its upper end ε/√2 from the near duplicates' pair
    /// (`FullRankSeparabilityTests`); its W does not carry over, so the whole set keeps only the bracket.
    func testTheBoundStandsWhenTheWholeSetIsOutOfReach() throws {
        let data = makeData(V: 4, rows: [[0: 50], [1: 40], [2: 1, 3: 1], [3: 1]])
        let h = denseFeatures([[1, 0], [1, 1e-10], [0, 1], [-1, 0]])
        var options = SeparabilityOptions()
        (options.maxMinNormPointTies, options.largestMinNormPointTies) = (0, 0)
        let (result, rungs) = SubsetLadder.decide(data, features: h, options: options, start: 2)
        XCTAssertEqual(rungs.map(\.verdict), ["at-threshold"])
        XCTAssertEqual(result.verdict, .atThreshold, result.reason ?? "")
        XCTAssertTrue(result.method.hasSuffix("on the 2 most frequent of 4 contexts (a bound for any superset); subset ladder 2: at-threshold"), result.method)
        XCTAssertNil(result.farkas)
        XCTAssertNil(result.separating)
        let bracket = try XCTUnwrap(result.marginBracket)
        XCTAssertEqual(bracket.lower, 0)
        XCTAssertEqual(bracket.upper, 1e-10 / 2.0.squareRoot(), accuracy: 1e-6 * 1e-10)
    }

    /// A larger rung can still say "no" at round-off: contexts 2 and 3 share h̄ = (0, 1) but not
    /// their next token (`DuplicateContexts`).
    func testTheLadderClimbsPastAnAtThresholdRungToAnExactNo() throws {
        let (data, h) = nearDuplicates([[0, 1], [0, 1]])
        let (result, rungs) = SubsetLadder.decide(data, features: h, start: 2)
        XCTAssertEqual(rungs.map(\.verdict), ["at-threshold", "not-separable"])
        XCTAssertEqual(result.verdict, .notSeparable, result.reason ?? "")
        let check = Separability.verify(try XCTUnwrap(result.farkas), data: data, features: h)
        XCTAssertTrue(check.valid && check.relativeResidual <= 1e-12, "\(check)")
        XCTAssertEqual(Set(try XCTUnwrap(result.farkas).marginMultipliers.map(\.context)), [2, 3])
    }

    /// The rung's pair, re-indexed to the whole set's rows, carries its norm bound; an upper end on γ*
    /// below 10τ·scale carries over alone; a rung at the threshold only through a small-margin W
    /// (no upper end) bounds nothing.
    func testWhatAnAtThresholdRungSaysAboutTheWholeSet() throws {
        let (data, h) = nearDuplicates([[0, 1], [-1, 0], [0, -1]])
        let rows = [0, 1]
        var noClosedForms = SeparabilityOptions()
        noClosedForms.useClosedForms = false
        let rung = Separability.decide(DataSetSampling.select(data, rows: rows), features: h.selecting(rows: rows), options: noClosedForms)
        XCTAssertEqual(rung.verdict, .atThreshold)
        let lifted = try XCTUnwrap(SubsetLadder.wholeAtThreshold(rung, rows: rows, data: data, features: h, options: SeparabilityOptions()))
        XCTAssertEqual(lifted.verdict, .atThreshold)
        XCTAssertTrue(try XCTUnwrap(lifted.reason).contains("only by a W with ‖W‖_F ≥ 14142135623.7"), lifted.reason ?? "")
        XCTAssertEqual(try XCTUnwrap(lifted.marginBracket).lower, 0)

        // The same pair moved to rows 3 and 4 of a set whose contexts 3 and 4 are the near duplicates.
        let (moved, hMoved) = (makeData(V: 5, rows: [[2: 1], [3: 1], [4: 1], [0: 50], [1: 40]]),
                               denseFeatures([[0, 1], [-1, 0], [0, -1], [1, 0], [1, 1e-10]]))
        let relifted = try XCTUnwrap(SubsetLadder.wholeAtThreshold(rung, rows: [3, 4], data: moved, features: hMoved,
                                                                   options: SeparabilityOptions()))
        XCTAssertEqual(Set(try XCTUnwrap(relifted.farkas).marginMultipliers.map(\.context)), [3, 4])

        let scale = Separability.constraintScale(h)
        let tight = SeparabilityResult(verdict: .atThreshold, involvedContexts: [],
                                       marginBracket: MarginBracket(lower: 0, upper: 5e-9 * scale, scale: scale))
        let bound = try XCTUnwrap(SubsetLadder.wholeAtThreshold(tight, rows: rows, data: data, features: h, options: SeparabilityOptions()))
        XCTAssertEqual(bound.verdict, .atThreshold)
        XCTAssertEqual(try XCTUnwrap(bound.marginBracket).upper, 5e-9 * scale)
        // The closed form's at-threshold W on the rung (d = m = 2) bounds the whole set by its bracket alone.
        let closed = Separability.decide(DataSetSampling.select(data, rows: rows), features: h.selecting(rows: rows))
        XCTAssertNotNil(closed.separating)
        let viaBracket = try XCTUnwrap(SubsetLadder.wholeAtThreshold(closed, rows: rows, data: data, features: h, options: SeparabilityOptions()))
        XCTAssertNil(viaBracket.separating)
        XCTAssertEqual(try XCTUnwrap(viaBracket.marginBracket).upper, 1e-10 / 2.0.squareRoot(), accuracy: 1e-6 * 1e-10)
        let open = SeparabilityResult(verdict: .atThreshold, involvedContexts: [],
                                      marginBracket: MarginBracket(lower: 1e-12, upper: .infinity, scale: scale))
        XCTAssertNil(SubsetLadder.wholeAtThreshold(open, rows: rows, data: data, features: h, options: SeparabilityOptions()))
    }
}
