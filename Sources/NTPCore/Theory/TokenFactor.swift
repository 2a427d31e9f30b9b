import COpenBLAS

/// One token's contexts, factored for `DataSubspace.finitePartByElimination`: the n × d block H_v whose rows are
/// h̄_jᵀ for the contexts j whose support holds the token, as H_v = U Σ Vᵀ with the r columns of U and the σ
/// that count (its rank r).
struct TokenFactor {
    /// The token's support entries (their contexts ascending): row k of H_v is entry k's context.
    let entries: [Int]
    /// The first r columns of U, n × r column-major: an orthonormal basis of the range of H_v.
    let basis: [Double]
    /// σ_1 ≥ … ≥ σ_r > 0.
    let sigma: [Double]

    var count: Int { entries.count }
    var rank: Int { sigma.count }

    /// Singular values above this fraction of the largest but below `nearlyParallel` make the factor ambiguous.
    static func resolved(rows: Int, columns: Int) -> Double { 1000 * .ulpOfOne * Double(max(rows, columns)) }

    /// Whether some of `sigma` (descending, of a rows × columns block) lies between round-off (`resolved`) and
    /// `nearlyParallel` of the largest: float64 cannot tell whether such contexts span a direction. Shared with
    /// `DataSubspace.hasNearlyParallelContexts`.
    static func isAmbiguous(_ sigma: [Double], rows: Int, columns: Int, nearlyParallel: Double) -> Bool {
        guard let top = sigma.first else { return false }
        let cut = resolved(rows: rows, columns: columns) * top
        return sigma.contains { $0 > cut && $0 < nearlyParallel * top }
    }

    /// Factors `block` (rows × columns, column-major; destroyed). nil when LAPACK fails or a singular value lies
    /// between round-off (`resolved`) and `nearlyParallel` of the largest: float64 cannot tell whether such
    /// contexts span a direction (the case of contexts 1e-9 apart, QA round 18).
    init?(entries: [Int], block: inout [Double], columns: Int, nearlyParallel: Double) {
        let rows = entries.count, p = min(rows, columns)
        var u = [Double](repeating: 0, count: rows * p), vt = [Double](repeating: 0, count: p * columns)
        guard p > 0, let sigma = SingularValues.dgesdd("S", &block, rows: rows, columns: columns, u: &u, ldu: rows,
                                                      vt: &vt, ldvt: p) else { return nil }
        guard !Self.isAmbiguous(sigma, rows: rows, columns: columns, nearlyParallel: nearlyParallel) else { return nil }
        let top = sigma[0], cut = Self.resolved(rows: rows, columns: columns) * top
        let rank = top > 0 ? sigma.filter { $0 > cut }.count : 0
        self.entries = entries
        self.sigma = Array(sigma.prefix(rank))
        basis = Array(u.prefix(rows * rank))
    }

    /// P_v x = UUᵀx, the part of x the token's weights can fit.
    func projectOntoRange(_ x: [Double]) -> [Double] { basisProduct(x) { _ in 1 } }

    /// G_v⁺x = U Σ⁻² Uᵀx (G_v = H_v H_vᵀ): the coefficients α with H_v⁺x = H_vᵀα.
    func pseudoInverseGram(_ x: [Double]) -> [Double] { basisProduct(x) { 1 / (sigma[$0] * sigma[$0]) } }

    /// xᵀG_v x = ‖Σ Uᵀx‖² = ‖H_vᵀx‖²: the token's share of ‖𝓐x‖², without its row of W.
    func gramQuadraticForm(_ x: [Double]) -> Double {
        let y = basisCoefficients(x)
        return y.indices.reduce(0) { $0 + y[$1] * y[$1] * sigma[$1] * sigma[$1] }
    }

    /// Uᵀx.
    private func basisCoefficients(_ x: [Double]) -> [Double] {
        var y = [Double](repeating: 0, count: rank)
        if rank > 0 { cblas_dgemv(CblasColMajor, CblasTrans, Int32(count), Int32(rank), 1, basis, Int32(count), x, 1, 0, &y, 1) }
        return y
    }

    /// U D Uᵀx for the diagonal D with entries `diagonal(i)`.
    private func basisProduct(_ x: [Double], _ diagonal: (Int) -> Double) -> [Double] {
        var y = basisCoefficients(x), out = [Double](repeating: 0, count: count)
        guard rank > 0 else { return out }
        for i in 0..<rank { y[i] *= diagonal(i) }
        cblas_dgemv(CblasColMajor, CblasNoTrans, Int32(count), Int32(rank), 1, basis, Int32(count), y, 1, 0, &out, 1)
        return out
    }

    /// I − UUᵀ (n × n, symmetric), the projector onto the residuals H_v cannot fit; nil at full row rank.
    func residualProjector() -> [Double]? {
        guard rank < count else { return nil }
        var identity = [Double](repeating: 0, count: count * count)
        for i in 0..<count { identity[i * count + i] = 1 }
        return symmetricProduct(basis, alpha: -1, adding: identity)
    }

    /// U Σ⁻² Uᵀ = G_v⁺ (n × n, symmetric).
    func pseudoInverseGramMatrix() -> [Double] {
        var scaled = basis
        for c in 0..<rank { for i in 0..<count { scaled[c * count + i] /= sigma[c] } }
        return symmetricProduct(scaled, alpha: 1, adding: [Double](repeating: 0, count: count * count))
    }

    /// start + alpha · C Cᵀ for the n × r column-major C, both triangles filled.
    private func symmetricProduct(_ c: [Double], alpha: Double, adding start: [Double]) -> [Double] {
        var p = start
        guard rank > 0 else { return p }
        cblas_dsyrk(CblasColMajor, CblasLower, CblasNoTrans, Int32(count), Int32(rank), alpha, c, Int32(count), 1, &p, Int32(count))
        for i in 0..<count { for k in 0..<i { p[i * count + k] = p[k * count + i] } }
        return p
    }
}

extension Array where Element == TokenFactor {
    /// g = Σ_v E_vᵀ(I − P_v)x_v (m values): what the tokens' weights leave of x, summed per context; −g is the right-hand
    /// side of the shifts' normal equations A t = −g (`TokenElimination`).
    func unfittedSums(_ x: [Double], contexts: [Int], contextCount m: Int) -> [Double] {
        var g = [Double](repeating: 0, count: m)
        for f in self where f.rank < f.count {
            let xv = f.entries.map { x[$0] }, fitted = f.projectOntoRange(xv)
            for (k, e) in f.entries.enumerated() { g[contexts[e]] += xv[k] - fitted[k] }
        }
        return g
    }

    /// The coordinates α_v = G_v⁺(x_v + t_{J_v}) of every token's least-norm row for the shifts t (one per context):
    /// W = Σ_e α_e e_{v(e)} h̄_{j(e)}ᵀ.
    func coordinates(_ x: [Double], shifts t: [Double], contexts: [Int]) -> [Double] {
        var alpha = [Double](repeating: 0, count: contexts.count)
        for f in self {
            let shifted = f.entries.map { x[$0] + t[contexts[$0]] }
            for (k, value) in f.pseudoInverseGram(shifted).enumerated() { alpha[f.entries[k]] = value }
        }
        return alpha
    }

    /// ‖𝓐y‖ = (Σ_v y_vᵀG_v y_v)^½ from the factors: no V × d array (3 GB a copy for positional one-hot features on
    /// the KJV, where two of them took most of an 18 s solve).
    func synthesizedNorm(_ y: [Double]) -> Double {
        reduce(0) { $0 + $1.gramQuadraticForm($1.entries.map { y[$0] }) }.squareRoot()
    }
}
