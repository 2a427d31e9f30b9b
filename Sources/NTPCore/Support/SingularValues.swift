import COpenBLAS

/// The singular value decomposition of a small dense matrix by LAPACK's dgesdd.
enum SingularValues {
    /// σ of `a` (rows × columns, column-major; copied, not changed), largest first, or nil when LAPACK fails.
    static func of(_ a: [Double], rows: Int, columns: Int) -> [Double]? {
        var copy = a, u = [0.0], vt = [0.0]
        return dgesdd("N", &copy, rows: rows, columns: columns, u: &u, ldu: 1, vt: &vt, ldvt: 1)
    }

    /// dgesdd with its workspace query: σ (largest first), or nil when LAPACK fails. `a` (column-major) is
    /// destroyed; `u` and `vt` receive what `job` asks for ("N": nothing, "S": the economy factors, "A": all).
    static func dgesdd(_ job: Character, _ a: inout [Double], rows: Int, columns: Int,
                       u: inout [Double], ldu: Int, vt: inout [Double], ldvt: Int) -> [Double]? {
        var jobz = Int8(job.asciiValue!)
        var mm = Int32(rows), nn = Int32(columns), lda = Int32(max(1, rows)), lu = Int32(ldu), lvt = Int32(ldvt)
        var sigma = [Double](repeating: 0, count: min(rows, columns))
        var iwork = [Int32](repeating: 0, count: 8 * min(rows, columns))
        var query = 0.0, lwork: Int32 = -1, info: Int32 = 0
        dgesdd_(&jobz, &mm, &nn, &a, &lda, &sigma, &u, &lu, &vt, &lvt, &query, &lwork, &iwork, &info)
        guard info == 0 else { return nil }
        lwork = Int32(query)
        var work = [Double](repeating: 0, count: Int(lwork))
        dgesdd_(&jobz, &mm, &nn, &a, &lda, &sigma, &u, &lu, &vt, &lvt, &work, &lwork, &iwork, &info)
        return info == 0 ? sigma : nil
    }
}
