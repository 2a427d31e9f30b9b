import XCTest
import TestSupport
import NTPFormats
@testable import NTPCore

/// The logit-space LP over null(H̄) (`NullSpaceSeparability`) against hand-derived certificates and the W-space LP.
final class NullSpaceSeparabilityTests: XCTestCase {

    /// Options that send every decision with a nonzero null space to the null-space LP.
    var nullSpaceFirst: SeparabilityOptions {
        var o = SeparabilityOptions()
        o.maxNullityShare = .infinity
        return o
    }

    /// h̄_1 = (1, 0), h̄_2 = (0, 1), h̄_3 = (1, 1): null(H̄) is spanned by (1, 1, −1). With δ = w_0 − w_1,
    /// S_1 = S_2 = {0} need δ·h̄_1 > 0 and δ·h̄_2 > 0, and S_3 = {1} needs δ·h̄_3 = δ·h̄_1 + δ·h̄_2 < 0:
    /// not separable, with the unique normalised α = ⅓ on (1, 1), (2, 1), (3, 0). S_3 = {0} is separable.
    func testThreeContextsInTheirNullSpace() throws {
        let h = denseFeatures([[1, 0], [0, 1], [1, 1]])
        let no = Separability.decide(makeData(V: 2, rows: [[0: 1], [0: 2], [1: 1]]), features: h, options: nullSpaceFirst)
        XCTAssertEqual(no.verdict, .notSeparable)
        XCTAssertTrue(no.method.hasPrefix("null-space LP (GLPK): dim null(H̄) = 1, 2 rows"), no.method)
        let alpha = try XCTUnwrap(no.farkas).marginMultipliers.sorted { $0.context < $1.context }
        XCTAssertEqual(alpha.map(\.context), [0, 1, 2])
        XCTAssertEqual(alpha.map(\.token), [1, 1, 0])
        for a in alpha { XCTAssertEqual(a.weight, 1.0 / 3, accuracy: 1e-12) }
        XCTAssertEqual(no.check?.residualNorm ?? 1, 0, accuracy: 1e-14)

        let yes = Separability.decide(makeData(V: 2, rows: [[0: 1], [0: 2], [0: 1]]), features: h, options: nullSpaceFirst)
        XCTAssertEqual(yes.verdict, .separable)
        XCTAssertTrue(yes.method.hasPrefix("null-space LP"), yes.method)
        XCTAssertGreaterThan(try XCTUnwrap(yes.check).minMargin, 0)
    }

    /// The same H̄ with S_1 = {0, 1}: the tie forces δ·h̄_1 = 0, so S_2 = {0} (δ·h̄_2 > 0) and S_3 = {1}
    /// (δ·h̄_1 + δ·h̄_2 < 0) contradict each other. Farkas: α = ½ on (2, 1) and (3, 0), and the tie of
    /// context 1 carries β = −½, since ½ h̄_2 − ½ h̄_3 − β h̄_1 = 0 needs β = −½.
    func testTieMultiplierOnAContextWithoutMargin() throws {
        let data = makeData(V: 2, rows: [[0: 1, 1: 1], [0: 1], [1: 1]])
        let r = Separability.decide(data, features: denseFeatures([[1, 0], [0, 1], [1, 1]]), options: nullSpaceFirst)
        XCTAssertEqual(r.verdict, .notSeparable)
        XCTAssertTrue(r.method.hasPrefix("null-space LP"), r.method)
        let farkas = try XCTUnwrap(r.farkas)
        let alpha = farkas.marginMultipliers.sorted { $0.context < $1.context }
        XCTAssertEqual(alpha.map(\.context), [1, 2])
        for a in alpha { XCTAssertEqual(a.weight, 0.5, accuracy: 1e-12) }
        XCTAssertEqual(farkas.tieMultipliers.count, 1)
        XCTAssertEqual(farkas.tieMultipliers[0].context, 0)
        XCTAssertEqual(farkas.tieMultipliers[0].token, 1)
        XCTAssertEqual(farkas.tieMultipliers[0].weight, -0.5, accuracy: 1e-12)
        XCTAssertEqual(r.involvedContexts.map(\.context), [1, 2])
    }

    /// Random large supports (many ties) with Gaussian features across the range of d: the null-space LP
    /// decides every instance, agrees with the W-space LP, and both verdicts occur.
    func testAgreesWithTheWSpaceLPNearFullRank() {
        let m = 40, V = 10
        var verdicts: [SeparabilityVerdict] = []
        for (i, d) in [6, 12, 18, 24, 30, 36, 39].enumerated() {
            var rng = SeededGenerator(seed: UInt64(300 + i))
            var rows: [[Int: Double]] = []
            for _ in 0..<m {
                let k = 3 + Int(rng.next() % 6)
                var row: [Int: Double] = [:]
                while row.count < k { row[Int(rng.next() % UInt64(V))] = 1 }
                rows.append(row)
            }
            let data = makeData(V: V, rows: rows)
            let h = ContextFeatures(dimension: d, contextCount: m, storage: .dense((0..<(d * m)).map { _ in rng.nextGaussian() }))
            let viaNullSpace = Separability.decide(data, features: h, options: nullSpaceFirst)
            var lpOnly = SeparabilityOptions()
            lpOnly.useNullSpaceLP = false
            lpOnly.useMinNormPoint = false
            let lp = Separability.decide(data, features: h, options: lpOnly)
            XCTAssertTrue(viaNullSpace.method.hasPrefix("null-space LP"), "d = \(d): \(viaNullSpace.method)")
            XCTAssertNotNil(lp.lp)
            XCTAssertEqual(viaNullSpace.verdict, lp.verdict, "d = \(d)")
            XCTAssertTrue(viaNullSpace.check?.valid ?? false, "d = \(d)")
            if let w = viaNullSpace.separating { XCTAssertTrue(Separability.verify(w, data: data, features: h).valid) }
            if let f = viaNullSpace.farkas { XCTAssertTrue(Separability.verify(f, data: data, features: h).valid) }
            verdicts.append(viaNullSpace.verdict)
        }
        XCTAssertTrue(verdicts.contains(.separable) && verdicts.contains(.notSeparable), "\(verdicts)")
    }
}
