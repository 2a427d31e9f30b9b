import COpenBLAS

/// The Cholesky factor R of RᵀR = G_S + 11ᵀ for an affinely independent point set S (G_S its Gram
/// matrix), kept through appends and removals together with w = R⁻ᵀ 1, so that the affine
/// minimum-norm weights of S cost one triangular solve (Wolfe's method, theory.md §7).
///
/// R is row-major with leading dimension `capacity`: a removal rotates adjacent rows, which is then
/// contiguous memory.
struct AffineHullFactor {
    /// |S|.
    private(set) var size = 0
    private var capacity = 64
    private var factor: [Double]
    private var forward: [Double] = []

    init() { factor = [Double](repeating: 0, count: capacity * capacity) }

    private mutating func grow(to n: Int) {
        var newCapacity = capacity
        while newCapacity < n { newCapacity *= 2 }
        guard newCapacity > capacity else { return }
        var f = [Double](repeating: 0, count: newCapacity * newCapacity)
        for i in 0..<size { for c in i..<size { f[i * newCapacity + c] = factor[i * capacity + c] } }
        factor = f; capacity = newCapacity
    }

    /// Appends k points, given G + 1 against the current set (`cross`, size × k row-major) and among
    /// themselves (`block(l2, l)` for l2 ≤ l). A point whose pivot vanishes to round-off (affinely
    /// dependent on the set) is skipped. One triangular solve with all k columns as right-hand sides
    /// (BLAS-3) instead of one pass over R per point. Returns the appended l, in order.
    mutating func append(count k: Int, cross: [Double], block: (Int, Int) -> Double) -> [Int] {
        let n = size
        guard k > 0 else { return [] }
        grow(to: n + k)
        var x = cross
        if n > 0 {
            let ld = Int32(capacity)
            factor.withUnsafeBufferPointer { fp in
                cblas_dtrsm(CblasRowMajor, CblasLeft, CblasUpper, CblasTrans, CblasNonUnit, Int32(n), Int32(k), 1,
                            fp.baseAddress!, ld, &x, Int32(k))
            }
        }
        var accepted: [Int] = []
        for l in 0..<k {
            let c = size
            var column = [Double](repeating: 0, count: c + 1)
            for i in 0..<n { column[i] = x[i * k + l] }
            let diagonal = block(l, l)
            var rhoSquared = diagonal
            for i in 0..<n { rhoSquared -= column[i] * column[i] }
            for (q, l2) in accepted.enumerated() {
                // Entry against the earlier accepted new point l2 (row n + q of R).
                var e = block(l2, l)
                for i in 0..<(n + q) { e -= factor[i * capacity + n + q] * column[i] }
                e /= factor[(n + q) * capacity + n + q]
                column[n + q] = e
                rhoSquared -= e * e
            }
            guard rhoSquared > 1e-13 * max(diagonal, 1) else { continue }
            let rho = rhoSquared.squareRoot()
            for i in 0..<c { factor[i * capacity + c] = column[i] }
            factor[c * capacity + c] = rho
            var dot = 0.0
            for i in 0..<c { dot += column[i] * forward[i] }
            forward.append((1 - dot) / rho)
            size += 1
            accepted.append(l)
        }
        return accepted
    }

    /// Keeps the points `keep` (increasing indices) and restores the triangle (and w) in one sweep:
    /// after the columns are compacted, column c reaches down to row keep[c], and Givens rotations of
    /// adjacent rows clear that staircase without fill.
    mutating func remove(keeping keep: [Int]) {
        let n = size, kept = keep.count
        guard kept < n, let firstGone = (0..<kept).first(where: { keep[$0] != $0 }) ?? (kept < n ? kept : nil) else { return }
        let ld = capacity
        factor.withUnsafeMutableBufferPointer { fb in
            forward.withUnsafeMutableBufferPointer { wb in
                let f = fb.baseAddress!, w = wb.baseAddress!
                for i in 0..<n {
                    let row = f + i * ld
                    for c in firstGone..<kept where keep[c] >= i { row[c] = row[keep[c]] }
                    for c in kept..<n { row[c] = 0 }
                }
                for c in firstGone..<kept where keep[c] > c {
                    var i = keep[c]
                    while i > c {
                        let upper = f + (i - 1) * ld, lower = f + i * ld
                        let a = upper[c], b = lower[c]
                        let h = (a * a + b * b).squareRoot()
                        if h > 0 {
                            let cs = a / h, sn = b / h
                            for col in (c + 1)..<kept {
                                let p = upper[col], q = lower[col]
                                upper[col] = cs * p + sn * q
                                lower[col] = -sn * p + cs * q
                            }
                            upper[c] = h
                            lower[c] = 0
                            let p = w[i - 1], q = w[i]
                            w[i - 1] = cs * p + sn * q
                            w[i] = -sn * p + cs * q
                        }
                        i -= 1
                    }
                }
                for i in kept..<n { let row = f + i * ld; for c in 0..<n { row[c] = 0 } }
            }
        }
        forward.removeLast(n - kept)
        size = kept
    }

    /// w = R⁻ᵀ 1 from scratch (the incremental updates drift slowly).
    mutating func refreshForward() {
        let n = size, ld = Int32(capacity)
        forward = [Double](repeating: 1, count: n)
        factor.withUnsafeBufferPointer { fp in
            cblas_dtrsv(CblasRowMajor, CblasUpper, CblasTrans, CblasNonUnit, Int32(n), fp.baseAddress!, ld, &forward, 1)
        }
    }

    /// The affine minimum-norm weights of the set: (G_S + 11ᵀ) u = 1, normalised to sum 1.
    func affineWeights() -> [Double] {
        var u = forward
        let ld = Int32(capacity)
        factor.withUnsafeBufferPointer { fp in
            cblas_dtrsv(CblasRowMajor, CblasUpper, CblasNoTrans, CblasNonUnit, Int32(size), fp.baseAddress!, ld, &u, 1)
        }
        let s = u.reduce(0, +)
        return u.map { $0 / s }
    }
}
