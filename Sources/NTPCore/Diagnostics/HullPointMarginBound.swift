import COpenBLAS
import NTPFormats

/// An upper end for γ* from a point of the hull of the constraint vectors (theory.md §7).
///
/// γ* = min over α ∈ Δ of ‖P_⊥ Σ α_{j,v} (e_{a_j} − e_v) h̄_jᵀ‖_F, and P_⊥ x is the closest point to x
/// of x + 𝓕, so ‖Σ α (e_{a_j} − e_v) h̄_jᵀ + Σ β (e_z − e_{a_j}) h̄_jᵀ‖_F ≥ γ* for every α ∈ Δ and every
/// β. In multiplier form: for every M (V × m) whose column j sums to 0, is ≤ 0 off S_j, and whose
/// off-support entries sum to −1, γ* ≤ ‖Σ_j M_j h̄_jᵀ‖_F (the NTP-SVM dual of `MaxMarginSolver`).
///
/// The point: α starts uniform on the pairs where a verified W attains its smallest margin (the
/// active set of the max-margin W when W is optimal), then alternates a few conjugate-gradient steps on
/// the support entries (β, on the per-context centred gradient) with Frank–Wolfe steps on
/// α (the vertex is the pair with the smallest margin under the current point; exact line search).
/// Both kinds of step decrease ‖M Hᵀ‖. The returned value is recomputed from the final M after its
/// column sums are set to 0 exactly (anchor entries, which are free) and divided by its actual
/// off-support mass, so it holds whatever the iterations did; a margin for the round-off of that
/// computation makes it an upper end of the exact value (`AnchoredColumns.bound`).
///
/// Dense H keeps its columns (d × m'). Other storage (one-hot, positional one-hot, sparse files) keeps
/// their nonzeros only: `bound(multipliers:)` then forms ‖M Hᵀ‖ row by row of M Hᵀ, over the features
/// some context uses, never as a V × d matrix (positional one-hot: d = 2V, 1.3 GB at V = 9,052), in
/// O(V·(m' + nnz H)); `bound(weights:)` is for dense H only (its rounds hold four V × d matrices).
struct HullPointMarginBound {
    let data: DataSet
    /// Contexts with a nonempty support.
    let contexts: [Int]
    /// Their columns of H (d × m', column-major) for dense features; empty otherwise.
    let h: [Double]
    /// Their nonzeros for other features (the other contexts' ranges are empty); nil for dense ones.
    let sparse: SparseContextColumns?
    /// ‖h̄_j‖ of every context in `contexts`.
    let columnNorms: [Double]
    let d: Int
    let V: Int
    let anchors: [Int]

    /// nil when no context has a support, or for dense features when V × m' exceeds `maxEntries` (the
    /// dense multipliers); other features need no V × m' or V × d array.
    init?(data: DataSet, features: ContextFeatures, maxEntries: Int = 20_000_000) {
        let live = (0..<data.contextCount).filter { data.supportSize($0) > 0 }
        let dimension = features.dimension
        guard !live.isEmpty else { return nil }
        if case .dense = features.storage {
            guard data.vocabularySize * live.count <= maxEntries else { return nil }
            var h = [Double](repeating: 0, count: dimension * live.count)
            h.withUnsafeMutableBufferPointer { p in
                for (c, j) in live.enumerated() { features.column(j, into: p.baseAddress! + c * dimension) }
            }
            self.h = h
            sparse = nil
            columnNorms = (0..<live.count).map { c in
                (0..<dimension).reduce(0) { $0 + h[$1 + c * dimension] * h[$1 + c * dimension] }.squareRoot()
            }
        } else {
            let columns = SparseContextColumns(features, rows: Set(live))
            h = []
            sparse = columns
            columnNorms = live.map { columns.norm($0) }
        }
        let all = Separability.anchors(data)
        self.data = data
        contexts = live
        V = data.vocabularySize
        d = dimension
        anchors = live.map { all[$0] }
    }

    /// The bound from the verified W (V × d row-major) after `iterations` rounds (a count, so that the
    /// bound does not depend on the machine's load), or fewer when a round would begin after `stopAt`
    /// (a `monotonicSeconds()` time; the first round always runs); nil when W has no off-support pair,
    /// and for features that are not dense (its rounds hold four V × d matrices, which their storage avoids).
    func bound(weights w: [Double], iterations: Int = 1_000, tieIterations: Int = 2, stopAt: Double = .infinity) -> Double? {
        guard sparse == nil else { return nil }
        let m = contexts.count, vm = V * m, vd = V * d
        let inSupport = supportMask()
        // Logits of W (V × m', column-major): Wᵀ row-major V × d is column-major d × V.
        var logits = [Double](repeating: 0, count: vm)
        cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, Int32(V), Int32(m), Int32(d), 1, w, Int32(d),
                    h, Int32(d), 0, &logits, Int32(V))
        guard let smallest = smallestMargin(logits, inSupport)?.margin else { return nil }
        var active: [(context: Int, token: Int)] = []
        for c in 0..<m {
            let top = logits[anchors[c] + c * V]
            for t in 0..<V where !inSupport[t + c * V] && top - logits[t + c * V] <= smallest + 1e-6 * max(abs(smallest), 1) {
                active.append((c, t))
            }
        }
        // α part A and support part B of M, and X_A = A Hᵀ, X_B = B Hᵀ (V × d, column-major).
        var a = [Double](repeating: 0, count: vm), b = [Double](repeating: 0, count: vm)
        for p in active {
            a[p.token + p.context * V] -= 1 / Double(active.count)
            a[anchors[p.context] + p.context * V] += 1 / Double(active.count)
        }
        var xa = product(a), xb = [Double](repeating: 0, count: vd)
        var x = [Double](repeating: 0, count: vd), y = [Double](repeating: 0, count: vd)
        var direction = [Double](repeating: 0, count: vm), residual = direction, curved = direction
        for round in 0..<iterations where round == 0 || monotonicSeconds() <= stopAt {
            // β: conjugate gradients on the support entries (the quadratic restricted to columns that
            // keep their sums), a few iterations per round; each decreases ‖M Hᵀ‖.
            for i in 0..<vd { x[i] = xa[i] + xb[i] }
            logitsOf(x, into: &logits)
            var rr = centredSupport(logits, negated: true, into: &residual)
            for i in 0..<vm { direction[i] = residual[i] }
            for _ in 0..<tieIterations where rr > 0 {
                product(direction, into: &y)
                let curvature = y.reduce(0) { $0 + $1 * $1 }
                guard curvature > 0 else { break }
                let t = rr / curvature
                for i in 0..<vm where inSupport[i] { b[i] += t * direction[i] }
                for i in 0..<vd { xb[i] += t * y[i] }
                logitsOf(y, into: &logits)
                _ = centredSupport(logits, negated: false, into: &curved)
                for i in 0..<vm where inSupport[i] { residual[i] -= t * curved[i] }
                var next = 0.0
                for i in 0..<vm where inSupport[i] { next += residual[i] * residual[i] }
                let beta = next / rr
                rr = next
                for i in 0..<vm where inSupport[i] { direction[i] = residual[i] + beta * direction[i] }
            }
            // α: Frank–Wolfe toward the pair with the smallest margin under the current point.
            for i in 0..<vd { x[i] = xa[i] + xb[i] }
            logitsOf(x, into: &logits)
            guard let vertex = smallestMargin(logits, inSupport) else { break }
            var current = 0.0
            for i in 0..<vm where a[i] != 0 { current += logits[i] * a[i] }
            let gap = current - vertex.margin
            guard gap > 0 else { break }
            // ‖(vertex − A) Hᵀ‖²: the vertex's product is (e_a − e_v) h̄ᵀ.
            let c = vertex.context, anchor = anchors[c], v = vertex.token
            var curvature = 0.0
            for f in 0..<d {
                for t in 0..<V {
                    var z = -xa[t + f * V]
                    if t == anchor { z += h[f + c * d] } else if t == v { z -= h[f + c * d] }
                    curvature += z * z
                }
            }
            guard curvature > 0 else { break }
            let step = min(1, gap / curvature)
            for i in 0..<vm where a[i] != 0 { a[i] *= 1 - step }
            a[anchor + c * V] += step
            a[v + c * V] -= step
            for i in 0..<vd { xa[i] *= 1 - step }
            for f in 0..<d { xa[anchor + f * V] += step * h[f + c * d]; xa[v + f * V] -= step * h[f + c * d] }
        }
        return verifiedNorm(a, b)
    }

    /// The bound from a dual iterate of `MaxMarginSolver` (its M, V × m row-major over every context of
    /// `data`), whatever its accuracy; nil unless its off-support entries are ≤ 0 with a positive mass.
    func bound(multipliers mm: [Double]) -> Double? {
        let m = data.contextCount
        guard mm.count == V * m else { return nil }
        if let sparse {
            guard let columns = anchoredColumns({ t, c in mm[t * m + contexts[c]] }) else { return nil }
            return columns.bound(sumOfSquares: sparseSumOfSquares(mm, columns.anchorValues, sparse))
        }
        var a = [Double](repeating: 0, count: V * contexts.count)
        for (c, j) in contexts.enumerated() {
            for t in 0..<V { a[t + c * V] = mm[t * m + j] }
        }
        return verifiedNorm(a, [Double](repeating: 0, count: a.count))
    }

    /// Whether each entry (token t, context position c) at t + c·V is on its context's support.
    private func supportMask() -> [Bool] {
        var inSupport = [Bool](repeating: false, count: V * contexts.count)
        for (c, j) in contexts.enumerated() {
            for e in data.rowOffsets[j]..<data.rowOffsets[j + 1] { inSupport[Int(data.columns[e]) + c * V] = true }
        }
        return inSupport
    }

    /// ‖M Hᵀ‖_F / (off-support mass of M) for M = A + B (dense H) with its anchor entries set so that
    /// every column sums to 0; nil unless every off-support entry is ≤ 0 with a positive mass.
    private func verifiedNorm(_ a: [Double], _ b: [Double]) -> Double? {
        var mm = zip(a, b).map { $0 + $1 }
        guard let columns = anchoredColumns({ t, c in mm[t + c * V] }) else { return nil }
        for c in 0..<contexts.count { mm[anchors[c] + c * V] = columns.anchorValues[c] }
        let x = product(mm)
        // Per column of X (V × d, column-major), then over the columns: the margin's two-level sum.
        var total = 0.0
        for f in 0..<d {
            var s = 0.0
            for t in 0..<V { s += x[t + f * V] * x[t + f * V] }
            total += s
        }
        return columns.bound(sumOfSquares: total)
    }

    /// The columns of M (entry(t, c): token t, position c in `contexts`) with their anchor entries set
    /// to minus the sum of the others, and what `AnchoredColumns.bound` needs; nil unless every
    /// off-support entry is ≤ 0 with a positive mass.
    private func anchoredColumns(_ entry: (_ token: Int, _ position: Int) -> Double) -> AnchoredColumns? {
        var out = AnchoredColumns(anchorValues: [Double](repeating: 0, count: contexts.count), hNorm: 0, V: V, d: d)
        var inSupport = [Bool](repeating: false, count: V)
        for (c, j) in contexts.enumerated() {
            let support = data.rowOffsets[j]..<data.rowOffsets[j + 1]
            for e in support { inSupport[Int(data.columns[e])] = true }
            defer { for e in support { inSupport[Int(data.columns[e])] = false } }
            var others = 0.0, absolute = 0.0, squares = 0.0, mass = 0.0
            for t in 0..<V where t != anchors[c] {
                let x = entry(t, c)
                if !inSupport[t] {
                    guard x <= 0 else { return nil }
                    mass -= x
                }
                others += x; absolute += abs(x); squares += x * x
            }
            out.anchorValues[c] = -others
            out.mass += mass
            out.squares += squares + others * others
            out.anchorSlack += absolute * columnNorms[c]
            out.hNorm += columnNorms[c] * columnNorms[c]
        }
        out.hNorm = out.hNorm.squareRoot()
        return out.mass > 0 ? out : nil
    }

    /// Σ (M Hᵀ)²_{t,f} for sparse H, M read from `mm` (V × m row-major) with the anchor entries
    /// `anchorValues`: row t of M Hᵀ is accumulated over the used features, its squares summed, then
    /// the rows' sums added.
    private func sparseSumOfSquares(_ mm: [Double], _ anchorValues: [Double], _ h: SparseContextColumns) -> Double {
        let m = data.contextCount
        let (slots, used) = h.usedFeatureSlots()
        var row = [Double](repeating: 0, count: used), total = 0.0
        for t in 0..<V {
            for (c, j) in contexts.enumerated() {
                let x = t == anchors[c] ? anchorValues[c] : mm[t * m + j]
                guard x != 0 else { continue }
                for e in h.offsets[j]..<h.offsets[j + 1] { row[slots[h.indices[e]]] += x * h.values[e] }
            }
            var s = 0.0
            for f in 0..<used { s += row[f] * row[f]; row[f] = 0 }
            total += s
        }
        return total
    }

    /// The logits at the support entries, centred per context (negated when asked), zero elsewhere;
    /// returns their squared norm.
    private func centredSupport(_ logits: [Double], negated: Bool, into out: inout [Double]) -> Double {
        var total = 0.0
        for (c, j) in contexts.enumerated() {
            let range = data.rowOffsets[j]..<data.rowOffsets[j + 1]
            var mean = 0.0
            for e in range { mean += logits[Int(data.columns[e]) + c * V] }
            mean /= Double(range.count)
            for e in range {
                let i = Int(data.columns[e]) + c * V, g = logits[i] - mean
                out[i] = negated ? -g : g
                total += g * g
            }
        }
        return total
    }

    /// The off-support pair (context position, token) with the smallest margin logit(anchor) − logit(v),
    /// the first in (context, token) order on ties; nil when there is none.
    private func smallestMargin(_ logits: [Double], _ inSupport: [Bool]) -> (context: Int, token: Int, margin: Double)? {
        var best: (context: Int, token: Int, margin: Double)? = nil
        for c in 0..<contexts.count {
            let top = logits[anchors[c] + c * V]
            for t in 0..<V where !inSupport[t + c * V] {
                let margin = top - logits[t + c * V]
                if best == nil || margin < best!.margin { best = (c, t, margin) }
            }
        }
        return best
    }

    /// M Hᵀ (V × d, column-major) for M (V × m', column-major).
    private func product(_ mm: [Double]) -> [Double] {
        var out = [Double](repeating: 0, count: V * d)
        product(mm, into: &out)
        return out
    }

    /// M Hᵀ into `out` (V × d, column-major): the loop's products allocate nothing.
    private func product(_ mm: [Double], into out: inout [Double]) {
        cblas_dgemm(CblasColMajor, CblasNoTrans, CblasTrans, Int32(V), Int32(d), Int32(contexts.count), 1, mm, Int32(V),
                    h, Int32(d), 0, &out, Int32(V))
    }

    /// X H (V × m', column-major) for X (V × d, column-major).
    private func logitsOf(_ x: [Double], into out: inout [Double]) {
        cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, Int32(V), Int32(contexts.count), Int32(d), 1, x, Int32(V),
                    h, Int32(d), 0, &out, Int32(V))
    }
}

/// A multiplier matrix M̂ whose anchor entries are fl(−Σ others) per column, with the sums that bound the
/// round-off of γ* ≤ ‖M Hᵀ‖_F / μ (`HullPointMarginBound`).
private struct AnchoredColumns {
    /// The anchor entry of every column.
    var anchorValues: [Double]
    /// ‖H‖_F over the columns.
    var hNorm: Double
    let V: Int, d: Int
    /// The computed off-support mass μ̂ (summed per column, then over the columns).
    var mass = 0.0
    /// ‖M̂‖_F².
    var squares = 0.0
    /// Σ_j ‖M̂_j‖₁ ‖h̄_j‖ (anchor entries left out).
    var anchorSlack = 0.0

    /// (‖X̂‖ + E) / μ̂ with margins from the classic bounds (u = 2⁻⁵³, γ_n = nu/(1 − nu)), so that
    /// round-off only makes it larger than ‖M* Hᵀ‖_F / μ for an M* that satisfies the constraints exactly:
    /// * M̂'s column j sums to s_j with |s_j| ≤ γ_V ‖M̂_j‖₁; M* = M̂ − Σ_j s_j e_{a_j} e_jᵀ (anchors are on
    ///   the supports, so M*'s off-support entries and mass are M̂'s) has ‖M* Hᵀ‖ ≤ ‖M̂ Hᵀ‖ + γ_V·`anchorSlack`;
    /// * every entry of X̂ = fl(M̂ Hᵀ) sums at most m' products: ‖X̂ − M̂ Hᵀ‖_F ≤ γ_{m'} ‖M̂‖_F ‖H‖_F;
    /// * Σ x̂² summed per row or column (≤ V or d terms, nonnegative), then over them, with the square
    ///   root: ‖X̂‖ ≤ √(computed) (1 + γ_{V+d+2}); μ ≥ μ̂ (1 − γ_{V+m'}) alike;
    /// * the few operations here: (1 + 16u).
    /// About (V + d)·10⁻¹⁶ relative on dense and positional one-hot H (3e-12 at V = 9,052, d = 2V).
    func bound(sumOfSquares: Double) -> Double? {
        let u = Double.ulpOfOne / 2
        func gamma(_ n: Int) -> Double { Double(n) * u / (1 - Double(n) * u) }
        let columns = anchorValues.count
        let norm = sumOfSquares.squareRoot() * (1 + gamma(V + d + 2)) + gamma(columns) * squares.squareRoot() * hNorm
            + gamma(V) * anchorSlack
        let value = norm / (mass * (1 - gamma(V + columns))) * (1 + 16 * u)
        return value.isFinite ? value : nil
    }
}
