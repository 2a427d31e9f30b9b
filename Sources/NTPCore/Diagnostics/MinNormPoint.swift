import COpenBLAS
import NTPFormats

/// How Wolfe's method ended.
struct MinNormPointOutcome {
    enum Kind { case separable, notSeparable, atThreshold, undecided }
    var kind: Kind
    /// x = Σ λ_i A_i as a row-major V × d matrix (W ⊥ 𝓕 up to round-off); set unless undecided early.
    var point: [Double]?
    /// min_{j,v} ⟨x, A_{j,v}⟩ at `point`.
    var minMargin: Double
    /// λ on the active pairs (context j, off-support token v), Σλ = 1.
    var alpha: [ConstraintMultiplier]
    /// −c on the basis ties (context j, token z): Σ α C + Σ β T = x.
    var beta: [ConstraintMultiplier]
    /// Certified bracket on γ* (units of H) and the scale √2 max‖h̄_j‖.
    var lower: Double, upper: Double, scale: Double
    /// Major iterations (oracle calls) and the final active-set size.
    var iterations: Int, activeSize: Int
    var reason: String?
}

/// Wolfe's minimum-norm-point method (fully corrective Frank–Wolfe) on K = conv{A_{j,v}},
/// A_{j,v} = P_⊥((e_{a_j} − e_v) h̄_jᵀ) (theory.md §7).
///
/// dist(0, K) = γ*, the max normalized margin: the data are separable iff it is positive. Each major
/// iteration evaluates the linear oracle (the most violated pair: one logits pass x H), adds that pair to
/// an affinely independent active set, and re-solves the affine minimum-norm problem on the active set
/// exactly through an updated Cholesky factor of G_S + 11ᵀ, stepping back towards the hull when a
/// weight would turn negative (minor cycles). Any iterate x brackets γ*:
///     min_{j,v} ⟨x, A_{j,v}⟩ / ‖x‖ ≤ γ* ≤ ‖x‖,
/// so a positive left side is a separating W = x, and x → 0 leaves the active weights as Farkas
/// multipliers. Memory: the active set's r-vectors and its n × n factor, one V × d point and the
/// m × V logits; never the Σ_j (V − k_j) constraints.
final class WolfeMinNormPoint {
    let basis: TieBasis
    let data: DataSet
    /// Dense H (column-major d × m) for GEMM logits, or nil (sparse features: per-entry logits).
    let denseH: [Double]?
    /// τ, relative to `scale`.
    let tolerance: Double
    /// Stop at the first W with all margins ≥ 10τ·scale·‖W‖ (a verdict) rather than at the minimum-norm point (W^mm).
    var stopAtFirstSeparating = true
    var maxIterations = 1_000_000

    init(basis: TieBasis, data: DataSet, features: ContextFeatures, tolerance: Double) {
        self.basis = basis
        self.data = data
        if case .dense(let h) = features.storage { denseH = h } else { denseH = nil }
        self.tolerance = tolerance
    }

    func run(deadline: Double) -> MinNormPointOutcome {
        let V = basis.vocabularySize, m = basis.contextCount, d = basis.dimension, r = basis.rank
        let live = (0..<m).filter { data.supportSize($0) > 0 && data.supportSize($0) < V }
        var scale = 0.0
        for j in live { scale = max(scale, basis.columns.norm(j)) }
        scale *= 2.0.squareRoot()
        var outcome = MinNormPointOutcome(kind: .undecided, point: nil, minMargin: 0, alpha: [], beta: [],
                                          lower: 0, upper: .infinity, scale: scale, iterations: 0, activeSize: 0)
        guard let first = live.first else {
            // No off-support pair at all: every W ⊥ 𝓕 (W = 0 included) satisfies the empty margin set.
            outcome.kind = .separable; outcome.point = [Double](repeating: 0, count: V * d)
            outcome.minMargin = .infinity; outcome.lower = .infinity
            return outcome
        }
        if scale == 0 {
            outcome.kind = .notSeparable; outcome.upper = 0
            outcome.alpha = [ConstraintMultiplier(context: first, token: firstOffSupport(first), weight: 1)]
            return outcome
        }

        var active: [(j: Int, v: Int)] = []
        var lambda: [Double] = []
        var reduced: [Double] = []               // n × r, row i = s(C_i)
        var cap = 64
        var factor = [Double](repeating: 0, count: cap * cap)   // R, column-major, leading dimension cap
        var x = [Double](repeating: 0, count: V * d)
        var logits = [Double](repeating: 0, count: m * V)
        var sigma = [Double](repeating: 0, count: max(r, 1))
        var sNew = [Double](repeating: 0, count: max(r, 1))
        var column = [Double](repeating: 0, count: cap)
        var inSupport = [Bool](repeating: false, count: V)

        func grow() {
            let newCap = cap * 2
            var f = [Double](repeating: 0, count: newCap * newCap)
            for c in 0..<active.count { for i in 0...c { f[c * newCap + i] = factor[c * cap + i] } }
            factor = f; cap = newCap
            column = [Double](repeating: 0, count: cap)
        }

        /// Appends pair (j, v); returns false when it is affinely dependent on the active set (round-off).
        func append(_ j: Int, _ v: Int) -> Bool {
            let n = active.count
            if r > 0 { sNew.withUnsafeMutableBufferPointer { basis.reducedProjection(context: j, token: v, into: $0.baseAddress!) } }
            var selfNorm = basis.constraintDot(j, v, j, v)
            if r > 0 { selfNorm -= cblas_ddot(Int32(r), sNew, 1, sNew, 1) }
            if n == cap { grow() }
            for i in 0..<n { column[i] = basis.constraintDot(active[i].j, active[i].v, j, v) + 1 }
            if r > 0 && n > 0 {
                reduced.withUnsafeBufferPointer { sp in
                    cblas_dgemv(CblasRowMajor, CblasNoTrans, Int32(n), Int32(r), -1, sp.baseAddress!, Int32(r),
                                sNew, 1, 1, &column, 1)
                }
            }
            var rhoSquared = selfNorm + 1
            if n > 0 {
                factor.withUnsafeBufferPointer { fp in
                    cblas_dtrsv(CblasColMajor, CblasUpper, CblasTrans, CblasNonUnit, Int32(n), fp.baseAddress!, Int32(cap), &column, 1)
                }
                rhoSquared -= cblas_ddot(Int32(n), column, 1, column, 1)
            }
            guard rhoSquared > 1e-13 * (max(selfNorm, 0) + 1) else { return false }
            for i in 0..<n { factor[n * cap + i] = column[i] }
            factor[n * cap + n] = rhoSquared.squareRoot()
            active.append((j, v)); lambda.append(0)
            reduced.append(contentsOf: sNew.prefix(r))
            return true
        }

        /// Removes active pair k and restores the triangular factor with Givens rotations.
        func remove(_ k: Int) {
            let n = active.count
            for c in k..<(n - 1) { for i in 0...(c + 1) { factor[c * cap + i] = factor[(c + 1) * cap + i] } }
            for i in k..<(n - 1) {
                let a = factor[i * cap + i], b = factor[i * cap + i + 1]
                let h = (a * a + b * b).squareRoot()
                guard h > 0 else { continue }
                let c = a / h, s = b / h
                for col in i..<(n - 1) {
                    let p = factor[col * cap + i], q = factor[col * cap + i + 1]
                    factor[col * cap + i] = c * p + s * q
                    factor[col * cap + i + 1] = -s * p + c * q
                }
            }
            for i in 0..<n { factor[(n - 1) * cap + i] = 0 }
            active.remove(at: k); lambda.remove(at: k)
            if r > 0 { reduced.removeSubrange((k * r)..<((k + 1) * r)) }
        }

        /// The affine minimum-norm weights of the active set: (G_S + 11ᵀ) u = 1, normalised.
        func affineWeights() -> [Double] {
            let n = active.count
            var u = [Double](repeating: 1, count: n)
            factor.withUnsafeBufferPointer { fp in
                cblas_dtrsv(CblasColMajor, CblasUpper, CblasTrans, CblasNonUnit, Int32(n), fp.baseAddress!, Int32(cap), &u, 1)
                cblas_dtrsv(CblasColMajor, CblasUpper, CblasNoTrans, CblasNonUnit, Int32(n), fp.baseAddress!, Int32(cap), &u, 1)
            }
            let s = u.reduce(0, +)
            return u.map { $0 / s }
        }

        _ = append(first, firstOffSupport(first))
        lambda[0] = 1
        var iteration = 0
        while true {
            iteration += 1
            // x = Σ λ_i C_i − Σ_t c_t T_t with c = L⁻ᵀ Σ λ_i s_i.
            let n = active.count
            if r > 0 {
                reduced.withUnsafeBufferPointer { sp in
                    cblas_dgemv(CblasRowMajor, CblasTrans, Int32(n), Int32(r), 1, sp.baseAddress!, Int32(r), lambda, 1, 0, &sigma, 1)
                }
                sigma.withUnsafeMutableBufferPointer { basis.tieCoefficients($0.baseAddress!) }
            }
            for i in 0..<x.count { x[i] = 0 }
            x.withUnsafeMutableBufferPointer { xp in
                for (i, p) in active.enumerated() {
                    basis.addRankOne(xp.baseAddress!, context: p.j, plus: basis.anchors[p.j], minus: p.v, weight: lambda[i])
                }
                for t in 0..<r {
                    let tie = basis.ties[t]
                    basis.addRankOne(xp.baseAddress!, context: tie.context, plus: tie.token, minus: basis.anchors[tie.context], weight: -sigma[t])
                }
            }
            let norm = cblas_dnrm2(Int32(x.count), x, 1)
            let (mu, worst) = oracle(x, live: live, logits: &logits, inSupport: &inSupport)
            outcome.upper = min(outcome.upper, norm)
            if norm > 0 { outcome.lower = max(outcome.lower, mu / norm) }
            outcome.iterations = iteration; outcome.activeSize = n

            let tau = tolerance * scale
            let optimal = mu >= norm * norm - 1e-12 * scale * scale
            if mu > 0 && norm > 0 && mu / norm >= 10 * tau && (stopAtFirstSeparating || optimal) {
                outcome.kind = .separable
            } else if norm <= tau {
                outcome.kind = .notSeparable
            } else if optimal {
                // The minimum-norm point is reached and ‖x‖ = γ* is in (τ, 10τ]·scale, or its margins
                // have not yet cleared 10τ: too close to zero to call.
                outcome.kind = norm < 10 * tau ? .atThreshold : .undecided
                outcome.reason = outcome.kind == .atThreshold ? nil : "minimum-norm point reached with min margin \(mu) ≤ 10τ"
            } else if monotonicSeconds() > deadline {
                outcome.reason = "time limit reached after \(iteration) Wolfe iterations (active set \(n))"
            } else if iteration >= maxIterations {
                outcome.reason = "iteration limit \(maxIterations) reached"
            } else if !append(worst.j, worst.v) {
                // The oracle's pair is (numerically) in the active set's affine hull: no progress is possible in float64.
                outcome.kind = outcome.upper < 10 * tau ? .atThreshold : .undecided
                outcome.reason = "the most violated pair is affinely dependent on the active set (round-off) at ‖x‖ = \(norm)"
            } else {
                // Minor cycles: move to the affine minimum-norm point, stepping back to the hull when needed.
                while true {
                    let w = affineWeights()
                    if w.allSatisfy({ $0 > 0 }) { lambda = w; break }
                    var theta = 1.0
                    for i in 0..<w.count where w[i] <= 0 { theta = min(theta, lambda[i] / (lambda[i] - w[i])) }
                    for i in 0..<w.count { lambda[i] += theta * (w[i] - lambda[i]) }
                    var k = active.count - 1
                    while k >= 0 {
                        if lambda[k] <= 1e-15 { remove(k) }
                        k -= 1
                    }
                    let s = lambda.reduce(0, +)
                    for i in 0..<lambda.count { lambda[i] /= s }
                    if active.count <= 1 { if active.count == 1 { lambda[0] = 1 }; break }
                }
                continue
            }
            outcome.point = x
            outcome.minMargin = mu
            outcome.alpha = active.indices.map { ConstraintMultiplier(context: active[$0].j, token: active[$0].v, weight: lambda[$0]) }
            outcome.beta = (0..<r).compactMap { t in
                sigma[t] == 0 ? nil : ConstraintMultiplier(context: basis.ties[t].context, token: basis.ties[t].token, weight: -sigma[t])
            }
            return outcome
        }
    }

    private func firstOffSupport(_ j: Int) -> Int {
        var v = 0
        for e in data.rowOffsets[j]..<data.rowOffsets[j + 1] where Int(data.columns[e]) == v { v += 1 }
        return v
    }

    /// min_{j,v} ⟨x, A_{j,v}⟩ = min_j (ℓ_{a_j} − max_{v∉S_j} ℓ_v) for x ⊥ 𝓕, and its pair.
    private func oracle(_ x: [Double], live: [Int], logits: inout [Double], inSupport: inout [Bool]) -> (Double, (j: Int, v: Int)) {
        let V = basis.vocabularySize, m = basis.contextCount, d = basis.dimension
        if let h = denseH {
            // Logits m × V row-major: row j = (x h̄_j)ᵀ.
            h.withUnsafeBufferPointer { hp in
                cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(V), Int32(d), 1,
                            hp.baseAddress!, Int32(d), x, Int32(d), 0, &logits, Int32(V))
            }
        } else {
            x.withUnsafeBufferPointer { xp in
                for j in live { for v in 0..<V { logits[j * V + v] = basis.columns.logit(xp, row: v, context: j) } }
            }
        }
        var best = Double.infinity, pair = (j: -1, v: -1)
        for j in live {
            let range = data.rowOffsets[j]..<data.rowOffsets[j + 1]
            for e in range { inSupport[Int(data.columns[e])] = true }
            let base = j * V
            var top = -Double.infinity, arg = -1
            for v in 0..<V where !inSupport[v] && logits[base + v] > top { top = logits[base + v]; arg = v }
            for e in range { inSupport[Int(data.columns[e])] = false }
            let margin = logits[base + basis.anchors[j]] - top
            if margin < best { best = margin; pair = (j, arg) }
        }
        return (best, pair)
    }
}
