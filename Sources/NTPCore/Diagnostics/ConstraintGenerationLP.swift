import Foundation
import CGLPK
import NTPFormats

/// The separability LP  max t  s.t. margins ≥ t, ties = 0, 0 ≤ t ≤ 1  solved with GLPK by
/// constraint generation over the margin rows.
///
/// Why constraint generation: the full LP has Σ_j (V − k_j) margin rows (≈ m·V), but at the
/// optimum only a few per context are active. Every restricted LP is a relaxation, so a restricted
/// optimum t = 0 is already the answer (and its duals are a Farkas certificate for the full LP);
/// a restricted optimum t = 1 is the answer once W violates no margin row of the full LP.
/// Rows are appended to the optimal basis, which stays dual feasible, so each round is a warm
/// dual-simplex re-solve.
final class ConstraintGenerationLP {
    enum Outcome {
        case separable([Double])
        case notSeparable(alpha: [ConstraintMultiplier], beta: [ConstraintMultiplier])
        case failed(String)
    }

    private let data: DataSet
    private let cols: SparseContextColumns
    private let anchors: [Int]
    private let options: SeparabilityOptions
    /// Compact LP index of each used feature (−1 when no context uses it).
    private let featureSlot: [Int]
    private let usedCount: Int
    private let V: Int
    private let lp: OpaquePointer
    /// Per LP row (0-based): (context, token, kind).
    private var rowInfo: [(context: Int, token: Int, kind: RowKind)] = []
    enum RowKind { case margin, tie, aggregate }
    private var present = Set<Int>()
    private(set) var rounds = 0
    private(set) var simplexSeconds = 0.0
    var marginRowCount: Int { rowInfo.count - tieRowCount - aggregateRowCount }
    private var tieRowCount = 0
    private(set) var aggregateRowCount = 0

    init(data: DataSet, cols: SparseContextColumns, anchors: [Int], options: SeparabilityOptions) {
        self.data = data
        self.cols = cols
        self.anchors = anchors
        self.options = options
        self.V = data.vocabularySize
        (featureSlot, usedCount) = cols.usedFeatureSlots()
        lp = makeWeightSpaceLP(vocabularySize: V, usedFeatures: usedCount)
        let nc = V * usedCount + 1
        for c in 1..<nc { glp_set_col_bnds(lp, Int32(c), GLP_FR, 0, 0) }
        glp_set_col_bnds(lp, Int32(nc), GLP_DB, 0, 1)
        glp_set_obj_coef(lp, Int32(nc), 1)
    }

    deinit { glp_delete_prob(lp) }

    private var tColumn: Int32 { Int32(V * usedCount + 1) }
    @inline(__always) private func column(_ token: Int, _ slot: Int) -> Int32 { Int32(token * usedCount + slot + 1) }

    /// Appends rows. Ties: (e_z − e_a)ᵀ W h̄_j = 0; margins: (e_a − e_v)ᵀ W h̄_j − t ≥ 0;
    /// aggregates: the sum of all margin rows of context j, Σ_{v∉S_j} (e_a − e_v)ᵀ W h̄_j − (V − k_j) t ≥ 0.
    private func addRows(_ rows: [(Int, Int, RowKind)]) {
        guard !rows.isEmpty else { return }
        let first = Int(glp_add_rows(lp, Int32(rows.count)))
        var ind = [Int32](), val = [Double]()
        var inSupport = [Bool](repeating: false, count: V)
        for (i, (j, tok, kind)) in rows.enumerated() {
            let a = anchors[j]
            ind.removeAll(keepingCapacity: true); val.removeAll(keepingCapacity: true)
            ind.append(0); val.append(0)  // GLPK arrays are 1-based
            let r = Int32(first + i)
            switch kind {
            case .tie, .margin:
                let (plus, minus) = kind == .tie ? (tok, a) : (a, tok)
                for e in cols.offsets[j]..<cols.offsets[j + 1] {
                    let s = featureSlot[cols.indices[e]]
                    ind.append(column(plus, s)); val.append(cols.values[e])
                    ind.append(column(minus, s)); val.append(-cols.values[e])
                }
                if kind == .margin { ind.append(tColumn); val.append(-1) }
                glp_set_mat_row(lp, r, Int32(ind.count - 1), ind, val)
                if kind == .tie { glp_set_row_bnds(lp, r, GLP_FX, 0, 0); tieRowCount += 1 }
                else { glp_set_row_bnds(lp, r, GLP_LO, 0, 0); present.insert(j * V + tok) }
            case .aggregate:
                let range = data.rowOffsets[j]..<data.rowOffsets[j + 1]
                for e in range { inSupport[Int(data.columns[e])] = true }
                let off = Double(V - range.count)
                for v in 0..<V where !inSupport[v] || v == a {
                    let coefficient = v == a ? off : -1
                    for e in cols.offsets[j]..<cols.offsets[j + 1] {
                        ind.append(column(v, featureSlot[cols.indices[e]])); val.append(coefficient * cols.values[e])
                    }
                }
                for e in range { inSupport[Int(data.columns[e])] = false }
                ind.append(tColumn); val.append(-off)
                glp_set_mat_row(lp, r, Int32(ind.count - 1), ind, val)
                glp_set_row_bnds(lp, r, GLP_LO, 0, 0)
                aggregateRowCount += 1
            }
            rowInfo.append((j, tok, kind))
        }
    }

    func solve(deadline: Double) -> Outcome {
        let first = initialRows()
        if let tooSlow = setUpOverrun(first, deadline: deadline) { return .failed(tooSlow) }
        addRows(first)
        if options.scale { GLPKScaling.scaleAutomatically(lp) }
        glp_std_basis(lp)

        var parm = glp_smcp()
        glp_init_smcp(&parm)
        parm.msg_lev = GLP_MSG_OFF
        parm.presolve = GLP_OFF
        parm.meth = GLP_PRIMAL

        let nc = V * usedCount + 1
        var w = [Double](repeating: 0, count: V * cols.dimension)
        var scratch = RoundScratch(vocabularySize: V)
        while true {
            rounds += 1
            if rounds > options.maxRounds { return .failed("no decision after \(options.maxRounds) constraint-generation rounds") }
            // GLPK runs past its limit by up to one stretch of work (measured 12.5 s at 33.7 M nonzeros, whether
            // the simplex was given about 0.5 s or 26.5 s, with limits of 4 s and 30 s).
            let reserve = Double(glp_get_num_nz(lp)) / options.weightSpaceLPNonzeroRate
            if let failure = solveSimplexRound(lp, &parm, deadline: deadline, round: rounds, seconds: &simplexSeconds, reserve: reserve) {
                return .failed(failure)
            }
            let t = glp_get_col_prim(lp, Int32(nc))
            if t < 0.5 {
                return farkas()
            }
            // Read W (scaled so that t = 1) into the full V × d layout.
            for i in 0..<w.count { w[i] = 0 }
            for f in 0..<cols.dimension where featureSlot[f] >= 0 {
                for r in 0..<V { w[r * cols.dimension + f] = glp_get_col_prim(lp, column(r, featureSlot[f])) / t }
            }
            let newRows = violatedRows(w, &scratch)
            if newRows.isEmpty { return .separable(w) }
            addRows(newRows)
        }
    }

    /// Why the first LP is not worth building: GLPK looks at its clock only between stretches of work of
    /// about nonzeros / `weightSpaceLPNonzeroRate` seconds, and each simplex is stopped one stretch before
    /// the deadline, so an LP is built only when twice that time is left (its simplex then gets at least
    /// one stretch). A larger one would overrun `--time-limit` and hold its gigabytes for nothing; nil
    /// when it fits.
    private func setUpOverrun(_ rows: [(Int, Int, RowKind)], deadline: Double) -> String? {
        var nonzeros = 0
        for (j, _, kind) in rows {
            nonzeros += 2 * (cols.offsets[j + 1] - cols.offsets[j]) + (kind == .margin ? 1 : 0)
        }
        let stretch = Double(nonzeros) / options.weightSpaceLPNonzeroRate
        let left = deadline - monotonicSeconds()
        guard 2 * stretch > left else { return nil }
        func f(_ x: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", x) }
        return "W-space LP not started: its first LP holds \(f(Double(nonzeros) / 1e6, 1)) M nonzeros, "
            + "GLPK takes about \(f(stretch, 0)) s for them between looks at its clock, and \(f(max(0, left), 1)) s "
            + "are left, less than twice that (raise --time-limit)"
    }

    /// The first LP's rows: every tie row, and per context the margin rows of the globally most
    /// frequent off-support tokens (all of them when the full LP is small).
    private func initialRows() -> [(Int, Int, RowKind)] {
        let m = data.contextCount
        // Token order by global count, most frequent first: frequent tokens are the likeliest
        // off-support competitors, so they seed the first LP.
        var tokenCount = [Double](repeating: 0, count: V)
        for e in 0..<data.columns.count { tokenCount[Int(data.columns[e])] += data.counts[e] }
        let byFrequency = (0..<V).sorted { tokenCount[$0] != tokenCount[$1] ? tokenCount[$0] > tokenCount[$1] : $0 < $1 }

        var initial: [(Int, Int, RowKind)] = []
        var inSupport = [Bool](repeating: false, count: V)
        // Small full LPs are cheaper in one solve than in several constraint-generation rounds.
        var fullNonzeros = 0
        for j in 0..<m where data.supportSize(j) > 0 {
            fullNonzeros += (V - data.supportSize(j)) * 2 * (cols.offsets[j + 1] - cols.offsets[j])
        }
        let allRows = fullNonzeros <= options.fullLPNonzeros
        for j in 0..<m where data.supportSize(j) > 0 {
            let range = data.rowOffsets[j]..<data.rowOffsets[j + 1]
            for e in range.dropFirst() { initial.append((j, Int(data.columns[e]), .tie)) }
            for e in range { inSupport[Int(data.columns[e])] = true }
            var added = 0
            for v in byFrequency where (allRows || added < options.initialRowsPerContext) && !inSupport[v] {
                initial.append((j, v, .margin)); added += 1
            }

            for e in range { inSupport[Int(data.columns[e])] = false }
        }
        return initial
    }

    /// Buffers of `violatedRows`, kept across rounds.
    private struct RoundScratch {
        var inSupport: [Bool]
        var logits: [Double]
        var violated: [(Double, Int)] = []
        var aggregated = Set<Int>()
        init(vocabularySize v: Int) {
            inSupport = [Bool](repeating: false, count: v)
            logits = [Double](repeating: 0, count: v)
        }
    }

    /// The most violated margin rows of the full LP at `w`, per context (empty: `w` separates).
    private func violatedRows(_ w: [Double], _ scratch: inout RoundScratch) -> [(Int, Int, RowKind)] {
        let m = data.contextCount
        var newRows: [(Int, Int, RowKind)] = []
        w.withUnsafeBufferPointer { wp in
            for j in 0..<m where data.supportSize(j) > 0 {
                let range = data.rowOffsets[j]..<data.rowOffsets[j + 1]
                for e in range { scratch.inSupport[Int(data.columns[e])] = true }
                for r in 0..<V { scratch.logits[r] = cols.logit(wp, row: r, context: j) }
                let la = scratch.logits[anchors[j]]
                scratch.violated.removeAll(keepingCapacity: true)
                for v in 0..<V where !scratch.inSupport[v] {
                    let margin = la - scratch.logits[v]
                    if margin < 1 - 1e-7 && !present.contains(j * V + v) { scratch.violated.append((margin, v)) }
                }
                for e in range { scratch.inSupport[Int(data.columns[e])] = false }
                if scratch.violated.count > options.rowsAddedPerContext && options.aggregateRows && !scratch.aggregated.contains(j)
                    && cols.offsets[j + 1] - cols.offsets[j] <= options.aggregateMaxFeatureNonzeros {
                    // Many violations: add the sum of all margin rows of j. It keeps the anchor above
                    // the mean off-support logit, so the next vertex does not leave most off-support
                    // logits at the anchor's level (one round per handful of tokens otherwise). Added
                    // lazily, and only for sparse h̄_j, because these rows are dense in tokens and slow
                    // the simplex down (measured: 3× slower on dense Gaussian features).
                    newRows.append((j, -1, .aggregate)); scratch.aggregated.insert(j)
                }
                if scratch.violated.count > options.rowsAddedPerContext {
                    scratch.violated.sort { $0.0 < $1.0 }
                    scratch.violated.removeLast(scratch.violated.count - options.rowsAddedPerContext)
                }
                for (_, v) in scratch.violated { newRows.append((j, v, .margin)) }
            }
        }
        return newRows
    }

    /// α = −(row duals of margin rows), β = −(row duals of tie rows), normalised to Σα = 1; an
    /// aggregate row's dual is spread as the same α on each of its margin rows (it is their sum).
    /// (Stationarity in the W columns reads Σ λ_i a_i = 0; the t column gives Σ λ_margin ≤ −1 for a
    /// maximisation with t at its lower bound, so −λ is the non-negative Farkas multiplier.)
    private func farkas() -> Outcome {
        var alpha: [Int: Double] = [:]
        var beta: [ConstraintMultiplier] = []
        var inSupport = [Bool](repeating: false, count: V)
        for (i, info) in rowInfo.enumerated() {
            let y = -glp_get_row_dual(lp, Int32(i + 1))
            switch info.kind {
            case .tie:
                if y != 0 { beta.append(ConstraintMultiplier(context: info.context, token: info.token, weight: y)) }
            case .margin:
                // Tiny negative duals are round-off on rows that should carry zero weight.
                if y > 0 { alpha[info.context * V + info.token, default: 0] += y }
            case .aggregate:
                guard y > 0 else { continue }
                let j = info.context
                let range = data.rowOffsets[j]..<data.rowOffsets[j + 1]
                for e in range { inSupport[Int(data.columns[e])] = true }
                for v in 0..<V where !inSupport[v] { alpha[j * V + v, default: 0] += y }
                for e in range { inSupport[Int(data.columns[e])] = false }
            }
        }
        let sum = alpha.keys.sorted().reduce(0) { $0 + alpha[$1]! }   // in key order: a Dictionary's order changes run to run
        guard sum > 0 else { return .failed("optimum t = 0 but the margin-row duals vanish") }
        let a = alpha.keys.sorted().map { ConstraintMultiplier(context: $0 / V, token: $0 % V, weight: alpha[$0]! / sum) }
        for i in beta.indices { beta[i].weight /= sum }
        return .notSeparable(alpha: a, beta: beta)
    }
}
