import XCTest
import TestSupport
import Foundation
@testable import NTPCore
import NTPFormats

/// γ*_∞ (theory.md §7): closed forms, infeasibility, scipy/HiGHS agreement, and the margin ratios.
final class MaxNormMarginTests: XCTestCase {

    /// One-hot contexts (H = I): the LP decouples per column. Column j: ties make W equal on S_j,
    /// margins W_a − W_v ≥ s with |W| ≤ 1 give s = 2 at W = +1 on S_j, −1 off it, whatever k_j < V.
    /// So γ*_∞ = 2 and the unique minimiser (margins ≥ 1) is ±½; a context with k_j = V is all 0.
    func testOnehotIsTwoWithHalfEntries() throws {
        let data = makeData(V: 4, rows: [[0: 3], [1: 1, 2: 2], [0: 1, 1: 1, 3: 5], [0: 1, 1: 1, 2: 1, 3: 1]])
        let h = try ContextFeatures.make(.onehot, for: data)
        let r = MaxNormMarginSolver().solve(data, features: h)
        XCTAssertEqual(r.status, .separable, r.message)
        XCTAssertEqual(r.gamma, 2, accuracy: 1e-12)
        let m = 4
        let expected: [[Double]] = [[0.5, -0.5, -0.5, -0.5], [-0.5, 0.5, 0.5, -0.5], [0.5, 0.5, -0.5, 0.5], [0, 0, 0, 0]]
        for j in 0..<3 { for v in 0..<4 { XCTAssertEqual(r.weights[v * m + j], expected[j][v], accuracy: 1e-12, "W[\(v), \(j)]") } }
        // Context 3 has no margin row; only its tie rows constrain column 3 (any equal values are optimal).
        XCTAssertEqual(r.minMargin, 1, accuracy: 1e-12)
        XCTAssertEqual(r.tieRows, 0 + 1 + 2 + 3)
        XCTAssertEqual(r.marginRows, 3 + 2 + 1)
    }

    /// V = 3, d = 2, h̄_1 = (1, 0) with S_1 = {0, 1}, h̄_2 = (1, 1) with S_2 = {2}. Margin 1 is
    /// W00 − W20 (tie W00 = W10), margin (2, v=0) is W20 + W21 − W00 − W01; their sum W21 − W01 ≤ 2,
    /// so min margin ≤ 1 under |W| ≤ 1, attained by W00 = W10 = ½, W20 = −½, W21 = 1, W01 = W11 = −1:
    /// γ*_∞ = 1 (while the ℓ2 max margin is different).
    func testTwoContextsByHand() {
        let data = makeData(V: 3, rows: [[0: 1, 1: 1], [2: 1]])
        let r = MaxNormMarginSolver().solve(data, features: denseFeatures([[1, 0], [1, 1]]))
        XCTAssertEqual(r.status, .separable, r.message)
        XCTAssertEqual(r.gamma, 1, accuracy: 1e-12)
        XCTAssertEqual(r.weights.map(abs).max()!, 1, accuracy: 1e-12)   // ‖W‖_max = 1/γ*_∞
        XCTAssertEqual(r.minMargin, 1, accuracy: 1e-12)
        XCTAssertLessThan(r.tieResidual, 1e-12)
    }

    /// V = 3, d = 1, h = 1 with S = {0} and h = −1 with S = {1}: margins w0 − w1, w0 − w2, w0 − w1,
    /// w2 − w1 (the second context reverses signs). w2 sits between w0 and w1, so the best is
    /// w = (1, −1, 0) with min margin 1: γ*_∞ = 1. With h = 2 instead of −1 the second context needs
    /// w1 > w0: not separable.
    func testScalarEmbeddings() {
        let data = makeData(V: 3, rows: [[0: 1], [1: 1]])
        let r = MaxNormMarginSolver().solve(data, features: denseFeatures([[1], [-1]]))
        XCTAssertEqual(r.status, .separable, r.message)
        XCTAssertEqual(r.gamma, 1, accuracy: 1e-12)
        XCTAssertEqual(r.weights[0], 1, accuracy: 1e-12)
        XCTAssertEqual(r.weights[1], -1, accuracy: 1e-12)
        XCTAssertEqual(r.weights[2], 0, accuracy: 1e-12)
        let bad = MaxNormMarginSolver().solve(data, features: denseFeatures([[1], [2]]))
        XCTAssertEqual(bad.status, .notSeparable)
        XCTAssertTrue(bad.gamma.isNaN)
        XCTAssertTrue(bad.weights.isEmpty)
    }

    /// One column of a full-rank H scaled by 1e8 (QA round 8): GLPK's optimum then missed its own rows
    /// (γ*_∞ = 6.39 reported beside a min margin of −0.83). A γ*_∞ is only reported with its W's margins
    /// at 1 and ties below them; otherwise the LP is undecided and says why.
    func testAnLPOptimumThatMissesItsRowsIsUndecided() throws {
        let data = try SyntheticData.generate(SyntheticSpec(contexts: 30, vocabulary: 10, support: .fixed(3), seed: 1))
        guard case .dense(var h) = SyntheticData.gaussianEmbeddings(dimension: 40, contexts: 30, scale: 1, seed: 1).storage else {
            return XCTFail("Gaussian features are dense")
        }
        for f in 0..<40 { h[f] *= 1e8 }
        let r = MaxNormMarginSolver().solve(data, features: ContextFeatures(dimension: 40, contextCount: 30, storage: .dense(h)))
        switch r.status {
        case .separable:
            XCTAssertEqual(r.minMargin, 1, accuracy: 1e-6)
            XCTAssertLessThan(r.tieResidual, r.minMargin)
        case .undecided:
            XCTAssertTrue(r.message.hasPrefix("the LP's W fails its own constraints"), r.message)
            XCTAssertTrue(r.gamma.isNaN && r.weights.isEmpty)
        default:
            XCTFail("H has full column rank: \(r.status) \(r.message)")
        }
    }

    /// Limits: V·d over `maxVariables` or a first LP over `maxFirstLPNonzeros` is refused at once; a zero
    /// time limit is undecided.
    func testLimits() {
        let data = makeData(V: 3, rows: [[0: 1], [1: 1]])
        let h = denseFeatures([[1], [-1]])
        XCTAssertEqual(MaxNormMarginSolver(maxVariables: 2).solve(data, features: h).status, .tooLarge)
        XCTAssertTrue(MaxNormMarginSolver(maxVariables: 2).solve(data, features: h).summary.contains("too large"))
        XCTAssertEqual(MaxNormMarginSolver(timeLimit: 0).solve(data, features: h).status, .undecided)
        // The first LP: per context no ties and min(8, V − 1) = 2 margin rows of 2·nnz(h̄_j) = 2
        // nonzeros each, 8 in all.
        var small = MaxNormMarginSolver()
        small.maxFirstLPNonzeros = 7
        let refused = small.solve(data, features: h)
        XCTAssertEqual(refused.status, .tooLarge)
        XCTAssertTrue(refused.message.contains("the first LP's 8 nonzeros exceed the limit 7"), refused.message)
        small.maxFirstLPNonzeros = 8
        XCTAssertEqual(small.solve(data, features: h).status, .separable)
    }

    /// Constraint generation (few initial rows) reaches the same optimum as the full LP.
    func testConstraintGenerationMatchesFullLP() throws {
        var rng = SeededGenerator(seed: 7)
        var rows: [[Int: Double]] = []
        for _ in 0..<20 {
            var row: [Int: Double] = [:]
            while row.count < 2 { row[Int(rng.next() % 30)] = 1 }
            rows.append(row)
        }
        let data = makeData(V: 30, rows: rows)
        let h = try ContextFeatures.make(.gaussian(dimension: 25, seed: 3), for: data)
        let full = MaxNormMarginSolver().solve(data, features: h)
        let generated = MaxNormMarginSolver(initialRowsPerContext: 1, rowsAddedPerContext: 2, fullLPNonzeros: 0).solve(data, features: h)
        XCTAssertEqual(full.status, .separable, full.message)
        XCTAssertEqual(full.rounds, 1)
        XCTAssertGreaterThan(generated.rounds, 1)
        XCTAssertLessThan(generated.marginRows, full.marginRows)
        XCTAssertEqual(generated.gamma, full.gamma, accuracy: 1e-9 * full.gamma)
        XCTAssertGreaterThanOrEqual(generated.minMargin, 1 - 1e-9)
    }

    /// γ*_∞ agrees with scipy's HiGHS on the LP in its stated form (min t s.t. −t ≤ W ≤ t, ties,
    /// margins ≥ 1; γ*_∞ = 1/t*) to 1e-6 relative, on 12 random small instances, non-separable
    /// ones (HiGHS: infeasible) included.
    func testAgreesWithScipyHiGHS() throws {
        var instances: [[String: Any]] = []
        var ours: [MaxNormMarginSolution] = []
        var rng = SeededGenerator(seed: 99)
        for i in 0..<12 {
            let V = 4 + i % 3, m = 5 + i % 4
            let rows = randomRows(V: V, m: m, using: &rng) { Double(1 + $0.next() % 4) }
            let data = makeData(V: V, rows: rows)
            let d = i % 4 == 3 ? 1 : m - 2 + i % 4
            let h = try ContextFeatures.make(.gaussian(dimension: d, seed: UInt64(i)), for: data)
            let r = MaxNormMarginSolver().solve(data, features: h)
            XCTAssertNotEqual(r.status, .undecided, "instance \(i): \(r.message)")
            ours.append(r)
            instances.append(["V": V, "m": m, "d": d, "H": h.denseMatrix(), "supports": rows.map { $0.keys.sorted() }])
        }
        let script = """
        import json, sys
        import numpy as np
        from scipy.optimize import linprog
        out = []
        for inst in json.load(sys.stdin):
            V, m, d = inst["V"], inst["m"], inst["d"]
            H = np.array(inst["H"]).reshape(m, d)          # row j = h_j (column-major d x m)
            n = V * d + 1                                   # W row-major, then t
            A_ub, b_ub, A_eq = [], [], []
            for j, S in enumerate(inst["supports"]):
                a = S[-1]                                   # another anchor than the Swift solver's
                for v in range(V):
                    if v == a: continue
                    row = np.zeros(n)
                    row[v*d:(v+1)*d] += H[j]; row[a*d:(a+1)*d] -= H[j]
                    if v in S: A_eq.append(row)
                    else: A_ub.append(row); b_ub.append(-1.0)   # (e_v - e_a)' W h <= -1
            for i in range(V * d):
                for sign in (1.0, -1.0):                    # sign*W_i - t <= 0
                    row = np.zeros(n); row[i] = sign; row[-1] = -1; A_ub.append(row); b_ub.append(0.0)
            c = np.zeros(n); c[-1] = 1
            res = linprog(c, A_ub=np.array(A_ub), b_ub=np.array(b_ub),
                          A_eq=np.array(A_eq) if A_eq else None, b_eq=np.zeros(len(A_eq)) if A_eq else None,
                          bounds=[(None, None)] * n, method="highs")
            if res.status == 2: out.append(None)
            else:
                assert res.status == 0, res.message
                out.append(1.0 / res.fun)
        print(json.dumps(out))
        """
        let theirs = try Python.run(script, input: try JSONSerialization.data(withJSONObject: instances))
        let gammas = try JSONSerialization.jsonObject(with: Data(theirs.utf8)) as! [Any]
        var separable = 0, notSeparable = 0
        for (i, (r, g)) in zip(ours, gammas).enumerated() {
            if let g = g as? Double {
                XCTAssertEqual(r.status, .separable, "instance \(i): HiGHS γ*_∞ = \(g), ours \(r.message)")
                XCTAssertEqual(r.gamma, g, accuracy: 1e-6 * g, "instance \(i)")
                separable += 1
            } else {
                XCTAssertEqual(r.status, .notSeparable, "instance \(i): HiGHS says infeasible")
                notSeparable += 1
            }
        }
        XCTAssertGreaterThanOrEqual(separable, 6)
        XCTAssertGreaterThanOrEqual(notSeparable, 1)
    }

    /// The ratios are exactly 1 at the optima: W_inf (from the LP) has margin_inf_ratio 1, and
    /// W^mm (from the NTP-SVM) has margin_l2_ratio 1; each is < 1 at the other's optimum here.
    func testRatiosAreOneAtTheOptima() throws {
        var rng = SeededGenerator(seed: 5)
        var rows: [[Int: Double]] = []
        for _ in 0..<8 {
            var row: [Int: Double] = [:]
            while row.count < 2 { row[Int(rng.next() % 6)] = Double(1 + rng.next() % 3) }
            rows.append(row)
        }
        let data = makeData(V: 6, rows: rows)
        let h = try ContextFeatures.make(.gaussian(dimension: 10, seed: 1), for: data)
        let inf = MaxNormMarginSolver().solve(data, features: h)
        XCTAssertEqual(inf.status, .separable, inf.message)
        let subspace = try DataSubspace(data: data, features: h)
        let mm = try MaxMarginSolver(tolerance: 1e-9).solve(subspace)
        XCTAssertEqual(mm.status, .separable)
        let g = MarginGeometry(data: data, features: h, gammaInf: inf.gamma, gamma2: mm.margin)
        let atInf = g.ratios(perp: inf.weights), atMM = g.ratios(perp: mm.weights)
        XCTAssertEqual(atInf.inf, 1, accuracy: 1e-9)
        XCTAssertEqual(atMM.l2, 1, accuracy: 1e-6)
        XCTAssertLessThan(atInf.l2, 1 - 1e-3)
        XCTAssertLessThan(atMM.inf, 1 - 1e-3)
        // Scale invariance and 0/0 at W = 0.
        XCTAssertEqual(g.ratios(perp: inf.weights.map { 7 * $0 }).inf, atInf.inf, accuracy: 1e-12)
        XCTAssertTrue(g.ratios(perp: [Double](repeating: 0, count: inf.weights.count)).inf.isNaN)
    }
}
