import COpenBLAS

/// The eigendecomposition of a dense symmetric matrix by LAPACK.
enum SymmetricEigen {
    /// The eigenvalues of the symmetric n × n `matrix` (ascending); the matrix is overwritten by the eigenvectors
    /// (column i holds eigenvalue i's). `divideAndConquer` uses dsyevd (several times faster for n in the
    /// thousands, more workspace) instead of dsyev. nil when LAPACK fails.
    static func decompose(_ matrix: inout [Double], n size: Int, divideAndConquer: Bool = false) -> [Double]? {
        var eigen = [Double](repeating: 0, count: size)
        var jobz = Int8(UInt8(ascii: "V")), uplo = Int8(UInt8(ascii: "L"))
        var n = Int32(size), lda = Int32(max(1, size)), info: Int32 = 0, lwork: Int32 = -1, query = 0.0
        guard divideAndConquer else {
            dsyev_(&jobz, &uplo, &n, &matrix, &lda, &eigen, &query, &lwork, &info)
            lwork = Int32(query)
            var work = [Double](repeating: 0, count: max(1, Int(lwork)))
            dsyev_(&jobz, &uplo, &n, &matrix, &lda, &eigen, &work, &lwork, &info)
            return info == 0 ? eigen : nil
        }
        var liwork: Int32 = -1, iquery: Int32 = 0
        dsyevd_(&jobz, &uplo, &n, &matrix, &lda, &eigen, &query, &lwork, &iquery, &liwork, &info)
        guard info == 0 else { return nil }
        lwork = Int32(query); liwork = iquery
        var work = [Double](repeating: 0, count: max(1, Int(lwork)))
        var iwork = [Int32](repeating: 0, count: max(1, Int(liwork)))
        dsyevd_(&jobz, &uplo, &n, &matrix, &lda, &eigen, &work, &lwork, &iwork, &liwork, &info)
        return info == 0 ? eigen : nil
    }
}
