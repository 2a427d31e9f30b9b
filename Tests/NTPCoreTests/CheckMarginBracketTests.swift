import XCTest
import TestSupport
@testable import NTPCore
import NTPFormats

/// `check` tightens the decision's bracket on γ* with its NTP-SVM solve (`CheckRunner`, `MaxMarginEstimate`).
final class CheckMarginBracketTests: XCTestCase {
    /// m = 40 random supports (3–8 of V = 10 tokens) with Gaussian H of d = 30–36 < m, separable, decided
    /// by Wolfe's minimum-norm point or the null-space cutting planes with a bracket from the first
    /// separating W (more than 2× wide); after the check's max-margin solve (the minimum-norm point
    /// run to its optimum, W^mm verified) the bracket holds γ* = 1/‖W^mm‖ from `MaxMarginSolver` and has
    /// closed on it.
    func testMaxMarginSolveClosesTheBracket() throws {
        var separable = 0
        for (seed, d) in [(UInt64(6), 30), (7, 32), (8, 36)] {
            var rng = SeededGenerator(seed: seed)
            let m = 40, V = 10
            let rows: [[Int: Double]] = (0..<m).map { _ in
                let k = 3 + Int(rng.next() % 6)
                var row: [Int: Double] = [:]
                while row.count < k { row[Int(rng.next() % UInt64(V))] = 1 }
                return row
            }
            let data = makeData(V: V, rows: rows)
            let features = ContextFeatures(dimension: d, contextCount: m, storage: .dense((0..<(d * m)).map { _ in rng.nextGaussian() }))
            // Without the solve the report keeps the decision's bracket.
            let plain = try CheckRunner.run(data, features: features, embedding: "test")
            guard plain.verdict == "separable" else { continue }
            separable += 1
            let before = try XCTUnwrap(plain.marginBracket)
            let hooks = CheckHooks(maxMarginNorm: CheckHooks.standard().maxMarginNorm)
            let report = try CheckRunner.run(data, features: features, embedding: "test", hooks: hooks)
            let after = try XCTUnwrap(report.marginBracket)
            let gamma = try MaxMarginSolver(tolerance: 1e-10).solve(try DataSubspace(data: data, features: features)).margin
            XCTAssertLessThanOrEqual(after.lower, gamma * (1 + 1e-8), "seed \(seed)")
            XCTAssertGreaterThanOrEqual(after.upper, gamma * (1 - 1e-8), "seed \(seed)")
            XCTAssertEqual(after.lower / gamma, 1, accuracy: 1e-6, "seed \(seed)")
            XCTAssertEqual(after.upper / gamma, 1, accuracy: 1e-6, "seed \(seed)")
            XCTAssertGreaterThanOrEqual(after.lower, before.lower)
            XCTAssertLessThanOrEqual(after.upper, before.upper)
            XCTAssertGreaterThan(before.upper / before.lower, 2, "seed \(seed): the decision alone leaves a wide bracket")
        }
        XCTAssertEqual(separable, 3)
    }
}
