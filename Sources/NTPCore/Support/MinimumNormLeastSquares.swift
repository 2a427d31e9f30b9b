import COpenBLAS

/// LAPACK's dgelsd: the minimum-norm x minimising ‖A x − b‖₂, through the SVD of A.
///
/// Why the SVD on A itself rather than a Cholesky factor of AᵀA: the systems solved here (near-duplicate
/// contexts ε apart) have A's condition near 1/ε, which AᵀA squares past what float64 resolves.
enum MinimumNormLeastSquares {
    /// x for the `rows` × `cols` column-major `a` and `count` right-hand sides `b` (`rows` × `count`,
    /// column-major); x is `cols` × `count`, column-major. Singular values below `rcond` · σ_max count as
    /// zero (a negative `rcond` means machine precision). nil when LAPACK fails.
    static func solve(_ a: [Double], rows: Int, cols: Int, b: [Double], count: Int = 1, rcond: Double = -1) -> [Double]? {
        var spectrum: (singularValues: [Double], rank: Int) = ([], 0)
        return solve(a, rows: rows, cols: cols, b: b, count: count, rcond: rcond, spectrum: &spectrum)
    }

    /// As `solve`, also giving A's singular values (descending) and the rank that `rcond` kept.
    static func solve(_ a: [Double], rows: Int, cols: Int, b: [Double], count: Int = 1, rcond: Double = -1,
                      spectrum: inout (singularValues: [Double], rank: Int)) -> [Double]? {
        guard rows > 0, cols > 0, count > 0, a.count == rows * cols, b.count == rows * count else { return nil }
        var a = a
        let ld = max(rows, cols)
        var rhs = [Double](repeating: 0, count: ld * count)
        for k in 0..<count { for i in 0..<rows { rhs[k * ld + i] = b[k * rows + i] } }
        var m = Int32(rows), n = Int32(cols), nrhs = Int32(count), lda = Int32(rows), ldb = Int32(ld)
        var s = [Double](repeating: 0, count: min(rows, cols)), rcond = rcond, rank: Int32 = 0, info: Int32 = 0
        var lwork: Int32 = -1, query = 0.0, iquery: Int32 = 0
        dgelsd_(&m, &n, &nrhs, &a, &lda, &rhs, &ldb, &s, &rcond, &rank, &query, &lwork, &iquery, &info)
        guard info == 0 else { return nil }
        lwork = Int32(query)
        var work = [Double](repeating: 0, count: max(1, Int(lwork)))
        var iwork = [Int32](repeating: 0, count: max(1, Int(iquery)))
        dgelsd_(&m, &n, &nrhs, &a, &lda, &rhs, &ldb, &s, &rcond, &rank, &work, &lwork, &iwork, &info)
        guard info == 0 else { return nil }
        spectrum = (s, Int(rank))
        var x = [Double](repeating: 0, count: cols * count)
        for k in 0..<count { for i in 0..<cols { x[k * cols + i] = rhs[k * ld + i] } }
        return x
    }
}
