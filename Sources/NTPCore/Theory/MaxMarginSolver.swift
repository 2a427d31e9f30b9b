import COpenBLAS
import Foundation
import NTPFormats

/// The NTP-SVM: W^mm = argmin ‖W‖_F s.t. W ⊥ 𝓕 and (e_z − e_v)ᵀ W h̄_j ≥ 1 (z ∈ S_j, v ∉ S_j).
///
/// Solved through its dual in "multiplier space": with M (V × m), column M_j free on S_j,
/// M_{v,j} = −α_{j,v} ≤ 0 off S_j and 1ᵀM_j = 0 (the tie multipliers and the margin
/// multipliers α merge into one column),
///
///     max_M  Σ_j Σ_{z∈S_j} M_{z,j} − ½ tr(M G Mᵀ),   W = M Hᵀ,   logits L = W H = M G.
///
/// Block coordinate ascent over contexts (a sequential dual method): the block of context j is
/// maximised exactly — it is the Euclidean projection of M_j + (1_{S_j} − L_j)/G_jj onto
/// {Σx = 0, x_v ≤ 0 off S_j}, found by sorting the few candidate off-support entries — and
/// L is updated by one axpy of a row of G per changed entry (O(m) each). Stationarity of
/// each block gives the ties, so the KKT conditions are read from L directly:
///
/// * tie violation   max_j (max_{S_j} L_j − min_{S_j} L_j)
/// * margin violation max_{j, v∉S_j} max(0, 1 − (mean_{S_j} L_j − L_{v,j}))
/// * complementarity Σ α_{j,v} |margin_{j,v} − 1| / Σα
/// * duality gap     |‖W‖² − Σα| / ‖W‖²   (primal ½‖W‖², dual Σα − ½‖W‖²)
///
/// and the solver stops when all four are ≤ `tolerance` (margins are 1 by construction, so the
/// first two are relative too), checked on L recomputed as M·G (no drift).
///
/// Non-separability: for any feasible W̃ (W̃ ⊥ 𝓕, margins ≥ 1), Σα ≤ ⟨W̃, W⟩ ≤ ‖W̃‖‖W‖, so
/// every dual iterate certifies margin(W^mm) = 1/‖W^mm‖ ≤ ‖W‖/Σα. When the problem is not
/// separable the dual is unbounded and this bound goes to 0 (about like 1/epochs); the solver
/// reports `.notSeparable` once the certified margin bound falls below
/// `nonSeparableMargin · max_j ‖h̄_j‖` (a scale-free "numerically zero" margin: the data admit
/// no W ⊥ 𝓕 whose geometric margin exceeds that), and `.undecided` if `maxEpochs` pass
/// first. When H has full column rank (Cholesky of G succeeds) the data are separable by the
/// paper's Proposition and the test is skipped. An exact LP decision belongs to Diagnostics.
///
/// Past the subspace's gram limit (m > `gramLimit`, H not the identity) the same iterates are
/// computed without G, in weight space: W = M Hᵀ (V × d) is kept beside M, the block of context j
/// reads L_j = W h̄_j (one V × d product) and a changed entry M_{t,j} adds δ h̄_jᵀ to row t of W
/// (O(d) instead of O(m)); L = W H is formed once per epoch for the KKT measures, and W is
/// recomputed as M Hᵀ whenever the Gram path recomputes L. In exact arithmetic both paths take the
/// same steps. Memory: M and L (V × m each), W (V × d), no m × m matrix. Rank H ≤ d < m there, so
/// the non-separability test always applies; d ≥ m past the gram limit is refused (only G shows
/// whether H has full column rank).
public struct MaxMarginSolver {
    /// KKT tolerance (all four measures above).
    public var tolerance: Double = 1e-6
    /// Certified margin bound (relative to max_j ‖h̄_j‖) below which data are declared not separable.
    public var nonSeparableMargin: Double = 1e-4
    /// Epoch cap (one epoch visits every context once).
    public var maxEpochs: Int = 200_000
    /// Seconds after which the epochs stop, undecided (nil: only `maxEpochs` stops them). Checked
    /// after every epoch, so the result then depends on the machine's speed.
    public var timeLimit: Double? = nil
    /// Seed of the context visiting order.
    public var seed: UInt64 = 0

    /// Creates a solver with the default tolerances.
    public init(tolerance: Double = 1e-6, nonSeparableMargin: Double = 1e-4, maxEpochs: Int = 200_000, seed: UInt64 = 0) {
        self.tolerance = tolerance
        self.nonSeparableMargin = nonSeparableMargin
        self.maxEpochs = maxEpochs
        self.seed = seed
    }

    /// Solves the NTP-SVM for the subspace's data and features: with G = HᵀH when the subspace
    /// holds it (H = I or m ≤ its `gramLimit`), in weight space otherwise. Throws past the gram
    /// limit when d ≥ m (see the type's notes).
    public func solve(_ s: DataSubspace) throws -> MaxMarginSolution {
        let v = s.vocabularySize, m = s.contextCount, d = s.features.dimension, lay = s.layout
        let identity = s.isIdentity
        let weightSpace = !identity && s.gram == nil
        guard !weightSpace || d < m else {
            throw MaxMarginError.tooLarge("NTP-SVM: m = \(m) contexts exceed the gram limit and d = \(d) ≥ m, so only G = HᵀH (m² doubles) could tell whether H has full column rank; use d < m or fewer contexts")
        }
        let gram = s.gram ?? []
        let diag: [Double] = identity ? [Double](repeating: 1, count: m)
            : weightSpace ? TheoryKernels.columnNormsSquared(s.features) : (0..<m).map { gram[$0 * m + $0] }
        let hMax = diag.max().map { $0.squareRoot() } ?? 0
        if (0..<m).allSatisfy({ lay.supportSize($0) == 0 || lay.supportSize($0) == v }) {
            // No off-support token anywhere: no margin constraint, so W = 0 is feasible and optimal
            // (W^mm = 0, γ* = ∞, nothing diverges). The epochs would only chase round-off in the ties
            // (QA round 11: 200,000 epochs, then "undecided" with a relative gap of 1).
            return .zero(.separable, s, marginUpperBound: .infinity)
        }
        for j in 0..<m where diag[j] <= 0 && lay.supportSize(j) < v {
            // h̄_j = 0 makes (e_z − e_v)ᵀ W h̄_j = 0 < 1: infeasible outright.
            return .zero(.notSeparable, s, marginUpperBound: 0)
        }

        // The dual holds M and its logits (V × m each), and in weight space W (V × d); the subspace holds
        // no V × m array, so this is where a whole corpus stops.
        try AvailableMemory.require(product: [v, 2 * m + (weightSpace ? d : 0), MemoryLayout<Double>.size],
                                    for: "the NTP-SVM's dual (M and its logits: V × m = \(v) × \(m) each)",
                                    advice: "use fewer contexts or keep fewer tokens (ingest --max-vocab)")
        var iterate = DualIterate(s, gram: gram, identity: identity, weightSpace: weightSpace)
        var scratch = BlockScratch(vocabularySize: v)
        var order = Array(0..<m)
        var rng = SeededGenerator(seed: seed)
        var status = MaxMarginSolution.Status.undecided
        var kkt = MaxMarginSolution.KKT()
        var bound = Double.infinity
        var epoch = 0
        // H of full column rank (G positive definite) is always separable: never declare otherwise.
        // In weight space rank H ≤ d < m.
        let fullRank = identity || (!weightSpace && MaxMarginSolver.isPositiveDefinite(gram, m: m))

        let deadline = timeLimit.map { monotonicSeconds() + $0 }
        while epoch < maxEpochs {
            if let deadline, epoch > 0, monotonicSeconds() > deadline { break }
            for i in stride(from: m - 1, to: 0, by: -1) { order.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
            iterate.sweep(order, diag: diag, scratch: &scratch)
            epoch += 1
            if weightSpace { iterate.logitsFromWeights() }   // the measures read all of L

            kkt = MaxMarginSolver.measure(iterate.mm, iterate.l, lay, v: v, m: m)
            if kkt.satisfied(tolerance) {
                iterate.recomputeLogits()
                kkt = MaxMarginSolver.measure(iterate.mm, iterate.l, lay, v: v, m: m)
                if kkt.satisfied(tolerance) { status = .separable; break }
            }
            if kkt.dualSum > 0 { bound = min(bound, kkt.normSquared.squareRoot() / kkt.dualSum) }
            if !fullRank && bound < nonSeparableMargin * hMax {
                iterate.recomputeLogits()   // confirm on drift-free logits
                kkt = MaxMarginSolver.measure(iterate.mm, iterate.l, lay, v: v, m: m)
                if kkt.normSquared.squareRoot() / kkt.dualSum < nonSeparableMargin * hMax { status = .notSeparable; break }
            }
            if epoch % 64 == 0 { iterate.recomputeLogits() }   // bound the drift of the axpy updates
        }
        iterate.recomputeLogits()
        kkt = MaxMarginSolver.measure(iterate.mm, iterate.l, lay, v: v, m: m)
        if kkt.dualSum > 0 { bound = kkt.normSquared.squareRoot() / kkt.dualSum }
        let w = TheoryKernels.product(iterate.mm, .weights, vocab: v, features: s.features)
        return MaxMarginSolution(status: status, weights: w, logits: iterate.l, normSquared: kkt.normSquared,
                                 dualSum: kkt.dualSum, kkt: kkt, marginUpperBound: bound, epochs: epoch, multipliers: iterate.mm)
    }

    /// The dual iterate M (V × m row-major) and its logits L = M G, kept in step by the block steps'
    /// axpy updates; in weight space also W = M Hᵀ (V × d) and the column h̄_j of the current block.
    private struct DualIterate {
        let subspace: DataSubspace
        let gram: [Double]
        let identity: Bool, weightSpace: Bool
        var mm: [Double], l: [Double]
        var weights: [Double], column: [Double]

        init(_ s: DataSubspace, gram: [Double], identity: Bool, weightSpace: Bool) {
            let v = s.vocabularySize, m = s.contextCount, d = s.features.dimension
            subspace = s; self.gram = gram; self.identity = identity; self.weightSpace = weightSpace
            mm = [Double](repeating: 0, count: v * m)
            l = [Double](repeating: 0, count: v * m)
            weights = [Double](repeating: 0, count: weightSpace ? v * d : 0)
            column = [Double](repeating: 0, count: weightSpace ? d : 0)
        }

        /// One epoch: the block of every context in `order` maximised once (`maximiseBlock`).
        mutating func sweep(_ order: [Int], diag: [Double], scratch: inout BlockScratch) {
            let features = subspace.features, lay = subspace.layout
            let v = subspace.vocabularySize, m = subspace.contextCount, d = features.dimension
            let weightSpace = weightSpace, identity = identity
            mm.withUnsafeMutableBufferPointer { mp in l.withUnsafeMutableBufferPointer { lp in gram.withUnsafeBufferPointer { gp in
              weights.withUnsafeMutableBufferPointer { wp in column.withUnsafeMutableBufferPointer { cp in
                for j in order {
                    let update: LogitUpdate
                    if weightSpace {
                        features.column(j, into: cp.baseAddress!)
                        update = .weights(wp.baseAddress!, column: cp.baseAddress!, dimension: d)
                    } else {
                        update = identity ? .identity : .gram(gp.baseAddress!)
                    }
                    MaxMarginSolver.maximiseBlock(j, M: mp.baseAddress!, L: lp.baseAddress!, update: update,
                                                  gjj: diag[j], layout: lay, v: v, m: m, scratch: &scratch)
                }
              } }
            } } }
        }

        /// L = W H from the weights (weight space, where the block steps leave L stale).
        mutating func logitsFromWeights() {
            let v = subspace.vocabularySize, features = subspace.features
            weights.withUnsafeBufferPointer { wp in l.withUnsafeMutableBufferPointer {
                TheoryKernels.product(wp.baseAddress!, .logits, vocab: v, features: features, into: $0.baseAddress!)
            } }
        }

        /// L recomputed from M (through W = M Hᵀ in weight space): no drift from the axpy updates.
        mutating func recomputeLogits() {
            let v = subspace.vocabularySize, m = subspace.contextCount, features = subspace.features
            if weightSpace {
                mm.withUnsafeBufferPointer { mp in weights.withUnsafeMutableBufferPointer {
                    TheoryKernels.product(mp.baseAddress!, .weights, vocab: v, features: features, into: $0.baseAddress!)
                } }
                logitsFromWeights()
            } else if identity {
                l = mm
            } else {
                mm.withUnsafeBufferPointer { mp in gram.withUnsafeBufferPointer { gp in l.withUnsafeMutableBufferPointer { lp in
                    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(v), Int32(m), Int32(m), 1,
                                mp.baseAddress!, Int32(m), gp.baseAddress!, Int32(m), 0, lp.baseAddress!, Int32(m))
                } } }
            }
        }
    }

    /// Work buffers of `maximiseBlock`, allocated once per solve.
    struct BlockScratch {
        var inSupport: [Bool]
        var y: [Double]
        var candidates: [Int] = []
        init(vocabularySize v: Int) {
            inSupport = [Bool](repeating: false, count: v)
            y = [Double](repeating: 0, count: v)
            candidates.reserveCapacity(v)
        }
    }

    /// How a block step keeps the logits L = M G in step with M.
    enum LogitUpdate {
        /// G = I: L_{t,j} += δ.
        case identity
        /// G row-major m × m: row t of L += δ · row j of G.
        case gram(UnsafePointer<Double>)
        /// Weight space: L_j is read as W h̄_j before the step (`column` holds h̄_j) and row t of
        /// W (V × d) += δ h̄_jᵀ; the rest of L is left stale until the caller forms W H.
        case weights(UnsafeMutablePointer<Double>, column: UnsafePointer<Double>, dimension: Int)
    }

    /// Maximises the dual over context j's block M_j exactly: the Euclidean projection of
    /// M_j + (1_{S_j} − L_j)/G_jj onto {Σx = 0, x_v ≤ 0 off S_j}, found by sorting the off-support
    /// candidates; L = M G follows by one axpy of row j of G per changed entry (see `LogitUpdate`).
    /// k_j = V has no margin constraint but still its ties: the block step centres L_j.
    static func maximiseBlock(_ j: Int, M: UnsafeMutablePointer<Double>, L: UnsafeMutablePointer<Double>,
                                      update: LogitUpdate, gjj: Double, layout lay: SupportLayout, v: Int, m: Int,
                                      scratch: inout BlockScratch) {
        let a = lay.rowOffsets[j], b = lay.rowOffsets[j + 1], k = b - a
        if case .weights(let w, let h, let d) = update {
            // Column j of L (stride m) = W h̄_j.
            cblas_dgemv(CblasRowMajor, CblasNoTrans, Int32(v), Int32(d), 1, w, Int32(d), h, 1, 0, L + j, Int32(m))
        }
        for e in a..<b { scratch.inSupport[lay.columns[e]] = true }
        // Unconstrained block maximiser y = M_j + (1_S − L_j)/G_jj, then project.
        var ysum = 0.0
        for t in 0..<v {
            let g = (scratch.inSupport[t] ? 1.0 : 0.0) - L[t * m + j]
            scratch.y[t] = M[t * m + j] + g / gjj
            if scratch.inSupport[t] { ysum += scratch.y[t] }
        }
        var tau = ysum / Double(k)
        scratch.candidates.removeAll(keepingCapacity: true)
        for t in 0..<v where !scratch.inSupport[t] && scratch.y[t] < tau { scratch.candidates.append(t) }
        if !scratch.candidates.isEmpty {
            let y = scratch.y
            scratch.candidates.sort { y[$0] < y[$1] }
            var sum = ysum, cnt = Double(k)
            tau = sum / cnt
            for t in scratch.candidates {
                if y[t] >= tau { break }
                sum += y[t]; cnt += 1; tau = sum / cnt
            }
        }
        for t in 0..<v {
            let x = scratch.inSupport[t] ? scratch.y[t] - tau : min(scratch.y[t] - tau, 0)
            let delta = x - M[t * m + j]
            if delta != 0 {
                M[t * m + j] = x
                switch update {
                case .gram(let gram): cblas_daxpy(Int32(m), delta, gram + j * m, 1, L + t * m, 1)
                case .identity: L[t * m + j] += delta
                case .weights(let w, let h, let d): cblas_daxpy(Int32(d), delta, h, 1, w + t * d, 1)
                }
            }
        }
        for e in a..<b { scratch.inSupport[lay.columns[e]] = false }
    }

    /// Cholesky of the Gram of the unit columns succeeds with every pivot² ≥ 1e-10: H has numerically full
    /// column rank, whatever its columns' norms (a zero column has none).
    static func isPositiveDefinite(_ g: [Double], m: Int) -> Bool {
        guard m > 0 else { return true }
        // The Gram of the unit columns h̄_j/‖h̄_j‖: full column rank does not depend on the columns' norms, and
        // norms 1e-4 to 1e4 put G's condition past float64 (QA round 21: d = 50 > m = 40 called not separable).
        let scale = (0..<m).map { g[$0 * m + $0] > 0 ? 1 / g[$0 * m + $0].squareRoot() : 0 }
        guard !scale.contains(0) else { return false }
        var a = [Double](repeating: 0, count: m * m)
        for i in 0..<m { for j in 0..<m { a[i * m + j] = g[i * m + j] * scale[i] * scale[j] } }
        var n = Int32(m), info: Int32 = 0
        var uplo: CChar = 85 // "U"
        a.withUnsafeMutableBufferPointer { dpotrf_(&uplo, &n, $0.baseAddress!, &n, &info) }
        guard info == 0 else { return false }
        // The pivot² of column j is its squared sine to the span of the columns before it.
        for j in 0..<m where a[j * m + j] * a[j * m + j] < 1e-10 { return false }
        return true
    }

    /// KKT measures of the dual iterate M with logits L = M G. Without M (a W from elsewhere) only the
    /// tie and margin violations are measured; the other fields stay 0.
    static func measure(_ mm: [Double]?, _ l: [Double], _ lay: SupportLayout, v: Int, m: Int) -> MaxMarginSolution.KKT {
        var k = MaxMarginSolution.KKT()
        var inS = [Bool](repeating: false, count: v)
        var nrm = 0.0, sumA = 0.0, comp = 0.0
        if let mm { for i in 0..<(v * m) { nrm += mm[i] * l[i] } }
        for j in 0..<m {
            let a = lay.rowOffsets[j], b = lay.rowOffsets[j + 1]
            var lo = Double.infinity, hi = -Double.infinity, mean = 0.0
            for e in a..<b {
                let t = lay.columns[e]; inS[t] = true
                let x = l[t * m + j]
                lo = min(lo, x); hi = max(hi, x); mean += x
            }
            mean /= Double(b - a)
            k.tieViolation = max(k.tieViolation, hi - lo)
            for t in 0..<v where !inS[t] {
                let margin = mean - l[t * m + j]
                k.marginViolation = max(k.marginViolation, 1 - margin)
                guard let mm else { continue }
                let alpha = -mm[t * m + j]
                sumA += alpha
                comp += alpha * abs(margin - 1)
            }
            for e in a..<b { inS[lay.columns[e]] = false }
        }
        k.normSquared = nrm
        k.dualSum = sumA
        k.complementarity = sumA > 0 ? comp / sumA : 0
        k.relativeGap = nrm > 0 ? abs(nrm - sumA) / nrm : 0
        return k
    }
}

/// The result of `MaxMarginSolver.solve`.
public struct MaxMarginSolution: Sendable {
    /// What the solver established.
    public enum Status: String, Sendable {
        /// KKT conditions met to the tolerance: `weights` is W^mm.
        case separable
        /// The certified margin bound fell below the non-separability threshold.
        case notSeparable = "not-separable"
        /// The epoch cap was reached first.
        case undecided
    }
    /// KKT measures (see `MaxMarginSolver`).
    public struct KKT: Sendable {
        /// max_j spread of the in-support logits.
        public var tieViolation = 0.0
        /// max margin shortfall max(0, 1 − margin) (reported as the signed max of 1 − margin).
        public var marginViolation = -Double.infinity
        /// Σ α |margin − 1| / Σ α.
        public var complementarity = 0.0
        /// |‖W‖² − Σα| / ‖W‖².
        public var relativeGap = 0.0
        /// ‖W‖² = tr(M G Mᵀ).
        public var normSquared = 0.0
        /// Σα (the dual's linear term).
        public var dualSum = 0.0
        /// True when all four measures are ≤ `tol`.
        public func satisfied(_ tol: Double) -> Bool {
            tieViolation <= tol && marginViolation <= tol && complementarity <= tol && relativeGap <= tol
        }
    }
    /// Outcome.
    public var status: Status
    /// W = M Hᵀ (V × d row-major): W^mm when `status == .separable`, else the last dual iterate's W.
    public var weights: [Double]
    /// Logits L = W H (V × m row-major).
    public var logits: [Double]
    /// ‖W‖².
    public var normSquared: Double
    /// Σα of the final dual iterate.
    public var dualSum: Double
    /// Final KKT measures.
    public var kkt: KKT
    /// Certified upper bound on the margin 1/‖W^mm‖: ‖W‖/Σα (∞ before any α > 0).
    public var marginUpperBound: Double
    /// Epochs run.
    public var epochs: Int
    /// The last dual iterate M (V × m row-major: ties and −α merged, W = M Hᵀ); empty when no epoch ran
    /// or W came from the minimum-norm point.
    public var multipliers: [Double] = []
    /// W came from Wolfe's minimum-norm point after the epochs fell short (`init(minimumNormPoint:…)`).
    public var fromMinimumNormPoint = false
    /// The status `.notSeparable` came from the minimum-norm point's Farkas pair after the epochs ran
    /// out undecided; W is then the last dual iterate's, as for any non-separable result.
    public var notSeparableByMinimumNormPoint = false
    /// 1/‖W‖ (the margin when separable; ∞ if W = 0).
    public var margin: Double { normSquared > 0 ? 1 / normSquared.squareRoot() : .infinity }
    /// W = 0 with no epochs run: the answers decided before the block steps.
    static func zero(_ status: Status, _ s: DataSubspace, marginUpperBound: Double) -> MaxMarginSolution {
        let v = s.vocabularySize
        return MaxMarginSolution(status: status, weights: [Double](repeating: 0, count: v * s.features.dimension),
                                 logits: [Double](repeating: 0, count: v * s.contextCount), normSquared: 0, dualSum: 0,
                                 kkt: .init(), marginUpperBound: marginUpperBound, epochs: 0)
    }

    /// Separable with W^mm = 0: no context has an off-support token, so there is no margin constraint
    /// and no direction in which gradient descent diverges.
    public var hasNoMarginConstraint: Bool { status == .separable && normSquared == 0 }
}

/// Why the NTP-SVM could not be set up.
public enum MaxMarginError: Error, CustomStringConvertible {
    case tooLarge(String)
    public var description: String {
        switch self { case .tooLarge(let s): return s }
    }
}
