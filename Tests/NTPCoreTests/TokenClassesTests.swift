import XCTest
import NTPFormats
import TestSupport
@testable import NTPCore

final class TokenClassesTests: XCTestCase {
    /// Hand-counted: S_0 = {0, 1, 2}, S_1 = {0, 1, 4}, S_2 = {3, 5}, V = 7. Tokens 0 and 1 are in
    /// contexts {0, 1}, 3 and 5 in {2}, 6 in none: classes {0, 1}, {2}, {3, 5}, {4}, {6}, numbered by
    /// their smallest token, with the counts of one class in a row summed.
    func testClassesAndMergedRowsByHand() throws {
        let data = DataSet.fromSupports([[0, 1, 2], [0, 1, 4], [3, 5]], vocabulary: 7,
                                        counts: [[1, 2, 4], [8, 16, 32], [64, 128]])
        let classes = try XCTUnwrap(TokenClasses(data))
        XCTAssertEqual(classes.classOf, [0, 0, 1, 2, 3, 2, 4])
        XCTAssertEqual(classes.representatives, [0, 2, 3, 4, 6])
        let r = classes.reduced
        XCTAssertEqual(r.vocabularySize, 5)
        XCTAssertEqual(r.rowOffsets, [0, 2, 4, 5])
        XCTAssertEqual(r.columns, [0, 1, 0, 3, 2])
        XCTAssertEqual(r.counts, [3, 4, 24, 32, 192])
    }

    /// Every token with its own set of contexts: nothing to merge.
    func testNoClassesWhenEveryTokenHasItsOwnContexts() {
        XCTAssertNil(TokenClasses(DataSet.fromSupports([[0], [1], [0, 1]], vocabulary: 2)))
    }

    /// Random supports over V = 60 in which most tokens occur once or never (12 contexts, Gaussian d = 1…12):
    /// the verdict over classes is the verdict over tokens (decided with the classes turned off), and
    /// the carried-back certificate passes the independent check on the token data; Farkas multipliers
    /// name only class representatives.
    func testDecisionsOverClassesMatchDecisionsOverTokens() throws {
        var rng = SeededGenerator(seed: 11)
        var decided = (yes: 0, no: 0)   // decided over classes
        for trial in 0..<4 {
            let supports = (0..<12).map { _ in
                Array(Set((0..<(1 + Int(rng.next() % 6))).map { _ in Int(rng.next() % (rng.next() % 2 == 0 ? 6 : 40)) })).sorted()
            }
            let data = DataSet.fromSupports(supports, vocabulary: 60)
            let classes = try XCTUnwrap(TokenClasses(data))
            XCTAssertLessThan(classes.representatives.count, 45)
            for d in [1, 2, 4, 6, 8, 10, 12] {
                let h = try ContextFeatures.make(.gaussian(dimension: d, seed: UInt64(trial)), for: data)
                var plain = SeparabilityOptions()
                plain.useTokenClasses = false
                let expected = Separability.decide(data, features: h, options: plain).verdict
                let r = Separability.decide(data, features: h)
                XCTAssertEqual(r.verdict, expected, "trial \(trial), d = \(d)")
                // The closed forms, forced ties and duplicate contexts come first and name tokens (at d = 1 any two
                // contexts of the same sign are parallel); every other route runs on classes.
                let viaClasses = r.method.hasSuffix("token classes of V = 60)")
                XCTAssertTrue(viaClasses || r.method == "closed form" || r.method.hasPrefix("forced ties")
                              || r.method.hasPrefix("duplicate contexts"), r.method)
                switch r.verdict {
                case .separable:
                    decided.yes += viaClasses ? 1 : 0
                    let w = try XCTUnwrap(r.separating)
                    XCTAssertEqual(w.weights.count, 60 * d)
                    XCTAssertTrue(Separability.verify(w, data: data, features: h).valid)
                case .notSeparable:
                    decided.no += viaClasses ? 1 : 0
                    let f = try XCTUnwrap(r.farkas)
                    XCTAssertTrue(Separability.verify(f, data: data, features: h).valid)
                    let tokens = Set((f.marginMultipliers + f.tieMultipliers).map(\.token))
                    XCTAssertTrue(tokens.isSubset(of: Set(classes.representatives)), "\(tokens)")
                default:
                    XCTFail("trial \(trial), d = \(d): \(r.verdict)")
                }
            }
        }
        XCTAssertGreaterThan(decided.yes, 2, "separable over classes")
        XCTAssertGreaterThan(decided.no, 2, "not separable over classes")
    }
}
