import XCTest
import COpenBLAS
@testable import NTPCore
import NTPFormats
import TestSupport

/// What keeps the minimum-norm point and the first-order look within their time: only the touched rows
/// of the V × d point are cleared and measured, a run stopped early returns its best iterate, and the
/// first-order look stops at its time.
final class WolfeBudgetTests: XCTestCase {
    /// min_{j, v ∉ S_j} (x_{a_j} − x_v)·h̄_j / ‖x‖_F, computed here from the dense H.
    private func normalizedMinMargin(_ x: [Double], data: DataSet, h: [Double], d: Int) -> Double {
        let V = data.vocabularySize
        var smallest = Double.infinity
        for j in 0..<data.contextCount where data.supportSize(j) > 0 {
            let support = Set(data.columns[data.rowOffsets[j]..<data.rowOffsets[j + 1]].map(Int.init))
            let logit = { (v: Int) in (0..<d).reduce(0.0) { $0 + x[v * d + $1] * h[j * d + $1] } }
            let anchor = logit(support.min()!)
            for v in 0..<V where !support.contains(v) { smallest = min(smallest, anchor - logit(v)) }
        }
        return smallest / x.reduce(0) { $0 + $1 * $1 }.squareRoot()
    }

    /// Cut after k passes (k = 2…16), a max-margin run returns the iterate with the largest μ/‖x‖ it saw:
    /// its margin, recomputed here, is the run's own lower end (the best over all iterates), and it never
    /// falls as k grows. The returned W is the certificate and its margin the printed lower end on γ*;
    /// the last iterate's fell at k = 13 on seed 10 (of 100 instances searched, 3 fell somewhere).
    func testEarlyStopReturnsTheBestIterate() throws {
        for seed in [UInt64(10), 8] {
            let (data, features) = randomGaussianInstance(seed: seed, m: 40, V: 10, d: 30, smallest: 3, sizes: 4)
            guard case .dense(let h) = features.storage else { return XCTFail("dense H expected") }
            var previous = -Double.infinity
            for cut in 2...16 {
                let basis = try XCTUnwrap(TieBasis(data: data, features: features, maxTies: .max))
                let solver = WolfeMinNormPoint(basis: basis, data: data, features: features, tolerance: 1e-9)
                solver.stopAtFirstSeparating = false
                solver.marginRelativeWidth = 0
                solver.maxIterations = cut
                let out = solver.run(deadline: monotonicSeconds() + 60)
                guard out.kind == .separable, let x = out.point else { continue }
                let own = normalizedMinMargin(x, data: data, h: h, d: features.dimension)
                XCTAssertEqual(own, out.lower, accuracy: 1e-9 * out.lower, "seed \(seed), cut \(cut)")
                XCTAssertGreaterThanOrEqual(own, previous * (1 - 1e-9), "seed \(seed), cut \(cut)")
                previous = own
            }
        }
    }

    /// The touched rows' norm is the norm of the whole point, clearing them zeroes the point, and a
    /// snapshot brings a point and its tie coefficients back exactly.
    func testTouchedRowsMeasureClearAndRestoreThePoint() {
        let V = 50, d = 7
        for rows in [[3, 41, 17], Array(0..<30)] {   // the per-row sum (under half the rows) and one dnrm2
            var touched = TouchedRows(rowCount: V, rowLength: d)
            var x = [Double](repeating: 0, count: V * d)
            for r in rows { touched.touch(r); for f in 0..<d { x[r * d + f] = Double(r + 1) * (f % 2 == 0 ? 0.5 : -2) } }
            touched.touch(rows[0])   // touching twice counts once
            XCTAssertEqual(touched.rows, rows)
            let sumOfSquares = rows.reduce(0.0) { s, r in s + Double((r + 1) * (r + 1)) * (4 * 0.25 + 3 * 4) }
            XCTAssertEqual(touched.norm(x), sumOfSquares.squareRoot(), accuracy: 1e-12 * sumOfSquares.squareRoot())
            var snapshot = PointSnapshot()
            snapshot.take(x, touched: touched, tieSum: [1.5, -2])
            let original = x
            touched.clear(&x)
            XCTAssertEqual(x, [Double](repeating: 0, count: V * d))
            XCTAssertTrue(touched.rows.isEmpty)
            x[5 * d] = 9; touched.touch(5)   // a later iterate, which the restore replaces
            var tieSum = [0.0, 0]
            XCTAssertTrue(snapshot.restore(into: &x, touched: &touched, tieSum: &tieSum))
            XCTAssertEqual(x, original)
            XCTAssertEqual(tieSum, [1.5, -2])
            XCTAssertEqual(Set(touched.rows), Set(rows))
        }
        var empty = [0.0]
        var none = TouchedRows(rowCount: 1, rowLength: 1), ties: [Double] = []
        XCTAssertFalse(PointSnapshot().restore(into: &empty, touched: &none, tieSum: &ties))
    }

    /// On a vocabulary of 400 tokens of which the supports use 20, the minimum-norm point's early passes
    /// touch few rows and measure them one by one (W^mm itself has all 400 rows nonzero: the tokens that
    /// no support holds share one row): its γ* is still `MaxMarginSolver`'s 1/‖W^mm‖.
    func testFewTouchedRowsGiveTheSameMaxMargin() throws {
        var rng = SeededGenerator(seed: 5)
        let m = 12, V = 400, d = 8
        let rows: [[Int: Double]] = (0..<m).map { _ in
            var row: [Int: Double] = [:]
            while row.count < 2 { row[Int(rng.next() % 20)] = 1 }
            return row
        }
        let data = makeData(V: V, rows: rows)
        let features = ContextFeatures(dimension: d, contextCount: m, storage: .dense((0..<(d * m)).map { _ in rng.nextGaussian() }))
        let wolfe = try XCTUnwrap(Separability.maxMarginByMinNormPoint(data, features: features))
        XCTAssertEqual(wolfe.verdict, .separable)
        let solution = try MaxMarginSolver(tolerance: 1e-10).solve(try DataSubspace(data: data, features: features))
        XCTAssertEqual(solution.status, .separable)
        XCTAssertEqual(wolfe.gamma, 1 / solution.normSquared.squareRoot(), accuracy: 1e-7 * wolfe.gamma)
    }

    /// The first-order look stops at `stopAt` after its first two steps, and runs all its steps without it.
    func testFirstOrderLookStopsAtItsTime() {
        let (data, features) = randomGaussianInstance(seed: 8, m: 40, V: 10, d: 36, smallest: 3, sizes: 6)
        XCTAssertEqual(FirstOrderSeparability.run(data, features: features, iterations: 300).iterations, 300)
        let stopped = FirstOrderSeparability.run(data, features: features, iterations: 300, stopAt: monotonicSeconds() - 1)
        XCTAssertEqual(stopped.iterations, 1)
        XCTAssertTrue(stopped.bestNormalizedMinMargin.isFinite)
    }
}
