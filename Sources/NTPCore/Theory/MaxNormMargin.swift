import CGLPK
import NTPFormats

/// The entrywise max-norm (ℓ∞) max margin of the NTP-SVM (theory.md §7, "Other geometries"):
///
///     γ*_∞ = 1 / min ‖W‖_max  s.t.  (e_z − e_{a_j})ᵀ W h̄_j = 0  (z ∈ S_j),
///                                    (e_{a_j} − e_v)ᵀ W h̄_j ≥ 1  (v ∉ S_j),
///
/// the limit of the ℓ∞-normalised margin of Adam and sign descent on separable one-hot-label data
/// (Fan et al. 2025, arXiv 2502.04664).
///
/// It is solved in the equivalent scaled form  max s  s.t. |W_{v,f}| ≤ 1, ties = 0, margins ≥ s,
/// because there the max-norm bound is a column bound (no 2·V·d rows of −t ≤ W ≤ t), and the
/// margin rows have the same shape as the separability LP's (ConstraintGenerationLP), so the same
/// constraint generation applies: any subset of margin rows is a relaxation (its s is an upper
/// bound), and once the restricted optimum violates no margin row of the full LP it is optimal.
/// s* = 0 means not separable. The minimiser is not unique: compare γ*_∞, not W.
public struct MaxNormMarginSolver: Sendable {
    /// Wall-clock limit in seconds; past it the result is `.undecided`.
    public var timeLimit: Double
    /// Largest V·d (LP columns) attempted; larger problems return `.tooLarge` at once.
    public var maxVariables: Int
    /// s* at or below this times max_j ‖h̄_j‖₁ counts as 0 (not separable): GLPK's primal
    /// feasibility tolerance (1e-7 on scaled rows) leaves round-off of that order.
    public var zeroTolerance: Double
    /// Margin rows per context in the first LP (most frequent tokens first) when the full LP is large.
    public var initialRowsPerContext: Int
    /// Most violated margin rows added per context and round.
    public var rowsAddedPerContext: Int
    /// Full LPs with at most this many margin-row nonzeros are solved in one go (no generation rounds).
    public var fullLPNonzeros: Int
    /// Largest number of nonzeros of the first LP (every tie row and the first margin rows of each
    /// context, 2·nnz(h̄_j) each) attempted; larger problems return `.tooLarge` at once. GLPK builds and
    /// scales the whole matrix before its clock starts: 13,013 KJV contexts with gaussian:256 (about
    /// 7·10⁷ nonzeros) took 5.2 GB and more than 5 minutes there, past any time limit.
    public var maxFirstLPNonzeros = 20_000_000

    /// A solver with the given limits (defaults: 60 s, V·d ≤ 300,000).
    public init(timeLimit: Double = 60, maxVariables: Int = 300_000, zeroTolerance: Double = 1e-9,
                initialRowsPerContext: Int = 8, rowsAddedPerContext: Int = 8, fullLPNonzeros: Int = 200_000) {
        self.timeLimit = timeLimit; self.maxVariables = maxVariables; self.zeroTolerance = zeroTolerance
        self.initialRowsPerContext = initialRowsPerContext; self.rowsAddedPerContext = rowsAddedPerContext
        self.fullLPNonzeros = fullLPNonzeros
    }

    /// Solves the LP for `data` with context embeddings `features` (d × m).
    public func solve(_ data: DataSet, features: ContextFeatures) -> MaxNormMarginSolution {
        if let scaling = FeatureScaling(features) {
            // GLPK's tolerances are absolute: at H × 1e-50 its W broke the ties (QA). Margins and ties are
            // the same numbers on H/s; only ‖W‖_max, hence γ*_∞, carries the scale.
            var r = solve(data, features: scaling.scaled(features))
            if r.status == .separable { r.gamma = scaling.margin(r.gamma); r.weights = scaling.decoder(r.weights) }
            return r
        }
        let start = monotonicSeconds()
        let v = data.vocabularySize, d = features.dimension
        var result = MaxNormMarginSolution(status: .undecided, gamma: .nan, weights: [], message: "")
        guard v * d <= maxVariables else {
            result.status = .tooLarge
            result.message = "V·d = \(v * d) LP columns exceed the limit \(maxVariables)"
            return result
        }
        let cols = SparseContextColumns(features)
        var firstNonzeros = 0
        for j in 0..<data.contextCount {
            let k = data.supportSize(j), nnz = cols.offsets[j + 1] - cols.offsets[j]
            guard k > 0 else { continue }
            firstNonzeros += 2 * nnz * (k - 1 + min(initialRowsPerContext, v - k))
        }
        guard firstNonzeros <= maxFirstLPNonzeros else {
            result.status = .tooLarge
            result.message = "the first LP's \(firstNonzeros) nonzeros exceed the limit \(maxFirstLPNonzeros)"
            return result
        }
        let lp = MaxNormLP(data: data, cols: cols, solver: self)
        let outcome = lp.solve(deadline: start + timeLimit)
        result.rounds = lp.rounds
        result.marginRows = lp.marginRowCount
        result.tieRows = lp.tieRowCount
        result.variables = lp.columnCount
        result.simplexSeconds = lp.simplexSeconds
        switch outcome {
        case .optimal(let s, let w):
            var hScale = 0.0
            for j in 0..<data.contextCount {
                var a = 0.0
                for e in cols.offsets[j]..<cols.offsets[j + 1] { a += abs(cols.values[e]) }
                hScale = max(hScale, a)
            }
            if s <= zeroTolerance * max(hScale, 1e-300) {
                result.status = .notSeparable
                result.message = "LP optimum s* = \(s): no W ⊥ 𝓕 has all margins positive"
            } else {
                result.status = .separable
                result.gamma = s
                // Rescale to the stated problem: margins ≥ 1, ‖W‖_max = 1/γ*_∞.
                result.weights = w.map { $0 / s }
                let check = MaxNormMarginSolution.residuals(data, cols: cols, weights: result.weights)
                result.tieResidual = check.tie
                result.minMargin = check.minMargin
                // GLPK's optimum on a badly scaled H can miss its own rows: γ*_∞ is then not established
                // (QA round 8: one column × 1e8 gave γ*_∞ = 6.39 with min margin −0.83).
                if !(check.minMargin > 0.5) || !(check.tie < check.minMargin) {
                    result.status = .undecided
                    result.gamma = .nan
                    result.weights = []
                    result.message = "the LP's W fails its own constraints (min margin \(check.minMargin), max tie \(check.tie); rows ≥ 1 and ties 0 expected): badly scaled H?"
                }
            }
        case .noMarginRows:
            // No margin row: s is unbounded, γ*_∞ = ∞, and W = 0 meets every tie (as γ* = ∞ in `check`).
            result.status = .separable
            result.gamma = .infinity
            result.weights = [Double](repeating: 0, count: v * d)
            result.tieResidual = 0
            result.message = "no context has an off-support token (every k_j = V): no margin constraint, so γ*_∞ = ∞ and W = 0"
        case .failed(let why):
            result.message = why
        }
        result.seconds = monotonicSeconds() - start
        return result
    }
}

/// GLPK model of  max s  s.t. −1 ≤ W ≤ 1, ties = 0, margins − s ≥ 0, s ≥ 0, with margin rows generated.
/// Anchor a_j = first support token of context j (any anchor gives the same LP once ties hold).
private final class MaxNormLP {
    enum Outcome {
        case optimal(Double, [Double])
        case noMarginRows
        case failed(String)
    }

    private let data: DataSet
    private let cols: SparseContextColumns
    private let solver: MaxNormMarginSolver
    private let featureSlot: [Int]
    private let usedCount: Int
    private let V: Int
    private let lp: OpaquePointer
    private var present = Set<Int>()
    private(set) var rounds = 0
    private(set) var simplexSeconds = 0.0
    private(set) var marginRowCount = 0
    private(set) var tieRowCount = 0
    var columnCount: Int { V * usedCount + 1 }

    init(data: DataSet, cols: SparseContextColumns, solver: MaxNormMarginSolver) {
        self.data = data; self.cols = cols; self.solver = solver
        V = data.vocabularySize
        (featureSlot, usedCount) = cols.usedFeatureSlots()
        lp = makeWeightSpaceLP(vocabularySize: V, usedFeatures: usedCount)
        let nc = V * usedCount + 1
        for c in 1..<nc { glp_set_col_bnds(lp, Int32(c), GLP_DB, -1, 1) }
        // Under |W| ≤ 1 every margin is ≤ 2‖h̄_j‖₁, so this upper bound on s never binds; with s at
        // it, the all-slack basis is dual feasible and the dual simplex can start at once.
        var hMax = 0.0
        for j in 0..<data.contextCount {
            var a = 0.0
            for e in cols.offsets[j]..<cols.offsets[j + 1] { a += abs(cols.values[e]) }
            hMax = max(hMax, a)
        }
        glp_set_col_bnds(lp, Int32(nc), GLP_DB, 0, 2 * hMax + 1)
        glp_set_obj_coef(lp, Int32(nc), 1)
    }

    deinit { glp_delete_prob(lp) }

    private var sColumn: Int32 { Int32(V * usedCount + 1) }
    @inline(__always) private func column(_ token: Int, _ slot: Int) -> Int32 { Int32(token * usedCount + slot + 1) }
    private func anchor(_ j: Int) -> Int { Int(data.columns[data.rowOffsets[j]]) }

    /// Ties (isTie): (e_z − e_a)ᵀ W h̄_j = 0; margins: (e_a − e_v)ᵀ W h̄_j − s ≥ 0.
    private func addRows(_ rows: [(context: Int, token: Int, isTie: Bool)]) {
        guard !rows.isEmpty else { return }
        let first = Int(glp_add_rows(lp, Int32(rows.count)))
        var ind = [Int32](), val = [Double]()
        for (i, row) in rows.enumerated() {
            let j = row.context, a = anchor(j)
            ind.removeAll(keepingCapacity: true); val.removeAll(keepingCapacity: true)
            ind.append(0); val.append(0)  // GLPK arrays are 1-based
            let (plus, minus) = row.isTie ? (row.token, a) : (a, row.token)
            for e in cols.offsets[j]..<cols.offsets[j + 1] {
                let s = featureSlot[cols.indices[e]]
                ind.append(column(plus, s)); val.append(cols.values[e])
                ind.append(column(minus, s)); val.append(-cols.values[e])
            }
            let r = Int32(first + i)
            if row.isTie {
                glp_set_row_bnds(lp, r, GLP_FX, 0, 0); tieRowCount += 1
            } else {
                ind.append(sColumn); val.append(-1)
                glp_set_row_bnds(lp, r, GLP_LO, 0, 0); marginRowCount += 1
                present.insert(j * V + row.token)
            }
            glp_set_mat_row(lp, r, Int32(ind.count - 1), ind, val)
        }
    }

    func solve(deadline: Double) -> Outcome {
        let m = data.contextCount
        var tokenCount = [Double](repeating: 0, count: V)
        for e in 0..<data.columns.count { tokenCount[Int(data.columns[e])] += data.counts[e] }
        // Frequent tokens are the likeliest binding competitors, so they seed the first LP.
        let byFrequency = (0..<V).sorted { tokenCount[$0] != tokenCount[$1] ? tokenCount[$0] > tokenCount[$1] : $0 < $1 }
        var fullNonzeros = 0, anyMargin = false
        for j in 0..<m where data.supportSize(j) > 0 {
            fullNonzeros += (V - data.supportSize(j)) * 2 * (cols.offsets[j + 1] - cols.offsets[j])
            if data.supportSize(j) < V && cols.offsets[j + 1] > cols.offsets[j] { anyMargin = true }
        }
        guard anyMargin else {
            // Every margin row is 0 ≥ s (h̄_j = 0) or absent: s* = 0 unless there are no rows at all.
            for j in 0..<m where data.supportSize(j) > 0 && data.supportSize(j) < V { return .optimal(0, []) }
            return .noMarginRows
        }
        let allRows = fullNonzeros <= solver.fullLPNonzeros
        var initial: [(context: Int, token: Int, isTie: Bool)] = []
        var inSupport = [Bool](repeating: false, count: V)
        for j in 0..<m where data.supportSize(j) > 0 {
            let range = data.rowOffsets[j]..<data.rowOffsets[j + 1]
            for e in range.dropFirst() { initial.append((j, Int(data.columns[e]), true)) }
            for e in range { inSupport[Int(data.columns[e])] = true }
            var added = 0
            for v in byFrequency where (allRows || added < solver.initialRowsPerContext) && !inSupport[v] {
                initial.append((j, v, false)); added += 1
            }
            for e in range { inSupport[Int(data.columns[e])] = false }
        }
        addRows(initial)
        GLPKScaling.scaleAutomatically(lp)
        glp_std_basis(lp)
        glp_set_col_stat(lp, sColumn, GLP_NU)

        var parm = glp_smcp()
        glp_init_smcp(&parm)
        parm.msg_lev = GLP_MSG_OFF
        parm.meth = GLP_DUALP
        let d = cols.dimension
        var w = [Double](repeating: 0, count: V * d)
        var logits = [Double](repeating: 0, count: V)
        while true {
            rounds += 1
            if let failure = solveSimplexRound(lp, &parm, deadline: deadline, round: rounds, seconds: &simplexSeconds) {
                return .failed(failure)
            }
            let s = glp_get_col_prim(lp, sColumn)
            for f in 0..<d where featureSlot[f] >= 0 {
                for r in 0..<V { w[r * d + f] = glp_get_col_prim(lp, column(r, featureSlot[f])) }
            }
            if s <= 0 { return .optimal(0, w) }
            var newRows: [(context: Int, token: Int, isTie: Bool)] = []
            var violated: [(Double, Int)] = []
            w.withUnsafeBufferPointer { wp in
                for j in 0..<m where data.supportSize(j) > 0 {
                    let range = data.rowOffsets[j]..<data.rowOffsets[j + 1]
                    for e in range { inSupport[Int(data.columns[e])] = true }
                    for r in 0..<V { logits[r] = cols.logit(wp, row: r, context: j) }
                    let la = logits[anchor(j)]
                    violated.removeAll(keepingCapacity: true)
                    for v in 0..<V where !inSupport[v] && !present.contains(j * V + v) {
                        let margin = la - logits[v]
                        if margin < s * (1 - 1e-9) { violated.append((margin, v)) }
                    }
                    for e in range { inSupport[Int(data.columns[e])] = false }
                    if violated.count > solver.rowsAddedPerContext {
                        violated.sort { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
                        violated.removeLast(violated.count - solver.rowsAddedPerContext)
                    }
                    for (_, v) in violated { newRows.append((j, v, false)) }
                }
            }
            if newRows.isEmpty { return .optimal(s, w) }
            addRows(newRows)
        }
    }
}
