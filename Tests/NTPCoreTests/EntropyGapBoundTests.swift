import Foundation
import XCTest
import TestSupport
import NTPFormats
@testable import NTPCore

/// The certified interval for inf CE − 𝓗 (theory.md §7): closed forms, an independent scipy
/// minimisation of CE, and a numpy re-check of the feasible point.
final class EntropyGapBoundTests: XCTestCase {
    /// Σ π̂_j H(q_j) − 𝓗 − B ‖Σ_j π̂_j (q_j − p̂_j) h̄_jᵀ‖_F for q token-major (V × m), computed directly: the
    /// lower end that q certifies on every W with ‖W‖_F ≤ B.
    func lowerEnd(of q: [Double], _ data: DataSet, _ h: ContextFeatures, radius: Double) -> Double {
        let v = data.vocabularySize, m = data.contextCount, d = h.dimension
        let pi = data.contextFrequencies(), p = data.conditionalProbabilities()
        var r = [Double](repeating: 0, count: v * d), entropy = 0.0, column = [Double](repeating: 0, count: d)
        for j in 0..<m {
            column.withUnsafeMutableBufferPointer { h.column(j, into: $0.baseAddress!) }
            var diff = (0..<v).map { q[$0 * m + j] }
            for x in diff where x > 0 { entropy -= pi[j] * x * log(x) }
            for e in data.rowOffsets[j]..<data.rowOffsets[j + 1] { diff[Int(data.columns[e])] -= p[e] }
            for a in 0..<v where diff[a] != 0 { for k in 0..<d { r[a * d + k] += pi[j] * diff[a] * column[k] } }
        }
        return entropy - data.entropy() - radius * r.reduce(0) { $0 + $1 * $1 }.squareRoot()
    }

    /// Adam's W from the standard check hook (the W `check` hands to the bound).
    func adamWeights(_ data: DataSet, _ h: ContextFeatures, steps: Int = 2_000) throws -> [Double] {
        try CheckHooks.standard(crossEntropySteps: steps).minimizeCrossEntropy!(data, h).weights
    }

    /// theory.md §7's example: d = 1, V = 3, h̄_A = h̄_B = 1, S_A = {0, 1} (counts 2, 1), S_B = {0} (count 3).
    /// Both contexts share their logits, so inf CE is the entropy of the pooled next-token distribution
    /// (5/6, 1/6, 0) and inf CE − 𝓗 = H(5/6, 1/6) − ½ H(2/3, 1/3) = 0.1323041247…
    func testTieConflictExampleMatchesTheClosedForm() throws {
        let data = makeData(V: 3, rows: [[0: 2, 1: 1], [0: 3]])
        let h = denseFeatures([[1], [1]])
        func H(_ p: [Double]) -> Double { -p.filter { $0 > 0 }.reduce(0) { $0 + $1 * log($1) } }
        let truth = H([5.0 / 6, 1.0 / 6]) - 0.5 * H([2.0 / 3, 1.0 / 3])
        XCTAssertEqual(truth, 0.13230412471889824, accuracy: 1e-15)
        let w = try adamWeights(data, h)
        let (bound, q) = EntropyGapBound.search(data, features: h, weights: w, separable: false, compatible: false,
                                                options: EntropyGapBoundOptions())
        XCTAssertGreaterThan(bound.lower, 0.13)
        XCTAssertLessThanOrEqual(bound.lower, truth + 1e-12)
        XCTAssertEqual(bound.lower, truth, accuracy: 1e-9)
        XCTAssertGreaterThanOrEqual(bound.upper, truth)
        XCTAssertLessThan(bound.upper, truth + 1e-3)      // Adam's W after 2,000 steps
        XCTAssertLessThanOrEqual(bound.residual, bound.tolerance)
        // The maximiser pools the two contexts: q_A = q_B = (5/6, 1/6, 0) (token-major: entry (a, j) at 2a + j).
        let point = try XCTUnwrap(q)
        for (i, x) in [5.0 / 6, 5.0 / 6, 1.0 / 6, 1.0 / 6, 0, 0].enumerated() { XCTAssertEqual(point[i], x, accuracy: 1e-9) }
        XCTAssertLessThan(point[4] + point[5], 1e-12)   // the token no context sees
    }

    /// Groups of identical contexts (H = [e₁ e₁ e₁ e₂ e₂ e₂ e₃ e₃ e₃], random supports over V = 5): the three
    /// distinct columns are independent, so each group's logits are free and shared, and
    /// inf CE − 𝓗 = Σ_g Σ_{j∈g} π̂_j KL(p̂_j ‖ p̄_g), p̄_g the group's pooled distribution. The Hessian is
    /// singular along every within-group difference, where CG alone stalls above τ = 1e-13; the refined
    /// residual reaches it (`Solver.refine`), and the lower end is the closed form to 1e-9.
    func testDuplicateContextGroupsMatchTheClosedForm() throws {
        var rng = SeededGenerator(seed: 77)
        var rows: [[Int: Double]] = []
        for _ in 0..<9 {
            var row: [Int: Double] = [:]
            for a in 0..<5 where rng.next() % 2 == 0 { row[a] = Double(1 + rng.next() % 9) }
            if row.isEmpty { row[Int(rng.next() % 5)] = 2 }
            rows.append(row)
        }
        let data = makeData(V: 5, rows: rows)
        let columns = (0..<9).map { j in (0..<3).map { $0 == j / 3 ? 1.0 : 0.0 } }
        let h = denseFeatures(columns)
        let total = rows.reduce(0) { $0 + $1.values.reduce(0, +) }
        var truth = 0.0
        for g in 0..<3 {
            var pooled = [Double](repeating: 0, count: 5)
            for j in 3 * g..<3 * g + 3 { for (a, c) in rows[j] { pooled[a] += c } }
            let groupTotal = pooled.reduce(0, +)
            for j in 3 * g..<3 * g + 3 {
                let n = rows[j].values.reduce(0, +)
                for (a, c) in rows[j] { truth += (n / total) * (c / n) * log((c / n) / (pooled[a] / groupTotal)) }
            }
        }
        XCTAssertGreaterThan(truth, 0.05)
        let bound = EntropyGapBound.compute(data, features: h, weights: try adamWeights(data, h))
        XCTAssertLessThanOrEqual(bound.lower, truth + 1e-12)
        XCTAssertEqual(bound.lower, truth, accuracy: 1e-9)
        XCTAssertLessThanOrEqual(bound.residual, 1e-13)
        XCTAssertGreaterThanOrEqual(bound.upper, truth)
    }

    /// QA round 4's "mix" instance 121 scaled by 1e-6 (Tests/Fixtures/duplicate-contexts: m = 22, V = 7,
    /// d = 3, two identical columns with different supports and a zero column). Its first CG stalls at a
    /// residual of 1.3e-12, and the damped step finds no descent: without refinement no candidate reaches
    /// τ = 1e-13 and the lower end is 0. Refined, it is within 1e-10 of inf CE − 𝓗 = 1.20586576291569
    /// (QA's independent L-BFGS upper end and exactly feasible dual point agree to 3e-15).
    func testRefinementReachesTheToleranceWhereCGStalls() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/duplicate-contexts")
        let data = try DataSet(contentsOfNPZ: folder.appendingPathComponent("mix121.npz").path)
        let h = try ContextFeatures.load(npyPath: folder.appendingPathComponent("mix121-H.npy").path, contextCount: data.contextCount)
        let truth = 1.2058657629156917
        let report = try CheckRunner.run(data, features: h, embedding: "mix121", hooks: .standard())
        let interval = try XCTUnwrap(report.entropyGapInterval)
        XCTAssertLessThanOrEqual(interval[0], truth + 1e-12)
        XCTAssertEqual(interval[0], truth, accuracy: 1e-10)
        XCTAssertGreaterThanOrEqual(interval[1], truth - 1e-12)
        // The recorded q (what --gap-certificate writes) gives that lower end by itself: for ‖W‖_F ≤ B,
        // CE(W) − 𝓗 ≥ Σ π̂ H(q) − 𝓗 − B ‖Σ π̂ (q − p̂) h̄ᵀ‖_F.
        let (bound, point) = EntropyGapBound.search(data, features: h, weights: try adamWeights(data, h), separable: nil,
                                                    compatible: nil, options: EntropyGapBoundOptions())
        let q = try XCTUnwrap(point)
        XCTAssertGreaterThanOrEqual(lowerEnd(of: q, data, h, radius: try XCTUnwrap(bound.normRadius)), bound.lower - 1e-12)
        XCTAssertEqual(bound.lower, truth, accuracy: 1e-10)
        var unrefined = CheckOptions()
        unrefined.entropyGapBoundOptions.refinementSteps = 0
        let plain = try CheckRunner.run(data, features: h, embedding: "mix121", options: unrefined, hooks: .standard())
        XCTAssertEqual(try XCTUnwrap(plain.entropyGapInterval)[0], 0)
    }

    /// Separable but not compatible: V = 3, d = 1, A = {0: 2, 1: 1} at h = 1, B = {0: 1, 1: 1} at h = 2.
    /// Ties force w_0 = w_1 > w_2 (separable), while the log-odds ask w_0 − w_1 = log 2 and 2(w_0 − w_1) = 0
    /// (not compatible). Every feasible q lives on {0, 1}; with a = q_{A,0}, b = q_{B,0} the moments say
    /// 3a + 4b = 4 and the maximiser has logit(a) = −x, logit(b) = −2x (Lagrange), found here by
    /// bisection on x. `check` passes the verdicts, so the search starts on the supports.
    func testSeparableIncompatibleInstanceMatchesLagrangeSolution() throws {
        let data = makeData(V: 3, rows: [[0: 2, 1: 1], [0: 1, 1: 1]])
        let h = denseFeatures([[1], [2]])
        func sigma(_ t: Double) -> Double { 1 / (1 + exp(-t)) }
        var lo = -10.0, hi = 10.0
        for _ in 0..<200 { let x = (lo + hi) / 2; if 3 * sigma(-x) + 4 * sigma(-2 * x) > 4 { lo = x } else { hi = x } }
        let a = sigma(-lo), b = sigma(-2 * lo)
        func H2(_ p: Double) -> Double { -(p * log(p) + (1 - p) * log(1 - p)) }
        let truth = 0.6 * H2(a) + 0.4 * H2(b) - data.entropy()
        XCTAssertEqual(3 * a + 4 * b, 4, accuracy: 1e-12)
        XCTAssertGreaterThan(truth, 0.001)
        let report = try CheckRunner.run(data, features: h, embedding: "test", hooks: .standard())
        XCTAssertEqual(report.separable, true)
        XCTAssertEqual(report.compatible, false)
        let interval = try XCTUnwrap(report.entropyGapInterval)
        XCTAssertLessThanOrEqual(interval[0], truth + 1e-12)
        XCTAssertGreaterThanOrEqual(interval[1], truth)
        XCTAssertEqual(interval[0], truth, accuracy: 1e-9)
        XCTAssertTrue(report.entropyGapBound!.method.hasPrefix("Newton–CG"), report.entropyGapBound!.method)
        XCTAssertEqual(report.separatedShareContexts, 1)
    }

    /// A token that one context owns and the others never see: V = 3, d = 2 (gaussian:2:0), rows
    /// {0: 1}, {1: 2}, {2: 5}, {0: 4}, so 𝓗 = 0. Every feasible q vanishes on token 1 outside context 1
    /// (and context 1 is e_1), and what is left is one line: with n ⊥ the three other columns of H,
    /// q_{j,0} = p̂_{j,0} + t n_j / π̂_j, found here by ternary search on the concave entropy. The
    /// search's first candidate kept 3e-9 and 5e-9 on token 1 (within τ of the moments), whose
    /// entropy put the lower end 2.8e-8 above inf CE − 𝓗 (QA); an independent scipy L-BFGS on CE
    /// reached 0.3627593690075252.
    func testEntriesASeparatedTokenMustDropDoNotLiftTheLowerEnd() throws {
        let data = makeData(V: 3, rows: [[0: 1], [1: 2], [2: 5], [0: 4]])
        let h = try ContextFeatures.make(.gaussian(dimension: 2, seed: 0), for: data)
        let column = { (j: Int) in (0..<2).map { h.denseMatrix()[j * 2 + $0] } }
        let (a, b, c) = (column(0), column(2), column(3))
        let n = [b[0] * c[1] - b[1] * c[0], c[0] * a[1] - c[1] * a[0], a[0] * b[1] - a[1] * b[0]]   // a, b, c ⊥ n
        let pi = [1.0 / 12, 5.0 / 12, 4.0 / 12], start = [1.0, 0, 1]   // contexts 0, 2, 3: π̂ and p̂_{j,0}
        func H2(_ p: Double) -> Double { p <= 0 || p >= 1 ? 0 : -(p * log(p) + (1 - p) * log(1 - p)) }
        func value(_ t: Double) -> Double { (0..<3).reduce(0) { $0 + pi[$1] * H2(start[$1] + t * n[$1] / pi[$1]) } }
        var lo = -Double.infinity, hi = Double.infinity   // q_{j,0} ∈ [0, 1]
        for j in 0..<3 where n[j] != 0 {
            let ends = [(0 - start[j]) * pi[j] / n[j], (1 - start[j]) * pi[j] / n[j]]
            lo = max(lo, ends.min()!); hi = min(hi, ends.max()!)
        }
        for _ in 0..<300 {
            let x = lo + (hi - lo) / 3, y = hi - (hi - lo) / 3
            if value(x) < value(y) { lo = x } else { hi = y }
        }
        let truth = value((lo + hi) / 2)
        XCTAssertEqual(truth, 0.3627593690075252, accuracy: 1e-11)
        let report = try CheckRunner.run(data, features: h, embedding: "gaussian:2:0", hooks: .standard())
        let interval = try XCTUnwrap(report.entropyGapInterval)
        XCTAssertLessThanOrEqual(interval[0], truth + 1e-13)
        XCTAssertEqual(interval[0], truth, accuracy: 1e-9)
        XCTAssertGreaterThanOrEqual(interval[1], truth)
    }

    /// Two contexts 1e-9 apart with different supports: H = [e1 e2 e3 e4 e1+εe2], tokens 0, 1, 2, 3, 1.
    /// W = t·diag(1, 2/ε, 1, 1) separates everything, so inf CE − 𝓗 = 0. At τ = 1e-9 contexts 0 and 4
    /// look alike and the search's q (residual 1.1e-10) "certified" 0.277 (QA), above the CE Adam reached;
    /// at the default τ (1e-13) no q is feasible and the lower end is 0. At τ = 1e-9 the guard catches it:
    /// a lower end above the upper end is dropped, and nothing is certified.
    func testALowerEndAboveAReachedCEIsDropped() throws {
        let data = makeData(V: 4, rows: [[0: 1], [1: 1], [2: 1], [3: 1], [1: 1]])
        let h = denseFeatures([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1], [1, 1e-9, 0, 0]])
        let report = try CheckRunner.run(data, features: h, embedding: "near duplicates", hooks: .standard())
        let interval = try XCTUnwrap(report.entropyGapInterval)
        XCTAssertEqual(interval[0], 0)
        XCTAssertLessThan(interval[1], 0.277)
        XCTAssertTrue(report.entropyGapBound!.method.hasPrefix("q = p̂: the search found no feasible point with a larger entropy"), report.entropyGapBound!.method)

        var coarse = CheckOptions()
        coarse.entropyGapBoundOptions.tolerance = 1e-9
        let guarded = try CheckRunner.run(data, features: h, embedding: "near duplicates", options: coarse, hooks: .standard())
        XCTAssertEqual(try XCTUnwrap(guarded.entropyGapInterval)[0], 0)
        XCTAssertTrue(guarded.entropyGapBound!.method.contains("exceeded the upper end"), guarded.entropyGapBound!.method)
    }

    /// Positional one-hot features go through the sparse products, the same H stored densely through
    /// BLAS: both searches must land on the same interval.
    func testSparseAndDenseFeaturesGiveTheSameInterval() throws {
        let data = Fixtures.data(m: 40, v: 7, maxSupport: 3, seed: 21, contextLength: 2)
        let sparse = try ContextFeatures.make(.positionalOnehot, for: data)
        let dense = ContextFeatures(dimension: sparse.dimension, contextCount: 40, storage: .dense(sparse.denseMatrix()))
        let w = try adamWeights(data, dense, steps: 500)
        let a = EntropyGapBound.compute(data, features: sparse, weights: w)
        let b = EntropyGapBound.compute(data, features: dense, weights: w)
        XCTAssertGreaterThan(a.lower, 0.01, a.method)
        XCTAssertEqual(a.lower, b.lower, accuracy: 1e-9)
        XCTAssertEqual(a.upper, b.upper, accuracy: 1e-9)
    }

    /// A q that is not feasible must not be used: with the tolerance at 0 nothing passes (every
    /// computed residual is at least rounding), and the lower end falls back to q = p̂, i.e. 0.
    func testNoFeasiblePointGivesZero() throws {
        let data = makeData(V: 3, rows: [[0: 2, 1: 1], [0: 3]])
        let h = denseFeatures([[1.3], [0.7]])
        var o = EntropyGapBoundOptions()
        o.tolerance = 0
        let w = try adamWeights(data, h, steps: 200)
        let bound = EntropyGapBound.compute(data, features: h, weights: w, options: o)
        XCTAssertEqual(bound.lower, 0)
        XCTAssertTrue(bound.method.hasPrefix("q = p̂"), bound.method)
    }

    /// Both conditions hold when H has full column rank (d ≥ m): inf CE = 𝓗. Searched without that
    /// knowledge the lower end stays 0 (no feasible q beats p̂), the interval contains 0, and the upper
    /// end is Adam's small gap; through `check` the verdicts short-cut the search.
    func testCompatibleSeparableInstanceHasLowerEndZero() throws {
        let data = Fixtures.data(m: 6, v: 5, maxSupport: 3, seed: 11)
        let h = ContextFeatures(dimension: 8, contextCount: 6, storage: .dense(Fixtures.gaussian(48, seed: 12)))
        let w = try adamWeights(data, h)
        let bound = EntropyGapBound.compute(data, features: h, weights: w)
        XCTAssertEqual(bound.lower, 0)
        XCTAssertGreaterThan(bound.upper, 0)
        XCTAssertLessThan(bound.upper, 0.01)
        let report = try CheckRunner.run(data, features: h, embedding: "test", hooks: .standard())
        XCTAssertEqual(report.separable, true)
        XCTAssertEqual(report.compatible, true)
        XCTAssertEqual(report.entropyGapInterval, [0, report.entropyGap!])
        XCTAssertEqual(report.separatedShareContexts, 1)
        XCTAssertEqual(report.separatedShareEvents, 1)
        // One-hot contexts: q = p̂ is the only feasible point.
        let onehot = ContextFeatures(dimension: 6, contextCount: 6, storage: .identity)
        let b1 = EntropyGapBound.compute(data, features: onehot, weights: [Double](repeating: 0, count: 30))
        XCTAssertEqual(b1.lower, 0)
        XCTAssertEqual(b1.upper, log(5.0) - data.entropy(), accuracy: 1e-12)
    }

    /// Random instances with d < m (neither condition holds): scipy's L-BFGS-B run to convergence on
    /// CE gives inf CE − 𝓗 independently; the interval must bracket it, its lower end within 1e-6;
    /// numpy re-checks that q is a distribution per context meeting the moments to τ and that its
    /// entropy is the reported one.
    func testIntervalBracketsScipyMinimumAndPointIsFeasible() throws {
        var instances: [[String: Any]] = []
        var ours: [[Double]] = []
        for seed in [3 as UInt64, 5, 8] {
            let m = 14, v = 6, d = 3
            let data = Fixtures.data(m: m, v: v, maxSupport: 3, seed: seed)
            let h = ContextFeatures(dimension: d, contextCount: m, storage: .dense(Fixtures.gaussian(d * m, seed: seed + 100)))
            let w = try adamWeights(data, h)
            let (bound, q) = EntropyGapBound.search(data, features: h, weights: w, separable: nil, compatible: nil,
                                                    options: EntropyGapBoundOptions())
            let point = try XCTUnwrap(q, bound.method)
            ours.append([bound.lower, bound.upper, bound.rawLower!, bound.residual])
            var counts = [Double](repeating: 0, count: v * m)   // V × m like q
            for j in 0..<m { for e in data.rowOffsets[j]..<data.rowOffsets[j + 1] { counts[Int(data.columns[e]) * m + j] = data.counts[e] } }
            instances.append(["V": v, "m": m, "d": d, "H": h.denseMatrix(), "C": counts, "q": point])
        }
        let script = """
        import json, sys
        import numpy as np
        from scipy.optimize import minimize
        from scipy.special import logsumexp, softmax
        out = []
        for inst in json.load(sys.stdin):
            V, m, d = inst["V"], inst["m"], inst["d"]
            H = np.array(inst["H"]).reshape(m, d).T          # d x m
            C = np.array(inst["C"]).reshape(V, m)
            q = np.array(inst["q"]).reshape(V, m)
            pi = C.sum(0) / C.sum(); P = C / C.sum(0)
            ent = lambda Q: -np.sum(pi * np.where(Q > 0, Q * np.log(np.where(Q > 0, Q, 1)), 0).sum(0))
            def f(x):
                W = x.reshape(V, d); L = W @ H
                Q = softmax(L, axis=0)
                return np.sum(pi * (logsumexp(L, axis=0) - np.sum(P * L, axis=0))), (((Q - P) * pi) @ H.T).ravel()
            best = min((minimize(f, x0, jac=True, method="L-BFGS-B", options=dict(maxiter=100000, ftol=1e-16, gtol=1e-13)).fun
                        for x0 in [np.zeros(V * d), np.random.default_rng(0).normal(size=V * d)]))
            scale = np.sum(pi * np.linalg.norm(H, axis=0))
            residual = np.linalg.norm(((q - P) * pi) @ H.T) / scale
            out.append([best - ent(P), ent(q) - ent(P), residual, float(q.min()), float(np.abs(q.sum(0) - 1).max())])
        print(json.dumps(out))
        """
        let theirs = try JSONDecoder().decode([[Double]].self, from: Data(try Python.run(script, input: try JSONSerialization.data(withJSONObject: instances)).utf8))
        for (o, t) in zip(ours, theirs) {
            let (lower, upper, raw, residual) = (o[0], o[1], o[2], o[3])
            let (truth, entropyOfQ, residualOfQ, minQ, sumError) = (t[0], t[1], t[2], t[3], t[4])
            XCTAssertGreaterThan(lower, 0.01, "\(o) \(t)")                 // the conditions fail, certified
            XCTAssertLessThanOrEqual(lower, truth + 1e-10, "\(o) \(t)")
            XCTAssertGreaterThanOrEqual(upper, truth - 1e-10, "\(o) \(t)")
            XCTAssertEqual(lower, truth, accuracy: 1e-6, "\(o) \(t)")
            XCTAssertEqual(upper, truth, accuracy: 1e-6, "\(o) \(t)")   // the search's last W, not Adam's
            XCTAssertGreaterThanOrEqual(minQ, 0)
            XCTAssertLessThan(sumError, 1e-12)
            XCTAssertLessThanOrEqual(residualOfQ, 1e-9)
            XCTAssertEqual(residualOfQ, residual, accuracy: 1e-12)
            XCTAssertEqual(entropyOfQ, raw, accuracy: 1e-12)
        }
    }

    /// The search streams over blocks of contexts. Its results equal those of the former dense search
    /// (all of q̃, δ and p̂ held as V × m arrays), recorded from that code (commit 472f58d) on these
    /// instances: Adam's W from the standard hook, then the search with the default options. Dense H
    /// (Gaussian) and sparse H (positional one-hot), with and without held zeros, one block and many,
    /// with q̃ kept for every block, for none, and for the first two. "tie" was recorded again when suspect
    /// entries began to join Z (its first candidate holds the unseen token's 2 entries, so the search stops
    /// after 2 rounds, not 4: the same lower end, an upper end from an earlier W, 3.4e-6 above the truth).
    /// The recording's τ was 1e-9, set here. The counts were recorded again when candidates within 1e3 τ began
    /// to be refined (`Solver.refine`: more Hessian products, and seed 5 accepts in round 1), and the two
    /// positional one-hot cases when clamped candidates began to be renormalised onto the simplex (their
    /// search path changed: lower ends 5e-9 and −1e-10, upper ends −1.3e-9 and −8.6e-7 apart). At the default
    /// τ (1e-13) every lower end is at least the recorded one (less of q is suspect) and at most the upper end.
    func testBlockedSearchMatchesTheFormerDenseSearch() throws {
        struct Instance { let name: String; let data: DataSet; let h: ContextFeatures; let steps: Int; let separable: Bool?
                          let compatible: Bool?; let values: [Double]; let counts: [Int] }
        var cases: [Instance] = []
        func add(_ name: String, _ data: DataSet, _ h: ContextFeatures, steps: Int = 2_000, separable sep: Bool? = nil, compatible comp: Bool? = nil,
                 values: [Double], counts: [Int]) {
            cases.append(Instance(name: name, data: data, h: h, steps: steps, separable: sep, compatible: comp, values: values, counts: counts))
        }
        // values: lower, upper, raw lower, refined upper; counts: rounds, Hessian products, held zeros.
        add("tie", makeData(V: 3, rows: [[0: 2, 1: 1], [0: 3]]), denseFeatures([[1], [1]]), separable: false, compatible: false,
            values: [0.13230412471844716, 0.13230749684897014, 0.13230412471889824, 0.13230749684897014], counts: [2, 3, 2])
        add("separable, incompatible", makeData(V: 3, rows: [[0: 2, 1: 1], [0: 1, 1: 1]]), denseFeatures([[1], [2]]), separable: true, compatible: false,
            values: [0.024848681618476292, 0.024857698250842053, 0.02484868161916043, 0.024857698250842053], counts: [2, 2, 2])
        for (seed, values, counts) in [(3 as UInt64, [0.7890856300754834, 0.7890856300823597, 0.7890856300826459, 0.7890856300823597], [1, 4, 0]),
                                       (5, [0.8422706447679035, 0.8422706447943513, 0.8422706447933821, 0.8422706447943513], [1, 11, 0]),
                                       (8, [0.9793174482239007, 0.9793174487349727, 0.9793174487350738, 0.9793174487349727], [1, 7, 0])] {
            add("gaussian seed \(seed)", Fixtures.data(m: 14, v: 6, maxSupport: 3, seed: seed),
                ContextFeatures(dimension: 3, contextCount: 14, storage: .dense(Fixtures.gaussian(42, seed: seed + 100))), values: values, counts: counts)
        }
        let positional = Fixtures.data(m: 40, v: 7, maxSupport: 3, seed: 21, contextLength: 2)
        add("positional one-hot", positional, try ContextFeatures.make(.positionalOnehot, for: positional),
            values: [0.5698212905069256, 0.5698239549054359, 0.5698212929564072, 0.5698239549054359], counts: [2, 39, 69])
        add("gaussian m = 300", Fixtures.data(m: 300, v: 40, maxSupport: 4, seed: 31),
            ContextFeatures(dimension: 12, contextCount: 300, storage: .dense(Fixtures.gaussian(3600, seed: 32))), steps: 50,
            values: [2.406984488846848, 2.4070214157874728, 2.4069844889124843, 2.4070214157874728], counts: [4, 41, 7])
        let positional200 = Fixtures.data(m: 200, v: 15, maxSupport: 4, seed: 41, contextLength: 2)
        add("positional one-hot m = 200", positional200, try ContextFeatures.make(.positionalOnehot, for: positional200), steps: 100,
            values: [1.2407994288744248, 1.2452902312897516, 1.2407994292137174, 1.2452902312897516], counts: [5, 71, 485])
        for c in cases {
            let w = try adamWeights(c.data, c.h, steps: c.steps)
            var runs: [EntropyGapInterval] = []
            let v = c.data.vocabularySize
            for (block, kept) in [(0, 1 << 24), (1, 0), (7, 2 * 7 * v), (0, 0)] {
                var o = EntropyGapBoundOptions()
                o.tolerance = 1e-9   // the τ of the recording
                o.blockContexts = block
                o.keptSoftmaxEntries = kept
                let b = EntropyGapBound.compute(c.data, features: c.h, weights: w, separable: c.separable, compatible: c.compatible, options: o)
                let got = [b.lower, b.upper, b.rawLower ?? .nan, b.refinedUpper ?? .nan]
                for (x, y) in zip(got, c.values) { XCTAssertEqual(x, y, accuracy: 1e-10, "\(c.name), block \(block), kept \(kept): \(got)") }
                XCTAssertEqual([b.rounds, b.hessianProducts, b.zeroedEntries], c.counts, "\(c.name), block \(block), kept \(kept)")
                XCTAssertLessThanOrEqual(b.residual, 1e-9)
                runs.append(b)
            }
            let fine = EntropyGapBound.compute(c.data, features: c.h, weights: w, separable: c.separable, compatible: c.compatible)
            XCTAssertGreaterThanOrEqual(fine.lower, c.values[0] - 1e-12, c.name)
            XCTAssertLessThanOrEqual(fine.lower, fine.upper, c.name)
            XCTAssertLessThanOrEqual(fine.residual, 1e-13, c.name)
            // The same blocks with all of q̃ kept or none: the same bits (fixed block order, fixed
            // reduction order, and a kept q̃ is the recomputed one).
            for key in [\EntropyGapInterval.lower, \.upper, \.residual, \.slack] {
                XCTAssertEqual(runs[0][keyPath: key].bitPattern, runs[3][keyPath: key].bitPattern, c.name)
            }
        }
    }

    /// m · V = 40,000 · 101 = 4.04 · 10⁶ is above the former dense limit (4 · 10⁶, lower end 0 there),
    /// with d = 2: the contexts fall in two groups (even j, odd j) embedded at two independent vectors,
    /// so each group's logits are free and inf CE is Σ_g π_g H(p̄_g), p̄_g the group's pooled next-token
    /// distribution; the maximiser is q_j = p̄_g. The search starts from W = 0 in 40 blocks of 1,000
    /// contexts, q̃ kept for the first 20. The test checks, context by context without BLAS: every q_j
    /// near p̄_g and a distribution, the moment residual within τ and equal to the reported one, the
    /// entropy the reported raw lower end, and the interval around the closed form.
    func testStreamedSearchMatchesTheClosedFormPastTheFormerLimit() throws {
        let m = 40_000, v = 101, d = 2, block = 1_000
        XCTAssertGreaterThan(m * v, 4_000_000)
        let data = Fixtures.data(m: m, v: v, maxSupport: 4, seed: 51)
        let groupVectors = [[1.0, 0.3], [-0.4, 0.9]]
        let hValues = (0..<m).flatMap { groupVectors[$0 % 2] }
        let h = ContextFeatures(dimension: d, contextCount: m, storage: .dense(hValues))
        let pi = data.contextFrequencies(), p = data.conditionalProbabilities()
        var pooled = [[Double]](repeating: [Double](repeating: 0, count: v), count: 2), mass = [0.0, 0.0]
        for j in 0..<m {
            mass[j % 2] += pi[j]
            for e in data.rowOffsets[j]..<data.rowOffsets[j + 1] { pooled[j % 2][Int(data.columns[e])] += pi[j] * p[e] }
        }
        var truth = -data.entropy()
        for g in 0..<2 {
            pooled[g] = pooled[g].map { $0 / mass[g] }
            truth -= mass[g] * pooled[g].reduce(0) { $1 > 0 ? $0 + $1 * log($1) : $0 }
        }
        var o = EntropyGapBoundOptions()
        o.blockContexts = block
        o.keptSoftmaxEntries = 20 * block * v
        let (bound, q) = EntropyGapBound.search(data, features: h, weights: [Double](repeating: 0, count: v * d),
                                                separable: false, compatible: false, options: o)
        let point = try XCTUnwrap(q, bound.method)
        XCTAssertTrue(bound.method.contains("streamed in 40 blocks of 1000 contexts"), bound.method)
        XCTAssertGreaterThan(truth, 0.5)
        XCTAssertLessThanOrEqual(bound.lower, truth + 1e-12)
        XCTAssertEqual(bound.lower, truth, accuracy: 1e-9)
        XCTAssertGreaterThanOrEqual(bound.upper, truth)
        var moment = [Double](repeating: 0, count: v * d), weightedEntropy = 0.0, scale = 0.0
        var worstSum = 0.0, smallest = Double.infinity, farthest = 0.0
        for j in 0..<m {
            var target = [Double](repeating: 0, count: v)
            for e in data.rowOffsets[j]..<data.rowOffsets[j + 1] { target[Int(data.columns[e])] = p[e] }
            let hj = groupVectors[j % 2]
            scale += pi[j] * (hj[0] * hj[0] + hj[1] * hj[1]).squareRoot()
            var sum = 0.0, entropy = 0.0
            for a in 0..<v {
                let x = point[a * m + j]
                sum += x
                smallest = min(smallest, x)
                farthest = max(farthest, abs(x - pooled[j % 2][a]))
                if x > 0 { entropy -= x * log(x) }
                let c = pi[j] * (x - target[a])
                for f in 0..<d { moment[a * d + f] += c * hj[f] }
            }
            worstSum = max(worstSum, abs(sum - 1))
            weightedEntropy += pi[j] * entropy
        }
        let residual = moment.reduce(0) { $0 + $1 * $1 }.squareRoot() / scale
        XCTAssertGreaterThanOrEqual(smallest, 0)
        XCTAssertLessThan(worstSum, 1e-12)
        XCTAssertLessThan(farthest, 1e-6)
        XCTAssertLessThanOrEqual(residual, 1e-9)
        XCTAssertEqual(residual, bound.residual, accuracy: 1e-12)
        XCTAssertEqual(weightedEntropy - data.entropy(), bound.rawLower!, accuracy: 1e-10)
        XCTAssertEqual(bound.lower, bound.rawLower! - bound.slack, accuracy: 1e-15)
    }

    /// `check --time-limit` bounds the compatibility solve: a limit already spent stops CGLS before its
    /// first iteration, so the residual is W = 0's, 1, an upper bound that cannot prove incompatibility:
    /// `compatible` is unknown (nil). The same data without the limit are incompatible: with d = 1 the
    /// log-odds of tokens 0 and 1 must be w·h_j, and log 2, −log 2, log 4 at h = 1, 1, 2 are not. One-hot
    /// data, a closed form with no CGLS, stay compatible at any limit.
    func testATimeLimitLeavesCompatibilityUnknownNotFalse() throws {
        let data = makeData(V: 3, rows: [[0: 2, 1: 1], [0: 1, 1: 2], [0: 4, 1: 1]])
        let h = denseFeatures([[1], [1], [2]])
        let limited = CheckHooks(compatibility: CheckHooks.standard(compatibilityTimeLimit: 0).compatibility)
        let stopped = try CheckRunner.run(data, features: h, embedding: "test", hooks: limited)
        XCTAssertNil(stopped.compatible)
        XCTAssertEqual(try XCTUnwrap(stopped.compatResidual), 1, accuracy: 1e-12)
        let full = try CheckRunner.run(data, features: h, embedding: "test",
                                       hooks: CheckHooks(compatibility: CheckHooks.standard().compatibility))
        XCTAssertEqual(full.compatible, false)
        // Least squares by hand: the centred logits are ±δh_j/2 (δ = w₀ − w₁) against ±s_j, s = (a/2, −a/2, a),
        // a = log 2: δ = Σ h_j s_j / Σ h_j²/2 = 2a/3, residual² = (1 + 25 + 4)a²/36 of ‖c‖² = 54a²/36: √(5/9).
        XCTAssertEqual(try XCTUnwrap(full.compatResidual), (5.0 / 9).squareRoot(), accuracy: 1e-9)
        let onehot = try ContextFeatures.make(.onehot, for: data)
        XCTAssertEqual(try CheckRunner.run(data, features: onehot, embedding: "test", hooks: limited).compatible, true)
    }

    /// The tiled transpose that stages sparse-H passes moves every entry to its place, for shapes that
    /// are and are not multiples of its 32 × 32 tiles.
    func testTiledTransposeMovesEveryEntry() {
        for (rows, columns) in [(1, 1), (3, 70), (64, 32), (33, 95), (100, 7)] {
            let x = (0..<(rows * columns)).map(Double.init)
            var out = [Double](repeating: -1, count: rows * columns)
            out.withUnsafeMutableBufferPointer { ContextBlockProducts.transpose(x, rows: rows, columns: columns, into: $0.baseAddress!) }
            for r in 0..<rows { for c in 0..<columns where out[c * rows + r] != x[r * columns + c] { return XCTFail("\(rows) × \(columns) at (\(r), \(c))") } }
        }
    }

    /// `check --time-limit` bounds the entropy gap: a limit already spent lets Adam take one step (the
    /// limit is read after each), whose W is exactly that of a one-step run; the check then does not begin
    /// the lower end's search, and the search itself, given a spent limit, begins no Hessian product. Both fall
    /// back to q = p̂ and say which option would help. Without the limit the same instance has its closed
    /// form (theory.md §7's example).
    func testATimeLimitStopsAdamAndTheLowerEndsSearch() throws {
        let data = makeData(V: 3, rows: [[0: 2, 1: 1], [0: 3]])
        let h = denseFeatures([[1], [1]])
        let stopped = try CheckHooks.standard(crossEntropySteps: 500, crossEntropyTimeLimit: 0).minimizeCrossEntropy!(data, h)
        XCTAssertTrue(stopped.description.hasSuffix("1 of 500 steps (stopped by the time limit)"), stopped.description)
        XCTAssertEqual(stopped.weights, try adamWeights(data, h, steps: 1))
        var options = CheckOptions()
        options.gapTimeLimit = 0
        let hooks = CheckHooks(minimizeCrossEntropy: CheckHooks.standard(crossEntropySteps: 2_000).minimizeCrossEntropy)
        let limited = try XCTUnwrap(CheckRunner.run(data, features: h, embedding: "test", options: options, hooks: hooks).entropyGapBound)
        XCTAssertEqual(limited.rounds, 0)
        XCTAssertEqual(limited.lower, 0)
        XCTAssertEqual(limited.method, "q = p̂ (lower end not searched: Adam used the entropy gap's time limit; a larger --time-limit may find one)")
        var spent = options.entropyGapBoundOptions
        spent.timeLimit = 0
        let searched = EntropyGapBound.search(data, features: h, weights: stopped.weights, separable: nil, compatible: nil,
                                              options: spent).interval
        XCTAssertEqual(searched.hessianProducts, 0)
        XCTAssertEqual(searched.lower, 0)
        XCTAssertTrue(searched.method.contains("time limit), so the lower end stays 0; a larger --time-limit may find one"), searched.method)
        let full = try XCTUnwrap(CheckRunner.run(data, features: h, embedding: "test", hooks: hooks).entropyGapBound)
        XCTAssertEqual(full.lower, 0.13230412471889824, accuracy: 1e-9)
        XCTAssertGreaterThan(full.hessianProducts, 0)
    }

    /// The separated share counts a W ⊥ 𝓕: with W = diag-like rows picking each context's own token,
    /// hand-counted contexts and events.
    func testSeparatedShareCountsByHand() {
        // Contexts: A = {0} ×3 on h = (1, 0); B = {1} ×1 on h = (0, 1); C = {0, 1} ×2 on h = (1, 1).
        let data = makeData(V: 3, rows: [[0: 3], [1: 1], [0: 1, 1: 1]])
        let h = denseFeatures([[1, 0], [0, 1], [1, 1]])
        // W rows (token 0, 1, 2): logits A = (1, 0, 0), B = (0, 1, 0), C = (1, 1, 0).
        let w: [Double] = [1, 0, 0, 1, 0, 0]
        let s = SeparatedShare.count(data, features: h, weights: w, method: "test")
        XCTAssertEqual(s.contexts, 1, accuracy: 1e-15)     // all three separated
        XCTAssertEqual(s.events, 1, accuracy: 1e-15)
        // Token 2 lifted to 1 on the first feature: logits A = (1, 0, 1) and C = (1, 1, 1) tie an
        // off-support token with the support, so only B (1 of 6 events) stays separated.
        let w2: [Double] = [1, 0, 0, 1, 1, 0]
        let s2 = SeparatedShare.count(data, features: h, weights: w2, method: "test")
        XCTAssertEqual(s2.contexts, 1.0 / 3, accuracy: 1e-15)
        XCTAssertEqual(s2.events, 1.0 / 6, accuracy: 1e-15)
        // The verified W's check proves every context separated without the pass; w2's does not (a tie
        // of 1 with the off-support token: min margin 0 is not > max tie + 2 · tie bound).
        let check = Separability.verify(SeparatingCertificate(weights: w, anchors: Separability.anchors(data)), data: data, features: h)
        XCTAssertTrue(check.valid)
        XCTAssertEqual(SeparatedShare.allSeparated(by: check, data: data, method: "test"), s)
        let check2 = Separability.verify(SeparatingCertificate(weights: w2, anchors: Separability.anchors(data)), data: data, features: h)
        XCTAssertNil(SeparatedShare.allSeparated(by: check2, data: data, method: "test"))
        XCTAssertNil(SeparatedShare.allSeparated(by: nil, data: data, method: "test"))
    }
}

extension EntropyGapBoundTests {
    /// One pass of context logits over sparse H reads a staged Wᵀ when the copy fits; it used to read W in
    /// place, a cache miss per logit once d is large. Staged or strided, the sums run over the same nonzeros
    /// in the same order: the same bits, and the values of dense H's product.
    func testStagedContextLogitsEqualTheStridedOnesBitForBit() throws {
        var rng = SeededGenerator(seed: 11)
        let (v, m, d, r) = (37, 90, 50, 2)
        let indices = (0..<(m * r)).map { _ in Int32(rng.next() % UInt64(d)) }
        let values = (0..<(m * r)).map { _ in rng.nextGaussian() }
        let sparse = ContextFeatures(dimension: d, contextCount: m, storage: .sparse(nonzerosPerContext: r, indices: indices, values: values))
        var dense = [Double](repeating: 0, count: d * m)
        for j in 0..<m { for t in 0..<r { dense[j * d + Int(indices[j * r + t])] += values[j * r + t] } }
        let w = (0..<(v * d)).map { _ in rng.nextGaussian() }
        let products = ContextBlockProducts(sparse, vocabulary: v, blockContexts: 16)
        var staged = [Double](), strided = [Double](repeating: 0, count: m * v)
        w.withUnsafeBufferPointer { wp in
            XCTAssertTrue(products.forEachContextLogits(wp.baseAddress!) { _, row in staged += UnsafeBufferPointer(start: row, count: v) })
            for range in products.blocks {
                strided.withUnsafeMutableBufferPointer {
                    products.logits(nil, original: wp.baseAddress!, contexts: range, into: $0.baseAddress! + range.lowerBound * v)
                }
            }
        }
        XCTAssertEqual(staged, strided)
        for j in 0..<m {
            for a in 0..<v {
                let exact = (0..<d).reduce(0.0) { $0 + w[a * d + $1] * dense[j * d + $1] }
                XCTAssertEqual(staged[j * v + a], exact, accuracy: 1e-12)
            }
        }
    }
}
