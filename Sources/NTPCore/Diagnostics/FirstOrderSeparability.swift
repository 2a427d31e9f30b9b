import NTPFormats

/// What the first-order fallback found (used when the exact LP is out of reach).
public struct FirstOrderSeparabilityStatistics: Codable, Equatable, Sendable {
    /// Iterations run.
    public var iterations: Int
    /// Whether W was kept in 𝓕^⊥ (ties exact) by a projector; otherwise the support margin
    /// min_{z∈S_j} ℓ_z − max_{v∉S_j} ℓ_v is used, a relaxation (necessary, not sufficient).
    public var projected: Bool
    /// Best min_j margin_j / ‖W‖_F over the iterates (> 0 would mean every context is separated).
    public var bestNormalizedMinMargin: Double
    /// Best fraction of contexts whose margins are all > 0.
    public var bestFractionSeparated: Double

    enum CodingKeys: String, CodingKey {
        case iterations, projected
        case bestNormalizedMinMargin = "best_normalized_min_margin", bestFractionSeparated = "best_fraction_separated"
    }
}

/// Subgradient descent on the multiclass hinge loss (1/m) Σ_j max(0, 1 − margin_j) as a budgeted,
/// inexact look at separability for problems the LP cannot handle.
public enum FirstOrderSeparability {
    /// Runs `iterations` steps from W = 0. Each step moves W along (e_z − e_v) h̄_jᵀ for the worst
    /// in-support token z and worst off-support token v of every context with margin < 1, with step
    /// 1/max_j ‖h̄_j‖², then applies `complementProjector` (if any) to keep W ⊥ 𝓕. A step that would end
    /// after `stopAt` (a `monotonicSeconds()` time, judged by the step before) is not begun; the first
    /// two always run, the least from which a margin/‖W‖ can be read.
    public static func run(_ data: DataSet, features: ContextFeatures, iterations: Int, stopAt: Double = .infinity,
                           complementProjector: ((inout [Double]) -> Void)? = nil) -> FirstOrderSeparabilityStatistics {
        let cols = SparseContextColumns(features)
        let m = data.contextCount, V = data.vocabularySize, d = cols.dimension
        var w = [Double](repeating: 0, count: V * d)
        var g = [Double](repeating: 0, count: V * d)
        var maxNorm2 = 0.0
        for j in 0..<m { let n = cols.norm(j); maxNorm2 = max(maxNorm2, n * n) }
        let step = maxNorm2 > 0 ? 1 / maxNorm2 : 1
        var inSupport = [Bool](repeating: false, count: V)
        var logits = [Double](repeating: 0, count: V)
        var best = FirstOrderSeparabilityStatistics(iterations: iterations, projected: complementProjector != nil,
                                                    bestNormalizedMinMargin: -.infinity, bestFractionSeparated: 0)
        let active = (0..<m).filter { data.supportSize($0) > 0 && data.supportSize($0) < V }
        guard !active.isEmpty else {
            best.bestNormalizedMinMargin = .infinity; best.bestFractionSeparated = 1
            return best
        }
        var touched: TouchedRows? = TouchedRows(rowCount: V, rowLength: d)
        let longestSupport = active.map { data.supportSize($0) }.max()!
        let usedColumns = Array(Set(active.flatMap { cols.indices[cols.offsets[$0]..<cols.offsets[$0 + 1]] })).sorted()
        var stepStart = monotonicSeconds()
        for iteration in 0...iterations {
            let lastStep = monotonicSeconds() - stepStart
            stepStart = monotonicSeconds()
            if iteration >= 2 && stepStart + lastStep > stopAt {
                best.iterations = iteration - 1
                break
            }
            var minMargin = Double.infinity, separated = 0
            var steps: [(in: Int, out: Int, context: Int)] = []
            let untouched = touched.map { t in Array((0..<V).lazy.filter { !t.contains($0) }.prefix(longestSupport + 1)) }
            w.withUnsafeBufferPointer { wp in
                for j in active {
                    let range = data.rowOffsets[j]..<data.rowOffsets[j + 1]
                    for e in range { inSupport[Int(data.columns[e])] = true }
                    let (zi, lz, vi, lv) = worstPair(j, data: data, cols: cols, w: wp, touched: touched, untouched: untouched,
                                                     inSupport: inSupport, logits: &logits)
                    for e in range { inSupport[Int(data.columns[e])] = false }
                    let margin = lz - lv
                    minMargin = min(minMargin, margin)
                    if margin > 0 { separated += 1 }
                    if margin < 1 {
                        steps.append((zi, vi, j))
                        for e in cols.offsets[j]..<cols.offsets[j + 1] {
                            g[zi * d + cols.indices[e]] += cols.values[e]
                            g[vi * d + cols.indices[e]] -= cols.values[e]
                        }
                    }
                }
            }
            let norm = Self.norm(w, touched: touched, columns: usedColumns)
            if norm > 0 { best.bestNormalizedMinMargin = max(best.bestNormalizedMinMargin, minMargin / norm) }
            best.bestFractionSeparated = max(best.bestFractionSeparated, Double(separated) / Double(active.count))
            Self.step(&w, by: step / Double(active.count).squareRoot(), along: &g, at: steps, columns: cols, touched: &touched)
            if let complementProjector {
                complementProjector(&w)
                touched = nil   // W may be nonzero anywhere
            }
        }
        return best
    }

    /// The support token of least logit and the off-support token of largest logit of context j (the first on ties),
    /// as a pass over all V logits finds them. Rows of W never touched are 0, so their logits are exactly 0: with
    /// `touched`, only the support and the touched rows are computed, and `untouched` (the first untouched rows,
    /// ascending, one more than any support holds) supplies the first untouched off-support row.
    private static func worstPair(_ j: Int, data: DataSet, cols: SparseContextColumns, w: UnsafeBufferPointer<Double>,
                                  touched: TouchedRows?, untouched: [Int]?, inSupport: [Bool], logits: inout [Double])
        -> (z: Int, lz: Double, v: Int, lv: Double) {
        var zi = -1, vi = -1, lz = Double.infinity, lv = -Double.infinity
        guard let touched, let untouched else {
            for r in 0..<logits.count { logits[r] = cols.logit(w, row: r, context: j) }
            for r in 0..<logits.count {
                if inSupport[r] { if logits[r] < lz { lz = logits[r]; zi = r } }
                else if logits[r] > lv { lv = logits[r]; vi = r }
            }
            return (zi, lz, vi, lv)
        }
        for e in data.rowOffsets[j]..<data.rowOffsets[j + 1] {
            let r = Int(data.columns[e]), l = cols.logit(w, row: r, context: j)
            if l < lz || (l == lz && r < zi) { lz = l; zi = r }
        }
        for r in touched.rows where !inSupport[r] {
            let l = cols.logit(w, row: r, context: j)
            if l > lv || (l == lv && r < vi) { lv = l; vi = r }
        }
        if let u = untouched.first(where: { !inSupport[$0] }), 0 > lv || (0 == lv && u < vi) { lv = 0; vi = u }
        return (zi, lz, vi, lv)
    }

    /// ‖W‖_F summed entry by entry in index order, over the rows that can be nonzero (`touched`, or every row after
    /// a projector): the others add exactly 0, so the same bits as a pass over all of W. Without a projector a
    /// step changes two rows per context; on 600 KJV contexts over the whole vocabulary with positional one-hot
    /// features, three passes over all of W per iteration took half of a 95 s separability stage.
    /// Within a row only `columns` (the features some context uses, ascending) can be nonzero.
    private static func norm(_ w: [Double], touched: TouchedRows?, columns: [Int]) -> Double {
        var s = 0.0
        guard let touched else { for x in w { s += x * x }; return s.squareRoot() }
        let d = touched.rowLength
        for r in touched.rows.sorted() { for c in columns { s += w[r * d + c] * w[r * d + c] } }
        return s.squareRoot()
    }

    /// W += scale · G at the entries the steps wrote, leaving G zero there (its other entries are zero already, and
    /// W's other entries would only have had 0 added).
    private static func step(_ w: inout [Double], by scale: Double, along g: inout [Double],
                             at steps: [(in: Int, out: Int, context: Int)], columns cols: SparseContextColumns,
                             touched: inout TouchedRows?) {
        let d = cols.dimension
        for (zi, vi, j) in steps {
            touched?.touch(zi); touched?.touch(vi)
            for e in cols.offsets[j]..<cols.offsets[j + 1] {
                let p = zi * d + cols.indices[e], q = vi * d + cols.indices[e]
                w[p] += scale * g[p]; g[p] = 0
                w[q] += scale * g[q]; g[q] = 0
            }
        }
    }
}
