import COpenBLAS

/// The rows of a V × d row-major point that may be nonzero.
///
/// The minimum-norm point is a sum of rank-one terms (e_p − e_q) h̄ᵀ, two rows each, so with a large
/// vocabulary most rows stay zero for many passes. Clearing (memset) and measuring (dnrm2) the whole
/// V × d point each pass took 35 % of a 30 s check (positional one-hot, V = 9,052, d = 2V, 1.3 GB; about
/// 44 passes in 15 s). Clearing and measuring only the touched rows keeps a pass proportional to what
/// it changes (about 160 passes in 15 s).
struct TouchedRows {
    private var isTouched: [Bool]
    /// The touched rows, in the order they were first touched.
    private(set) var rows: [Int] = []
    /// d, the length of a row.
    let rowLength: Int

    /// No row touched, for a point of `rowCount` rows of `rowLength` entries.
    init(rowCount: Int, rowLength: Int) {
        isTouched = [Bool](repeating: false, count: rowCount)
        self.rowLength = rowLength
    }

    /// Whether `row` may be nonzero.
    func contains(_ row: Int) -> Bool { isTouched[row] }

    /// Marks `row` as possibly nonzero.
    mutating func touch(_ row: Int) {
        if !isTouched[row] { isTouched[row] = true; rows.append(row) }
    }

    /// Sets the touched rows of `x` to 0; afterwards no row is touched.
    mutating func clear(_ x: inout [Double]) {
        let d = rowLength
        x.withUnsafeMutableBufferPointer { xp in
            for r in rows { (xp.baseAddress! + r * d).update(repeating: 0, count: d) }
        }
        for r in rows { isTouched[r] = false }
        rows.removeAll(keepingCapacity: true)
    }

    /// ‖x‖₂ for an x that is zero outside the touched rows. With at least half the rows touched, one
    /// `dnrm2` over all of x, as before this type existed (the same digits on small vocabularies).
    func norm(_ x: [Double]) -> Double {
        guard 2 * rows.count < isTouched.count else { return cblas_dnrm2(Int32(x.count), x, 1) }
        let d = rowLength
        return x.withUnsafeBufferPointer { xp in
            // Sorted, so that the sum does not depend on the order in which the rows were touched.
            var sum = 0.0
            for r in rows.sorted() {
                let n = cblas_dnrm2(Int32(d), xp.baseAddress! + r * d, 1)
                sum += n * n
            }
            return sum.squareRoot()
        }
    }
}

/// A copy of a point's touched rows (and of the tie coefficients that go with it), so that a run
/// stopped early can return its best iterate rather than its last: γ*'s certified lower end is the
/// verified W's own margin, and the last iterate's was up to 15 % below the best (positional one-hot,
/// V = 9,052, stopped by the time limit).
struct PointSnapshot {
    private(set) var rows: [Int] = []
    private(set) var values: [Double] = []
    private(set) var tieSum: [Double] = []

    /// Replaces the copy with the touched rows of `x` and with `tieSum`, reusing its storage.
    mutating func take(_ x: [Double], touched: TouchedRows, tieSum: [Double]) {
        let d = touched.rowLength
        rows = touched.rows
        values.removeAll(keepingCapacity: true)
        x.withUnsafeBufferPointer { xp in
            for r in rows { values.append(contentsOf: UnsafeBufferPointer(start: xp.baseAddress! + r * d, count: d)) }
        }
        self.tieSum = tieSum
    }

    /// Makes `x` the copied point again (its other rows 0) and `tieSum` its coefficients; false when
    /// nothing was taken.
    func restore(into x: inout [Double], touched: inout TouchedRows, tieSum: inout [Double]) -> Bool {
        guard !rows.isEmpty else { return false }
        let d = touched.rowLength
        touched.clear(&x)
        x.withUnsafeMutableBufferPointer { xp in
            for (i, r) in rows.enumerated() {
                (xp.baseAddress! + r * d).update(from: values.withUnsafeBufferPointer { $0.baseAddress! + i * d }, count: d)
            }
        }
        for r in rows { touched.touch(r) }
        tieSum = self.tieSum
        return true
    }
}
