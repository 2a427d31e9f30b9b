import COpenBLAS

/// G = HᵀH of a dense H (d × m, column-major) with full column rank, factored once: every W whose
/// logits W H are a given V × m matrix L is then W = L G⁻¹ Hᵀ (theory.md §4, logit-space reduction).
struct FullRankGram {
    let h: [Double]
    let d: Int, m: Int
    /// The Cholesky factor of G (lower triangle, column-major m × m).
    let factor: [Double]
    /// G itself (symmetric, m × m) when asked for: the block steps of the NTP-SVM dual read its rows.
    let gram: [Double]?

    /// nil when m is 0 or above 12,000 (m² doubles) or G has no Cholesky factor (H rank deficient).
    init?(h: [Double], d: Int, m: Int, keepGram: Bool) {
        guard m > 0, m <= 12_000 else { return nil }
        var g = [Double](repeating: 0, count: m * m)
        // H is column-major d × m: G = HᵀH, lower triangle only (all dpotrf reads): half a GEMM's flops.
        cblas_dsyrk(CblasColMajor, CblasLower, CblasTrans, Int32(m), Int32(d), 1, h, Int32(d), 0, &g, Int32(m))
        var full: [Double]? = nil
        if keepGram {
            var s = g
            for j in 0..<m { for i in (j + 1)..<m { s[i * m + j] = s[j * m + i] } }
            full = s
        }
        var info: Int32 = 0, n = Int32(m), lda = Int32(m)
        var uplo = Int8(UInt8(ascii: "L"))
        dpotrf_(&uplo, &n, &g, &lda, &info)
        guard info == 0 else { return nil }
        self.h = h; self.d = d; self.m = m; factor = g; gram = full
    }

    /// W = L G⁻¹ Hᵀ (V × d, row-major) for logits L given V × m row-major (that is Lᵀ, m × V
    /// column-major); nil when the solve fails or W is not finite.
    func weights(logits: [Double], vocabularySize V: Int) -> [Double]? {
        var x = logits
        var info: Int32 = 0, n = Int32(m), lda = Int32(m), nrhs = Int32(V), ldb = Int32(m)
        var uplo = Int8(UInt8(ascii: "L"))
        dpotrs_(&uplo, &n, &nrhs, factor, &lda, &x, &ldb, &info)
        guard info == 0 else { return nil }
        // Wᵀ = H X (d × V column-major) is W (V × d) row-major.
        var w = [Double](repeating: 0, count: V * d)
        cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, Int32(d), Int32(V), Int32(m), 1, h, Int32(d), x, Int32(m), 0, &w, Int32(d))
        return w.allSatisfy(\.isFinite) ? w : nil
    }
}
