import CGLPK

/// The scale factors of `glp_scale_prob(lp, GLP_SF_AUTO)`, computed on contiguous copies of the
/// matrix and set with `glp_set_rii`/`glp_set_sjj`.
///
/// GLPK 5.0's routine (glpscl.c) walks its linked row and column lists about a hundred times
/// (every min/max of every geometric-mean pass separately): 2.2 s for the 1.5 M nonzeros of the
/// ℓ∞ LP at m = 300, d = 320, none of it under the LP's time limit. This runs the same arithmetic
/// (skip when 0.1 ≤ |a_ij| ≤ 10; up to 15 geometric-mean passes while the ratio improves by 10 %;
/// then equilibration; rows or columns first as GLPK decides) in the same order of operations, so
/// the factors are GLPK's to the bit (`GLPKScalingTests` compares them) and the LPs solve as before.
enum GLPKScaling {
    /// Scales `lp` as `glp_scale_prob(lp, GLP_SF_AUTO)` does, after cancelling any earlier scaling.
    static func scaleAutomatically(_ lp: OpaquePointer) {
        glp_unscale_prob(lp)
        var matrix = ScaledMatrix(lp)
        let (smallest, largest) = matrix.extremes()
        if smallest >= 0.10 && largest <= 10.0 { return }
        matrix.iterateGeometricMeans(maxPasses: 15, improvement: 0.90)
        matrix.equilibrate(columnsFirst: matrix.worstRatio(of: .rows) > matrix.worstRatio(of: .columns))
        for i in 0..<matrix.rowFactors.count { glp_set_rii(lp, Int32(i + 1), matrix.rowFactors[i]) }
        for j in 0..<matrix.columnFactors.count { glp_set_sjj(lp, Int32(j + 1), matrix.columnFactors[j]) }
    }
}

/// |A| by rows and by columns, with the row factors r and column factors s of R·A·S.
private struct ScaledMatrix {
    enum Side { case rows, columns }

    /// One side's lines: line k holds `entries[start[k]..<start[k + 1]]` (the other side's index and |a|).
    struct Lines {
        var start: [Int]
        var other: [Int32]
        var magnitude: [Double]
    }

    var rows: Lines
    var columns: Lines
    var rowFactors: [Double]
    var columnFactors: [Double]

    init(_ lp: OpaquePointer) {
        let m = Int(glp_get_num_rows(lp)), n = Int(glp_get_num_cols(lp))
        var index = [Int32](repeating: 0, count: n + 1), value = [Double](repeating: 0, count: n + 1)
        rows = Lines(start: [0], other: [], magnitude: [])
        var columnCounts = [Int](repeating: 0, count: n + 1)
        for i in 0..<m {
            let count = Int(glp_get_mat_row(lp, Int32(i + 1), &index, &value))
            for k in stride(from: 1, through: count, by: 1) {
                rows.other.append(index[k] - 1); rows.magnitude.append(abs(value[k]))
                columnCounts[Int(index[k])] += 1
            }
            rows.start.append(rows.other.count)
        }
        // Columns by counting sort of the row entries.
        var start = [Int](repeating: 0, count: n + 1)
        for j in 0..<n { start[j + 1] = start[j] + columnCounts[j + 1] }
        columns = Lines(start: start, other: [Int32](repeating: 0, count: rows.other.count),
                        magnitude: [Double](repeating: 0, count: rows.other.count))
        var next = start
        for i in 0..<m {
            for e in rows.start[i]..<rows.start[i + 1] {
                let j = Int(rows.other[e])
                columns.other[next[j]] = Int32(i); columns.magnitude[next[j]] = rows.magnitude[e]
                next[j] += 1
            }
        }
        rowFactors = [Double](repeating: 1, count: m)
        columnFactors = [Double](repeating: 1, count: n)
    }

    /// min and max of |a_ij| · (r_i · s_j) over line k of `side` (1 and 1 for an empty line, as GLPK).
    @inline(__always)
    func extremes(of side: Side, _ k: Int) -> (Double, Double) {
        let lines = side == .rows ? rows : columns
        let own = side == .rows ? rowFactors[k] : columnFactors[k]
        let range = lines.start[k]..<lines.start[k + 1]
        guard !range.isEmpty else { return (1, 1) }
        var low = Double.infinity, high = -Double.infinity
        for e in range {
            let otherFactor = side == .rows ? columnFactors[Int(lines.other[e])] : rowFactors[Int(lines.other[e])]
            let scaled = lines.magnitude[e] * (side == .rows ? own * otherFactor : otherFactor * own)
            low = min(low, scaled); high = max(high, scaled)
        }
        return (low, high)
    }

    /// min and max of the scaled matrix, taken over rows (an empty row counts as 1, as in GLPK).
    func extremes() -> (Double, Double) {
        var low = 1.0, high = 1.0
        for i in 0..<rowFactors.count {
            let (a, b) = extremes(of: .rows, i)
            if i == 0 || a < low { low = a }
            if i == 0 || b > high { high = b }
        }
        return (low, high)
    }

    /// max over the lines of `side` of max/min (1 with no lines).
    func worstRatio(of side: Side) -> Double {
        let count = side == .rows ? rowFactors.count : columnFactors.count
        var worst = 1.0
        for k in 0..<count {
            let (a, b) = extremes(of: side, k)
            if k == 0 || b / a > worst { worst = b / a }
        }
        return worst
    }

    /// GLPK's gm_iterate: passes while max/min improves by the factor `improvement`.
    mutating func iterateGeometricMeans(maxPasses: Int, improvement: Double) {
        let columnsFirst = worstRatio(of: .rows) > worstRatio(of: .columns)
        var ratio = 0.0
        for pass in 1...maxPasses {
            let previous = ratio
            let (low, high) = extremes()
            ratio = high / low
            if pass > 1 && ratio > improvement * previous { break }
            for side in columnsFirst ? [Side.columns, .rows] : [.rows, .columns] {
                rescale(side) { low, high in (low * high).squareRoot() }
            }
        }
    }

    /// GLPK's eq_scaling: every line's largest scaled |a_ij| becomes 1.
    mutating func equilibrate(columnsFirst: Bool) {
        for side in columnsFirst ? [Side.columns, .rows] : [.rows, .columns] {
            rescale(side) { _, high in high }
        }
    }

    /// Divides each factor of `side` by `divisor(min, max)` of its line, one line after another.
    private mutating func rescale(_ side: Side, by divisor: (Double, Double) -> Double) {
        let count = side == .rows ? rowFactors.count : columnFactors.count
        for k in 0..<count {
            let (low, high) = extremes(of: side, k)
            if side == .rows { rowFactors[k] /= divisor(low, high) } else { columnFactors[k] /= divisor(low, high) }
        }
    }
}
