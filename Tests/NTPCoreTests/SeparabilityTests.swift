import Foundation
import XCTest
import TestSupport
import NTPFormats
@testable import NTPCore

/// d × m dense features from columns.
func denseFeatures(_ columns: [[Double]]) -> ContextFeatures {
    ContextFeatures(dimension: columns[0].count, contextCount: columns.count, storage: .dense(columns.flatMap { $0 }))
}

final class SeparabilityTests: XCTestCase {

    /// V = 3, d = 1, both contexts embed to h = 1, supports {0} and {1}: context 0 needs w0 > w1,
    /// context 1 needs w1 > w0. The only Farkas α (see the e_2 and e_0 coefficients) is
    /// α(0,1) = α(1,0) = ½, with no ties.
    func testIdenticalEmbeddingsDisjointSupportsAreNotSeparable() {
        let data = makeData(V: 3, rows: [[0: 2], [1: 1]])
        let r = Separability.decide(data, features: denseFeatures([[1], [1]]))
        XCTAssertEqual(r.verdict, .notSeparable)
        let alpha = r.farkas!.marginMultipliers.sorted { ($0.context, $0.token) < ($1.context, $1.token) }
        XCTAssertEqual(alpha.map { $0.context }, [0, 1])
        XCTAssertEqual(alpha.map { $0.token }, [1, 0])
        XCTAssertEqual(alpha[0].weight, 0.5, accuracy: 1e-12)
        XCTAssertEqual(alpha[1].weight, 0.5, accuracy: 1e-12)
        XCTAssertTrue(r.farkas!.tieMultipliers.allSatisfy { abs($0.weight) < 1e-12 })
        XCTAssertEqual(r.involvedContexts.map { $0.context }, [0, 1])
        XCTAssertEqual(r.check!.residualNorm, 0, accuracy: 1e-12)
    }

    /// A tie forces w0 = w1 (context 0, support {0, 1}) while context 1 (same h, support {0}) needs
    /// w0 > w1. Certificate: α(1,1) = 1 against β(0,1) = 1: (e0 − e1) + (e1 − e0) = 0.
    func testTieConflictIsNotSeparableWithTieMultiplier() {
        let data = makeData(V: 3, rows: [[0: 1, 1: 1], [0: 3]])
        let r = Separability.decide(data, features: denseFeatures([[2], [2]]))
        XCTAssertEqual(r.verdict, .notSeparable)
        let alpha = r.farkas!.marginMultipliers.filter { $0.weight > 1e-12 }
        XCTAssertEqual(alpha.count, 1)
        XCTAssertEqual(alpha[0].context, 1); XCTAssertEqual(alpha[0].token, 1)
        XCTAssertEqual(alpha[0].weight, 1, accuracy: 1e-12)
        let beta = r.farkas!.tieMultipliers.filter { abs($0.weight) > 1e-12 }
        XCTAssertEqual(beta.count, 1)
        XCTAssertEqual(beta[0].context, 0); XCTAssertEqual(beta[0].token, 1)
        XCTAssertEqual(beta[0].weight, 1, accuracy: 1e-12)
        XCTAssertEqual(r.involvedContexts, [ContextWeight(context: 1, weight: 1)])
    }

    /// d = 1, h = +1 and h = −1, V = 2, supports {0} and {1}: both need w0 − w1 ≥ 1, so separable;
    /// the max margin is 1/‖W^mm‖ = √2 (W^mm = (½, −½)), which bounds the LP's normalised margin.
    func testOppositeEmbeddingsAreSeparable() {
        let data = makeData(V: 2, rows: [[0: 1], [1: 1]])
        let r = Separability.decide(data, features: denseFeatures([[1], [-1]]))
        XCTAssertEqual(r.verdict, .separable)
        let w = r.separating!.weights
        XCTAssertGreaterThanOrEqual(w[0] - w[1], 1 - 1e-9)
        XCTAssertGreaterThan(r.normalizedMargin!, 0)
        XCTAssertLessThanOrEqual(r.normalizedMargin!, 2.0.squareRoot() + 1e-12)
    }

    /// One-hot contexts (H = I) are always separable; also with ties and full supports.
    func testOnehotIsAlwaysSeparable() throws {
        var rng = SeededGenerator(seed: 7)
        var rows: [[Int: Double]] = []
        for j in 0..<40 {
            var row: [Int: Double] = [:]
            let k = j == 0 ? 12 : 1 + Int(rng.next() % 5)   // context 0 has the full vocabulary
            while row.count < k { row[Int(rng.next() % 12)] = Double(1 + rng.next() % 4) }
            rows.append(row)
        }
        let data = makeData(V: 12, rows: rows)
        let r = Separability.decide(data, features: try ContextFeatures.make(.onehot, for: data))
        XCTAssertEqual(r.verdict, .separable)
        XCTAssertTrue(r.check!.valid)
        XCTAssertGreaterThanOrEqual(r.check!.minMargin, 1 - 1e-7)
        XCTAssertLessThanOrEqual(r.check!.maxTieViolation, 1e-9)
    }

    /// Certificates are re-checked from the data: moving α mass between two rows, or flipping W, is rejected.
    /// Contexts 0 and 4 are 1e-9 apart (h̄ = e1 and e1 + 1e-9·e2, supports {0} and {1}): α = ½ on (0, 1) and
    /// on (4, 0) leaves R = ½·1e-9·(e1 − e0) e2ᵀ, relative residual 1e-9/2 against its α terms. Contexts 5 and 6 are
    /// duplicates with the same support {0, 1}, so their tie rows are identical and β = ±10⁶ on them
    /// cancels exactly. Counted against every term, those β made the residual look like 1.8e-16 (QA: a
    /// separable instance called "not separable"); against the α terms it stays 1e-9/2.
    func testCancellingTieMultipliersDoNotShrinkTheResidual() throws {
        let data = makeData(V: 4, rows: [[0: 1], [1: 1], [2: 1], [3: 1], [1: 1], [0: 1, 1: 1], [0: 1, 1: 1]])
        let h = denseFeatures([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1], [1, 1e-9, 0, 0], [0, 0, 1, 1], [0, 0, 1, 1]])
        let alpha = [ConstraintMultiplier(context: 0, token: 1, weight: 0.5), ConstraintMultiplier(context: 4, token: 0, weight: 0.5)]
        let padding = [ConstraintMultiplier(context: 5, token: 1, weight: 1e6), ConstraintMultiplier(context: 6, token: 1, weight: -1e6)]
        let cert = FarkasCertificate(marginMultipliers: alpha, tieMultipliers: padding, anchors: Separability.anchors(data))
        let check = Separability.verify(cert, data: data, features: h, tolerance: 1e-9)
        XCTAssertEqual(check.residualNorm, 1e-9 / 2.0.squareRoot(), accuracy: 1e-20)   // ‖½·1e-9 (e1 − e0) e2ᵀ‖_F
        XCTAssertEqual(check.relativeResidual, 0.5e-9, accuracy: 1e-20)                  // against Σα √2 ‖h̄‖ = √2
        XCTAssertFalse(Separability.verify(cert, data: data, features: h, tolerance: 1e-12).valid)
        XCTAssertEqual(Separability.decide(data, features: h).verdict, .atThreshold)
    }

    func testTamperedCertificatesAreRejected() {
        // d = 1, equal embeddings, three disjoint singleton supports: each token must beat the others.
        let data = makeData(V: 3, rows: [[0: 1], [1: 1], [2: 1]])
        let h = denseFeatures([[1], [1], [1]])
        let r = Separability.decide(data, features: h)
        XCTAssertEqual(r.verdict, .notSeparable)
        var cert = r.farkas!
        XCTAssertTrue(Separability.verify(cert, data: data, features: h).valid)
        let order = cert.marginMultipliers.indices.sorted { cert.marginMultipliers[$0].weight > cert.marginMultipliers[$1].weight }
        XCTAssertGreaterThanOrEqual(order.count, 2)
        let delta = cert.marginMultipliers[order[1]].weight / 2
        cert.marginMultipliers[order[0]].weight += delta
        cert.marginMultipliers[order[1]].weight -= delta
        let bad = Separability.verify(cert, data: data, features: h)
        XCTAssertFalse(bad.valid)
        XCTAssertGreaterThan(bad.relativeResidual, 1e-4)

        let sep = makeData(V: 2, rows: [[0: 1], [1: 1]])
        let hs = denseFeatures([[1], [-1]])
        var w = Separability.decide(sep, features: hs).separating!
        XCTAssertTrue(Separability.verify(w, data: sep, features: hs).valid)
        w.weights = w.weights.map { -$0 }
        XCTAssertFalse(Separability.verify(w, data: sep, features: hs).valid)
    }

    /// One-hot contexts get the support indicator as a sparse W: exactly the CSC arrays of the data,
    /// margins exactly 1, ties exactly 0; the same W moved one entry off its support is rejected.
    func testOnehotClosedFormIsTheSparseSupportIndicator() throws {
        let data = makeData(V: 4, rows: [[0: 2, 2: 1], [3: 1], [1: 1, 2: 1, 3: 4]])
        let h = try ContextFeatures.make(.onehot, for: data)
        let r = Separability.decide(data, features: h)
        XCTAssertEqual(r.verdict, .separable)
        let w = try XCTUnwrap(r.separating?.sparse)
        XCTAssertEqual(w.columnOffsets, [0, 2, 3, 6])
        XCTAssertEqual(w.rowIndices, [0, 2, 3, 1, 2, 3])
        XCTAssertEqual(w.values, [1, 1, 1, 1, 1, 1])
        XCTAssertEqual(r.check!.minMargin, 1)
        XCTAssertEqual(r.check!.maxTieViolation, 0)
        XCTAssertEqual(r.normalizedMargin!, 1 / 6.0.squareRoot(), accuracy: 1e-15)   // ‖W‖_F = √6
        var moved = r.separating!
        moved.sparse = SparseDecoder(rows: 4, columns: 3, columnOffsets: w.columnOffsets,
                                     rowIndices: [0, 1, 3, 1, 2, 3], values: w.values)   // context 0: {0, 1}, not {0, 2}
        let bad = Separability.verify(moved, data: data, features: h)
        XCTAssertFalse(bad.valid)
        XCTAssertEqual(bad.minMargin, 0)          // token 1 ∉ S_0 now ties with the anchor 0
        XCTAssertEqual(bad.maxTieViolation, 1)    // token 2 ∈ S_0 lost its logit
    }

    /// A sparse W is checked like the same W stored densely (positional one-hot features, random W):
    /// the same smallest margin, tie violation and separated share.
    func testSparseDecoderChecksLikeTheDenseOne() throws {
        var rng = SeededGenerator(seed: 11)
        let V = 5, pairs = [(0, 1), (1, 2), (2, 0), (3, 3), (4, 1), (2, 2)]
        let data = makeData(V: V, rows: pairs.indices.map { [($0 % V): 1, (($0 + 2) % V): 2] },
                            contexts: pairs.flatMap { [Int32($0.0), Int32($0.1)] }, contextLength: 2)
        let h = try ContextFeatures.make(.positionalOnehot, for: data)
        let d = h.dimension
        let dense = (0..<(V * d)).map { _ in rng.nextUniform() < 0.5 ? 0 : rng.nextGaussian() }
        var offsets = [0], rows: [Int32] = [], values: [Double] = []
        for f in 0..<d {
            for r in 0..<V where dense[r * d + f] != 0 { rows.append(Int32(r)); values.append(dense[r * d + f]) }
            offsets.append(rows.count)
        }
        let sparse = SeparatingCertificate(weights: [], anchors: [], sparse:
            SparseDecoder(rows: V, columns: d, columnOffsets: offsets, rowIndices: rows, values: values))
        let a = Separability.verify(SeparatingCertificate(weights: dense, anchors: []), data: data, features: h, tolerance: .infinity)
        let b = Separability.verify(sparse, data: data, features: h, tolerance: .infinity)
        XCTAssertEqual(a.minMargin, b.minMargin, accuracy: 1e-14)
        XCTAssertEqual(a.maxTieViolation, b.maxTieViolation, accuracy: 1e-14)
        XCTAssertNotEqual(a.maxTieViolation, 0)
        let shareA = SeparatedShare.count(data, features: h, weights: dense, method: "")
        let shareB = SeparatedShare.count(data, features: h, decoder: sparse, method: "")
        XCTAssertEqual(shareA, shareB)
        XCTAssertEqual(sparse.frobeniusNorm, dense.reduce(0) { $0 + $1 * $1 }.squareRoot(), accuracy: 1e-14)
    }

    /// Positional one-hot features on a tiny trigram set, checked by hand: contexts (0,1)→{2} and
    /// (0,2)→{1} and (1,1)→{1}, (1,2)→{2}. Logit_j = A[:, first] + B[:, second]; the sum of the
    /// margin rows (2 vs 1) of (0,1), (1,2) equals that of (1 vs 2) of (0,2), (1,1) with a sign flip,
    /// so it is not separable (an XOR pattern).
    func testPositionalOnehotXorIsNotSeparable() throws {
        let data = makeData(V: 3, rows: [[2: 1], [1: 1], [1: 1], [2: 1]],
                            contexts: [0, 1, 0, 2, 1, 1, 1, 2], contextLength: 2)
        let h = try ContextFeatures.make(.positionalOnehot, for: data)
        let r = Separability.decide(data, features: h)
        XCTAssertEqual(r.verdict, .notSeparable)
        XCTAssertEqual(Set(r.involvedContexts.map { $0.context }), [0, 1, 2, 3])
        for c in r.involvedContexts { XCTAssertEqual(c.weight, 0.25, accuracy: 1e-9) }
    }

    /// The answer agrees with an independent full LP solved by scipy (HiGHS) on 24 random small
    /// instances (gaussian and positional features, supports of size 1–3), both verdicts occurring.
    func testAgreesWithScipyHiGHS() throws {
        var instances: [[String: Any]] = []
        var ours: [SeparabilityVerdict] = []
        var rng = SeededGenerator(seed: 2024)
        for i in 0..<24 {
            let V = 4 + i % 3, m = 6 + i % 5
            let rows = randomRows(V: V, m: m, using: &rng) { _ in 1 }
            var ctx: [Int32] = []
            for _ in 0..<(2 * m) { ctx.append(Int32(rng.next() % UInt64(V))) }
            let data = makeData(V: V, rows: rows, contexts: ctx, contextLength: 2)
            let spec: EmbeddingSpec = i % 4 == 3 ? .positionalOnehot : .gaussian(dimension: 1 + i % 4, seed: UInt64(i))
            let h = try ContextFeatures.make(spec, for: data)
            let r = Separability.decide(data, features: h)
            XCTAssertNotEqual(r.verdict, .undecided, "instance \(i): \(r.reason ?? "")")
            ours.append(r.verdict)
            instances.append(["V": V, "m": m, "d": h.dimension, "H": h.denseMatrix(),
                              "supports": rows.map { $0.keys.sorted() }])
        }
        let json = try JSONSerialization.data(withJSONObject: instances)
        let script = """
        import json, sys
        import numpy as np
        from scipy.optimize import linprog
        out = []
        for inst in json.load(sys.stdin):
            V, m, d = inst["V"], inst["m"], inst["d"]
            H = np.array(inst["H"]).reshape(m, d)       # row j = h_j (column-major d x m)
            n = V * d + 1
            A_ub, A_eq = [], []
            for j, S in enumerate(inst["supports"]):
                a = S[0]
                for v in range(V):
                    row = np.zeros(n)
                    if v in S:
                        if v == a: continue
                        row[v*d:(v+1)*d] += H[j]; row[a*d:(a+1)*d] -= H[j]; A_eq.append(row)
                    else:
                        row[v*d:(v+1)*d] += H[j]; row[a*d:(a+1)*d] -= H[j]; row[-1] = 1; A_ub.append(row)
            c = np.zeros(n); c[-1] = -1
            res = linprog(c, A_ub=np.array(A_ub) if A_ub else None, b_ub=np.zeros(len(A_ub)) if A_ub else None,
                          A_eq=np.array(A_eq) if A_eq else None, b_eq=np.zeros(len(A_eq)) if A_eq else None,
                          bounds=[(None, None)] * (n - 1) + [(0, 1)], method="highs")
            assert res.status == 0, res.message
            out.append("separable" if -res.fun > 0.5 else "not-separable")
        print(json.dumps(out))
        """
        let outData = Data(try Python.run(script, input: json).utf8)
        let theirs = try JSONDecoder().decode([String].self, from: outData)
        XCTAssertEqual(ours.map { $0.rawValue }, theirs)
        XCTAssertTrue(ours.contains(.separable) && ours.contains(.notSeparable), "\(ours)")
    }

    /// A perturbed β fails verification; least-squares polishing restores the unique certificate
    /// α(1,1) = 1, β(0,1) = 1 of the tie-conflict instance.
    func testPolishRepairsAnInaccurateCertificate() {
        let data = makeData(V: 3, rows: [[0: 1, 1: 1], [0: 3]])
        let h = denseFeatures([[2], [2]])
        let bad = FarkasCertificate(marginMultipliers: [ConstraintMultiplier(context: 1, token: 1, weight: 1)],
                                    tieMultipliers: [ConstraintMultiplier(context: 0, token: 1, weight: 1.001)],
                                    anchors: [0, 0])
        XCTAssertFalse(Separability.verify(bad, data: data, features: h).valid)
        let fixed = Separability.polish(bad, data: data, features: h)!
        XCTAssertTrue(Separability.verify(fixed, data: data, features: h).valid)
        XCTAssertEqual(fixed.marginMultipliers, [ConstraintMultiplier(context: 1, token: 1, weight: 1)])
        XCTAssertEqual(fixed.tieMultipliers.count, 1)
        XCTAssertEqual(fixed.tieMultipliers[0].weight, 1, accuracy: 1e-12)
    }

    /// The LP refuses problems above its size limit and falls back to first-order statistics.
    func testSizeLimitGivesUndecidedWithStatistics() {
        let data = makeData(V: 3, rows: [[0: 1], [1: 1], [2: 1]])
        var o = SeparabilityOptions()
        o.useMinNormPoint = false
        o.useNullSpaceLP = false
        o.maxColumns = 5
        o.firstOrderIterations = 50
        let r = Separability.decide(data, features: denseFeatures([[1, 0], [0, 1], [-1, -1]]), options: o)
        XCTAssertEqual(r.verdict, .undecided)
        // Three directions 120° apart in the plane: each context is separated by W = its own direction,
        // which the hinge subgradient reaches (every context's margin positive).
        XCTAssertEqual(r.firstOrder!.bestFractionSeparated, 1)
        XCTAssertGreaterThan(r.firstOrder!.bestNormalizedMinMargin, 0)
        XCTAssertEqual(r.firstOrder!.iterations, 50)
        // A pass costs V · nnz(H) = 3 · 4 = 12 logit products (H's zeros are not stored): a budget of
        // 30 allows 2 iterations.
        o.maxFirstOrderWork = 30
        let capped = Separability.decide(data, features: denseFeatures([[1, 0], [0, 1], [-1, -1]]), options: o)
        XCTAssertEqual(capped.verdict, .undecided)
        XCTAssertEqual(capped.firstOrder!.iterations, 2)
    }

    /// The W-space LP is built only when twice its GLPK stretch (nonzeros / rate) is left: here its first
    /// LP has 6 margin rows (2 per context, V − 1 off-support tokens) of 2 · 2 feature entries and t, 30
    /// nonzeros, so with 10 s a rate of 6 a second (20 s needed) leaves it unstarted and 6.1 starts it.
    func testWeightSpaceLPIsNotStartedWhenItCannotLookAtTheClockInTime() {
        let data = makeData(V: 3, rows: [[0: 1], [1: 1], [2: 1]])
        let features = denseFeatures([[1, 0.5], [0.5, 1], [-1, -1]])   // no zeros: 2 stored entries each
        var o = SeparabilityOptions()
        o.useMinNormPoint = false; o.useNullSpaceLP = false; o.useForcedTies = false
        o.firstOrderIterations = 0
        o.timeLimit = 10
        o.weightSpaceLPNonzeroRate = 6
        let skipped = Separability.decide(data, features: features, options: o)
        XCTAssertEqual(skipped.verdict, .undecided)
        XCTAssertEqual(skipped.lp?.rounds, 0)
        XCTAssertEqual(skipped.lp?.marginRows, 0)
        XCTAssertTrue(skipped.reason?.hasPrefix("W-space LP not started: its first LP holds 0.0 M nonzeros, GLPK takes about 5 s") ?? false,
                      skipped.reason ?? "no reason")
        o.weightSpaceLPNonzeroRate = 6.1
        let started = Separability.decide(data, features: features, options: o)
        XCTAssertEqual(started.verdict, .separable)
        XCTAssertEqual(started.lp?.rounds, 1)
        XCTAssertTrue(started.check!.valid)
    }

    /// The exact LP's Farkas pair carries no round-off multipliers: its simplex duals hold α of about
    /// 1e-16 on contexts that take no part (the Sherlock Holmes check reported "α on 10 contexts" for
    /// a certificate of 2), and `involvedContexts` must list only the contexts that carry weight.
    func testLPFarkasCertificateDropsRoundOffMultipliers() {
        var o = SeparabilityOptions()
        o.useMinNormPoint = false; o.useNullSpaceLP = false; o.useForcedTies = false
        var probed = 0
        for seed in UInt64(0)..<8 {
            let (data, features) = randomGaussianInstance(seed: seed, m: 40, V: 10, d: 12, smallest: 2, sizes: 5)
            let r = Separability.decide(data, features: features, options: o)
            guard r.verdict == .notSeparable, let f = r.farkas else { continue }
            probed += 1
            let alphaMax = f.marginMultipliers.map(\.weight).max() ?? 0
            let betaMax = f.tieMultipliers.map { abs($0.weight) }.max() ?? 0
            XCTAssertTrue(f.marginMultipliers.allSatisfy { $0.weight > 1e-12 * alphaMax }, "seed \(seed): \(f.marginMultipliers.map(\.weight).sorted().prefix(3))")
            XCTAssertTrue(f.tieMultipliers.allSatisfy { abs($0.weight) > 1e-12 * max(alphaMax, betaMax) }, "seed \(seed)")
            XCTAssertTrue(r.involvedContexts.allSatisfy { $0.weight > 1e-12 }, "seed \(seed)")
        }
        XCTAssertGreaterThan(probed, 0)
    }
}
