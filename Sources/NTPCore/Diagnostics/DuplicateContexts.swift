import COpenBLAS
import NTPFormats

/// "Not separable" from two contexts with the same embedding and different supports, or from one context
/// whose embedding is 0 (theory.md §2), with a Farkas pair whose residual is exactly 0. Parallel contexts
/// (h̄_j = s·h̄_i, s > 0) are the same case: W gives them the same logit order, and the pair, its weights on i
/// scaled by s, has a residual at round-off.
///
/// W gives equal embeddings equal logits. Take z in one support S_p but not in the other, S_q: context q
/// needs ℓ_{a_q} − ℓ_z ≥ 1, while context p ties z to its anchor a_p and either ties a_q to a_p as well
/// (a_q ∈ S_p) or needs ℓ_{a_p} − ℓ_{a_q} ≥ 1 (a_q ∉ S_p); the sum is 0 ≥ 1 or 0 ≥ 2. A zero embedding
/// gives every margin of its context the value 0.
///
/// Why a route of its own: embeddings from elsewhere (`file:H.npy`, a model with a short window) repeat
/// columns, and next to near-duplicate contexts the minimum-norm point stalls above round-off before it
/// isolates the exact pair (QA: such data came out "at the threshold"). Hashing the columns finds the pair
/// in one pass.
enum DuplicateContexts {
    /// A verified Farkas result, or nil when no two contexts share an embedding with different supports and
    /// no context with an off-support token has a zero embedding.
    static func decide(_ data: DataSet, features: ContextFeatures, options: SeparabilityOptions) -> SeparabilityResult? {
        guard !features.isIdentity else { return nil }
        let m = data.contextCount, V = data.vocabularySize
        let columns = EmbeddingColumns(features)
        var firstWithKey: [Int: [Int]] = [:]
        for j in 0..<m where data.supportSize(j) > 0 && data.supportSize(j) < V {
            let column = columns[j]
            guard let key = directionKey(column) else { return result(zeroEmbedding: j, data: data, features: features, options: options) }
            for i in firstWithKey[key, default: []] {
                if let s = positiveMultiple(column, of: columns[i]),
                   let r = result(duplicates: i, j, scale: s, data: data, features: features, options: options) { return r }
            }
            firstWithKey[key, default: []].append(j)
        }
        return nil
    }

    /// A hash of h̄_j's direction: its features, its sign, and its values over the one of largest magnitude on a grid of
    /// 2⁻³⁰, so that positive multiples share it up to rounding (duplicates are the multiple 1). nil for h̄_j = 0.
    private static func directionKey(_ column: [(feature: Int, value: Double)]) -> Int? {
        guard let top = column.max(by: { abs($0.value) < abs($1.value) })?.value, top != 0 else { return nil }
        var hasher = Hasher()
        hasher.combine(top > 0)
        for (f, x) in column { hasher.combine(f); hasher.combine((x / top * 0x1p30).rounded()) }
        return hasher.finalize()
    }

    /// s > 0 with h̄_j = s·h̄_i to round-off (‖h̄_j − s·h̄_i‖ ≤ 64 ε ‖h̄_j‖; exactly 1 for equal columns), or nil.
    private static func positiveMultiple(_ j: [(feature: Int, value: Double)], of i: [(feature: Int, value: Double)]) -> Double? {
        guard j.count == i.count, zip(j, i).allSatisfy({ $0.feature == $1.feature }) else { return nil }
        if zip(j, i).allSatisfy({ $0.value == $1.value }) { return 1 }
        let ji = zip(j, i).reduce(0) { $0 + $1.0.value * $1.1.value }, ii = i.reduce(0) { $0 + $1.value * $1.value }
        let jj = j.reduce(0) { $0 + $1.value * $1.value }, s = ji / ii
        guard s > 0, s.isFinite else { return nil }
        let gap = zip(j, i).reduce(0) { $0 + ($1.0.value - s * $1.1.value) * ($1.0.value - s * $1.1.value) }
        return gap <= (64 * .ulpOfOne) * (64 * .ulpOfOne) * jj ? s : nil
    }

    /// α = 1 on (j, v) for the first v ∉ S_j: its term (e_a − e_v) · 0 is 0.
    private static func result(zeroEmbedding j: Int, data: DataSet, features: ContextFeatures,
                               options: SeparabilityOptions) -> SeparabilityResult? {
        let support = support(j, data)
        guard let v = (0..<data.vocabularySize).first(where: { !support.contains($0) }) else { return nil }
        let cert = FarkasCertificate(marginMultipliers: [ConstraintMultiplier(context: j, token: v, weight: 1)],
                                     tieMultipliers: [], anchors: Separability.anchors(data))
        return verified(cert, "context #\(j) has a zero embedding", data: data, features: features, options: options)
    }

    /// The pair of the type comment for contexts i and j with h̄_j = scale·h̄_i, or nil when their supports agree.
    private static func result(duplicates i: Int, _ j: Int, scale: Double, data: DataSet, features: ContextFeatures,
                               options: SeparabilityOptions) -> SeparabilityResult? {
        guard let cert = pair(i, j, scale: scale, data: data) else { return nil }
        let how = scale == 1 ? "the same embedding" : "parallel embeddings (h̄_\(j) = \(String(format: "%.6g", scale))·h̄_\(i))"
        return verified(cert, "contexts #\(min(i, j)) and #\(max(i, j)) have \(how) and different supports",
                        data: data, features: features, options: options)
    }

    /// The multipliers of the type comment for contexts i and j, or nil when their supports agree. For
    /// embeddings ε apart its residual is O(ε): an upper end on γ* (`nearestPairBound`). With h̄_j = scale·h̄_i,
    /// i's multipliers are scaled by `scale` and all of them divided by Σα (the same numbers at scale 1).
    static func pair(_ i: Int, _ j: Int, scale: Double = 1, data: DataSet) -> FarkasCertificate? {
        let (si, sj) = (support(i, data), support(j, data))
        guard si != sj else { return nil }
        // z ∈ S_p \ S_q; when S_i ⊂ S_j the roles swap.
        let (p, q, sp) = si.subtracting(sj).isEmpty ? (j, i, sj) : (i, j, si)
        let z = sp.subtracting(p == i ? sj : si).min()!
        let anchors = Separability.anchors(data)
        let (ap, aq) = (anchors[p], anchors[q])
        var alpha: [ConstraintMultiplier] = [], beta: [ConstraintMultiplier] = []
        if sp.contains(aq) {
            alpha.append(ConstraintMultiplier(context: q, token: z, weight: 1))
            if z != ap { beta.append(ConstraintMultiplier(context: p, token: z, weight: 1)) }
            if aq != ap { beta.append(ConstraintMultiplier(context: p, token: aq, weight: -1)) }
        } else {
            alpha = [ConstraintMultiplier(context: q, token: z, weight: 0.5), ConstraintMultiplier(context: p, token: aq, weight: 0.5)]
            if z != ap { beta.append(ConstraintMultiplier(context: p, token: z, weight: 0.5)) }
        }
        let cert = FarkasCertificate(marginMultipliers: alpha, tieMultipliers: beta, anchors: anchors)
        return scale == 1 ? cert : cert.reweighted { $0 == i ? scale : 1 }
    }

    /// ‖R‖_F of the Farkas pair of the closest two contexts with different supports, among dense H's
    /// columns (d × m column-major) within 1e-5 of each other relative to their norms; nil when there are
    /// none. The Gram screens the pairs, and the distance is then taken from the columns themselves,
    /// since the Gram's round-off hides distances below 1e-8.
    ///
    /// The pair's ‖R‖_F bounds γ* from above whether or not it verifies to τ: any W with ‖W‖_F = 1, ties
    /// exact and margins ≥ γ gives γ ≤ Σα·margins = ⟨R, W⟩ ≤ ‖R‖_F.
    static func nearestPairBound(_ data: DataSet, h: [Double], features: ContextFeatures,
                                 options: SeparabilityOptions) -> Double? {
        let m = data.contextCount, d = features.dimension
        guard m >= 2, m <= 4_000 else { return nil }
        var g = [Double](repeating: 0, count: m * m)
        cblas_dsyrk(CblasColMajor, CblasUpper, CblasTrans, Int32(m), Int32(d), 1, h, Int32(d), 0, &g, Int32(m))
        var best: (distance: Double, i: Int, j: Int)? = nil
        for j in 0..<m where data.supportSize(j) > 0 {
            for i in 0..<j where data.supportSize(i) > 0 {
                let screen = g[i + i * m] + g[j + j * m] - 2 * g[i + j * m]
                guard screen <= 1e-10 * max(g[i + i * m], g[j + j * m]) else { continue }
                var distance = 0.0
                for f in 0..<d { let x = h[i * d + f] - h[j * d + f]; distance += x * x }
                if distance < best?.distance ?? .infinity, pair(i, j, data: data) != nil { best = (distance, i, j) }
            }
        }
        guard let best, let cert = pair(best.i, best.j, data: data) else { return nil }
        return Separability.verify(cert, data: data, features: features, tolerance: options.tolerance).residualNorm
    }

    private static func support(_ j: Int, _ data: DataSet) -> Set<Int> {
        Set(data.columns[data.rowOffsets[j]..<data.rowOffsets[j + 1]].map(Int.init))
    }

    private static func verified(_ cert: FarkasCertificate, _ why: String, data: DataSet, features: ContextFeatures,
                                 options: SeparabilityOptions) -> SeparabilityResult? {
        let check = Separability.verify(cert, data: data, features: features, tolerance: options.tolerance)
        guard check.valid else { return nil }
        var r = Separability.notSeparableResult(cert, check, upper: .infinity, scale: Separability.constraintScale(features))
        r.method = "duplicate contexts: \(why)"
        return r
    }
}

/// The nonzeros of h̄_j as (feature, value) pairs, read from dense features in place (a copy of a dense H
/// as `SparseContextColumns` would be 16 bytes per entry) and from sparse features through their columns.
private struct EmbeddingColumns {
    let features: ContextFeatures
    let sparse: SparseContextColumns?

    init(_ features: ContextFeatures) {
        self.features = features
        if case .dense = features.storage { sparse = nil } else { sparse = SparseContextColumns(features) }
    }

    subscript(j: Int) -> [(feature: Int, value: Double)] {
        if let s = sparse { return (s.offsets[j]..<s.offsets[j + 1]).map { (s.indices[$0], s.values[$0]) } }
        guard case .dense(let h) = features.storage else { return [] }
        let d = features.dimension
        return (0..<d).compactMap { f in h[j * d + f] == 0 ? nil : (f, h[j * d + f]) }
    }
}
