import COpenBLAS

/// The least-norm least-squares solutions of P_U(W H) = x over W, for any right-hand side x on the support
/// entries, by eliminating every token's weights (`DataSubspace.finitePartByElimination` with x = c, and the
/// projection onto 𝓕 with x = P_U(W H)).
///
/// The system asks, for every support entry (j, v), that (W h̄_j)_v = x_jv + t_j for some shift t_j per context.
/// For fixed shifts each token's row is an independent least-squares fit, W_v = H_v⁺(x_v + t_{J_v}) (H_v: the rows
/// h̄_jᵀ of the contexts J_v whose support holds v; `TokenFactor`), which leaves min_t Σ_v ‖(I − P_v)(x_v + t_{J_v})‖²
/// (P_v: the projector onto the range of H_v) with normal equations A t = −g, A = Σ_v E_vᵀ(I − P_v)E_v (E_v picks
/// J_v). Shifts along null(A) leave the residual unchanged; the one of least ‖W‖ solves (NᵀKN) z = −Nᵀκ with
/// K = Σ_v E_vᵀG_v⁺E_v (G_v = H_vH_vᵀ) and κ = Σ_v E_vᵀG_v⁺(x_v + t_{J_v}), positive definite: a shift in null(A)
/// that no token's weights see lies in and orthogonal to every range(H_v), so it is 0. The least-norm solution
/// lies in 𝓕, so it is W* for x = c and P_𝓕(W) for x = P_U(W H).
///
/// Everything that does not depend on x (A's eigenvectors, the null basis N, K N and the Cholesky factor of NᵀKN)
/// is formed once; one right-hand side then costs O(Σ_v n_v r_v + m²).
final class TokenElimination {
    let factors: [TokenFactor]
    private let contextCount: Int
    private let entryContext: [Int]
    /// Contexts some token constrains (A's row is not 0), A's eigenvectors there with a resolved eigenvalue
    /// (column-major, constrained × kept) and the reciprocals of those eigenvalues.
    private let constrained: [Int], eigenvectors: [Double], inverseEigenvalues: [Double]
    /// N (m × k, column-major: A's null eigenvectors and the unconstrained contexts' unit vectors), K N, and the
    /// lower Cholesky factor of NᵀKN (k × k).
    private let null: [Double], kTimesNull: [Double], cholesky: [Double]

    /// nil when LAPACK fails, A has an eigenvalue float64 cannot call zero or not (between 1000·ε·m and 1e-8 of
    /// the largest), or NᵀKN does not factor.
    init?(factors: [TokenFactor], contextCount m: Int, entryContext: [Int]) {
        self.factors = factors
        contextCount = m
        self.entryContext = entryContext
        var a = [Double](repeating: 0, count: m * m)
        for f in factors { if let p = f.residualProjector() { Self.scatter(p, of: f, contexts: entryContext, into: &a, m: m) } }
        let constrained = (0..<m).filter { a[$0 * m + $0] > 0 }, mc = constrained.count
        var reduced = [Double](repeating: 0, count: mc * mc)
        for (x, i) in constrained.enumerated() { for (y, j) in constrained.enumerated() { reduced[x * mc + y] = a[i * m + j] } }
        a = []
        guard let lambda = SymmetricEigen.decompose(&reduced, n: mc, divideAndConquer: true) else { return nil }
        let top = lambda.last ?? 0, zero = 1000 * .ulpOfOne * Double(mc) * top
        if lambda.contains(where: { $0 > zero && $0 < 1e-8 * top }) { return nil }
        let kept = lambda.indices.filter { lambda[$0] > zero }
        var null: [Double] = []
        for i in lambda.indices where lambda[i] <= zero {
            var column = [Double](repeating: 0, count: m)
            for (x, j) in constrained.enumerated() { column[j] = reduced[i * mc + x] }
            null += column
        }
        var isConstrained = [Bool](repeating: false, count: m)
        for j in constrained { isConstrained[j] = true }
        for j in 0..<m where !isConstrained[j] {
            var column = [Double](repeating: 0, count: m)
            column[j] = 1
            null += column
        }
        self.constrained = constrained
        eigenvectors = kept.flatMap { reduced[($0 * mc)..<($0 * mc + mc)] }
        inverseEigenvalues = kept.map { 1 / lambda[$0] }
        self.null = null
        guard let (kn, factor) = Self.leastNormSystem(factors, null: null, contexts: entryContext, m: m) else { return nil }
        kTimesNull = kn
        cholesky = factor
    }

    /// K N and the Cholesky factor of NᵀKN (nil when it does not factor); both empty without a null space.
    private static func leastNormSystem(_ factors: [TokenFactor], null: [Double], contexts: [Int], m: Int)
        -> (kn: [Double], factor: [Double])? {
        let k = null.count / m
        guard k > 0 else { return ([], []) }
        var gram = [Double](repeating: 0, count: m * m)
        for f in factors { scatter(f.pseudoInverseGramMatrix(), of: f, contexts: contexts, into: &gram, m: m) }
        var kn = [Double](repeating: 0, count: m * k), nkn = [Double](repeating: 0, count: k * k)
        cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(k), Int32(m), 1, gram, Int32(m), null, Int32(m), 0, &kn, Int32(m))
        gram = []
        cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, Int32(k), Int32(k), Int32(m), 1, null, Int32(m), kn, Int32(m), 0, &nkn, Int32(k))
        var uplo = Int8(UInt8(ascii: "L")), n = Int32(k), info: Int32 = 0
        dpotrf_(&uplo, &n, &nkn, &n, &info)
        return info == 0 ? (kn, nkn) : nil
    }

    /// Coordinates α (one per support entry) with W = Σ_e α_e e_{v(e)} h̄_{j(e)}ᵀ the least-norm least-squares
    /// solution of P_U(W H) = x.
    func coordinates(_ x: [Double]) -> [Double] {
        let m = contextCount
        let g = factors.unfittedSums(x, contexts: entryContext, contextCount: m)
        // t = −A⁺g through the kept eigenvectors.
        let mc = constrained.count, kept = inverseEigenvalues.count
        var t = [Double](repeating: 0, count: m)
        if kept > 0 {
            let gc = constrained.map { g[$0] }
            var y = [Double](repeating: 0, count: kept), tc = [Double](repeating: 0, count: mc)
            cblas_dgemv(CblasColMajor, CblasTrans, Int32(mc), Int32(kept), 1, eigenvectors, Int32(mc), gc, 1, 0, &y, 1)
            for i in 0..<kept { y[i] *= -inverseEigenvalues[i] }
            cblas_dgemv(CblasColMajor, CblasNoTrans, Int32(mc), Int32(kept), 1, eigenvectors, Int32(mc), y, 1, 0, &tc, 1)
            for (x, j) in constrained.enumerated() { t[j] = tc[x] }
        }
        if !null.isEmpty { shiftToLeastNorm(&t, x) }
        return factors.coordinates(x, shifts: t, contexts: entryContext)
    }

    /// t += N z with (NᵀKN) z = −Nᵀκ, κ = s + K t, s = Σ_v E_vᵀG_v⁺x_v.
    private func shiftToLeastNorm(_ t: inout [Double], _ x: [Double]) {
        let m = contextCount, k = null.count / m
        var s = [Double](repeating: 0, count: m)
        for f in factors {
            for (i, value) in f.pseudoInverseGram(f.entries.map { x[$0] }).enumerated() { s[entryContext[f.entries[i]]] += value }
        }
        var z = [Double](repeating: 0, count: k)
        cblas_dgemv(CblasColMajor, CblasTrans, Int32(m), Int32(k), -1, null, Int32(m), s, 1, 0, &z, 1)
        cblas_dgemv(CblasColMajor, CblasTrans, Int32(m), Int32(k), -1, kTimesNull, Int32(m), t, 1, 1, &z, 1)
        var uplo = Int8(UInt8(ascii: "L")), n = Int32(k), one: Int32 = 1, info: Int32 = 0
        dpotrs_(&uplo, &n, &one, cholesky, &n, &z, &n, &info)
        cblas_dgemv(CblasColMajor, CblasNoTrans, Int32(m), Int32(k), 1, null, Int32(m), z, 1, 1, &t, 1)
    }

    /// E_vᵀ P E_v added to the m × m `matrix`, for a token's n × n symmetric `p`.
    private static func scatter(_ p: [Double], of f: TokenFactor, contexts: [Int], into matrix: inout [Double], m: Int) {
        let n = f.count, rows = f.entries.map { contexts[$0] }
        matrix.withUnsafeMutableBufferPointer { out in
            p.withUnsafeBufferPointer { pp in
                for k in 0..<n {
                    let column = pp.baseAddress! + k * n, target = out.baseAddress! + rows[k] * m
                    for l in 0..<n { target[rows[l]] += column[l] }
                }
            }
        }
    }
}
