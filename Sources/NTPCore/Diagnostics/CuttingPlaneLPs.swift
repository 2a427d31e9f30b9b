import CGLPK
import NTPFormats

/// Token v's depth LP in the null-space coordinates (theory.md §7, `NullSpaceSeparability`):
///     t_v(c) = max t  s.t.  Σ_{j ∈ O_v} μ_j N_j + t a_v = c,  μ ≥ 0,  t ≤ 1,
/// with O_v the contexts whose support lacks v, N_j row j of the null-space basis and a_v = Σ_{j ∈ O_v} N_j.
/// c lies inside the cone of {N_j : j ∈ O_v} iff t_v(c) > 0, and then λ = μ + t_v ≥ t_v are margins
/// for v up to the common scale. When t_v(c) ≤ 0 the row duals y satisfy y·N_j ≥ 0 on O_v, y·a_v = 1
/// and y·c = t_v(c): a cut that every point of the cone's interior passes.
///
/// One GLPK problem per token stays alive across the iterations: only the right-hand side c changes,
/// so the previous basis stays dual feasible and the dual simplex restarts from it.
final class TokenDepthLP: DepthLP {
    private let lp: OpaquePointer
    private let k: Int
    private let offCount: Int
    private var parm: glp_smcp

    /// `offRows`: N_j for j ∈ O_v, each of length k.
    init(offRows: [[Double]], k: Int) {
        self.k = k
        self.offCount = offRows.count
        lp = makeDepthLP(k: k, columns: offRows.count) { i, r in offRows[i][r] }
        var a = [Double](repeating: 0, count: k)
        for row in offRows { for r in 0..<k { a[r] += row[r] } }
        setColumn(lp, offRows.count + 1, a)
        parm = quietDualSimplex()
    }

    deinit { glp_delete_prob(lp) }

    /// Solves at c; nil when the simplex fails or the deadline passes.
    func depth(at c: [Double], deadline: Double) -> Double? {
        for r in 0..<k { glp_set_row_bnds(lp, Int32(r + 1), GLP_FX, c[r], c[r]) }
        var seconds = 0.0
        guard solveSimplexRound(lp, &parm, deadline: deadline, round: 1, seconds: &seconds) == nil else { return nil }
        return glp_get_obj_val(lp)
    }

    /// λ_j = μ_j + t of the last solve, in O_v's order.
    func margins(depth t: Double) -> [Double] { (0..<offCount).map { glp_get_col_prim(lp, Int32($0 + 1)) + t } }

    /// The row duals y of the last solve (the cut's normal).
    func cut() -> [Double] { (0..<k).map { glp_get_row_dual(lp, Int32($0 + 1)) } }

    func smallestMargins(at c: [Double], floor t: Double, deadline: Double) -> [Double]? {
        for r in 0..<k { glp_set_row_bnds(lp, Int32(r + 1), GLP_FX, c[r], c[r]) }
        return polishedMargins(lp, objective: (0..<offCount).map { (Int32($0 + 1), -1) }, tColumn: Int32(offCount + 1), floor: t,
                               deadline: deadline) {
            margins(depth: t)
        }
    }
}

/// A token's depth LP: solved at a point c, then its margins and its cut (row duals) at that point.
protocol DepthLP: AnyObject {
    /// t_v(c); nil when the simplex fails or the deadline passes.
    func depth(at c: [Double], deadline: Double) -> Double?
    /// λ_j = μ_j + t at the last point, in O_v's order (increasing contexts).
    func margins(depth t: Double) -> [Double]
    /// The row duals y at the last point.
    func cut() -> [Double]
    /// Margins λ ≥ t at c (O_v's order) of least total (`polishedMargins`); t ≤ t_v(c). nil when the
    /// simplex fails or the deadline passes.
    func smallestMargins(at c: [Double], floor t: Double, deadline: Double) -> [Double]?
}

/// Every token's depth LP in one GLPK problem over all m' contexts: token v fixes the columns of the
/// contexts that hold it (v's support) at 0 and sets the t column to a_v. Its memory is that of one
/// token's LP, where `TokenDepthLP` keeps V of them: with many tokens and a large null space (100 KJV
/// contexts over 6,244 token classes, k = 70: 4·10⁷ numbers, 4 GB in GLPK) only this one fits.
/// Switching to a token restores the basis of its own last solve (only c has changed since, so the
/// dual simplex restarts from a dual feasible basis); a token's first solve starts from the last token's.
final class SharedDepthProblem: BorrowedDepthProblem {
    let lp: OpaquePointer
    fileprivate let k: Int
    fileprivate let contexts: Int
    /// Σ_j N_j over all contexts.
    fileprivate let total: [Double]
    /// N (m' × k, row-major), for a_v = total − Σ_{j holds v} N_j.
    fileprivate let rows: [Double]
    fileprivate var parm: glp_smcp
    /// The handle whose token and point the problem holds now, and its fixed columns.
    fileprivate weak var current: BorrowedDepthLP?
    fileprivate var fixed: [Int] = []

    /// `nullRows`: N (m' × k, row-major).
    init(nullRows: [Double], contexts m: Int, k: Int) {
        self.k = k
        contexts = m
        rows = nullRows
        var total = [Double](repeating: 0, count: k)
        for j in 0..<m { for r in 0..<k { total[r] += nullRows[j * k + r] } }
        self.total = total
        lp = makeDepthLP(k: k, columns: m) { j, r in nullRows[j * k + r] }
        parm = quietDualSimplex()
    }

    deinit { glp_delete_prob(lp) }

    func solve(_ token: BorrowedDepthLP, at c: [Double], deadline: Double) -> Bool {
        if current !== token {
            for j in fixed { glp_set_col_bnds(lp, Int32(j + 1), GLP_LO, 0, 0) }
            fixed = token.holding
            var a = total
            for j in fixed {
                glp_set_col_bnds(lp, Int32(j + 1), GLP_FX, 0, 0)
                for r in 0..<k { a[r] -= rows[j * k + r] }
            }
            setColumn(lp, contexts + 1, a)
            restoreBasis(lp, token.basis)
            current = token
        }
        for r in 0..<k { glp_set_row_bnds(lp, Int32(r + 1), GLP_FX, c[r], c[r]) }
        token.point = c
        return solveKeepingBasis(lp, &parm, deadline: deadline, for: token)
    }

    func holds(_ token: BorrowedDepthLP) -> Bool { current === token }

    /// λ_j = μ_j + t: the columns of the contexts that lack the token.
    func margins(of token: BorrowedDepthLP, depth t: Double) -> [Double] {
        contextsLacking(token.holding, among: contexts).map { glp_get_col_prim(lp, Int32($0 + 1)) + t }
    }

    func cut() -> [Double] { (0..<k).map { glp_get_row_dual(lp, Int32($0 + 1)) } }

    var cutLength: Int { k }

    func smallestMargins(of token: BorrowedDepthLP, at c: [Double], floor t: Double, deadline: Double) -> [Double]? {
        guard solve(token, at: c, deadline: deadline) else { return nil }
        let off = contextsLacking(token.holding, among: contexts)
        return polishedMargins(lp, objective: off.map { (Int32($0 + 1), -1) }, tColumn: Int32(contexts + 1), floor: t,
                               deadline: deadline) {
            margins(of: token, depth: t)
        }
    }
}

/// One GLPK problem that every token's depth LP borrows in turn (`SharedDepthProblem`,
/// `RowSpaceDepthProblem`): the token's handle asks it to take the token's LP at a point, and reads
/// the last solve.
protocol BorrowedDepthProblem: AnyObject {
    /// The GLPK problem.
    var lp: OpaquePointer { get }
    /// Sets the problem to `token`'s LP at c and solves it; false when the simplex fails.
    func solve(_ token: BorrowedDepthLP, at c: [Double], deadline: Double) -> Bool
    /// Whether the problem still holds `token`'s last solve.
    func holds(_ token: BorrowedDepthLP) -> Bool
    /// λ_j for j ∈ O_v (increasing) at the last solve, which is `token`'s.
    func margins(of token: BorrowedDepthLP, depth t: Double) -> [Double]
    /// The cut y (k numbers) of the last solve.
    func cut() -> [Double]
    /// k.
    var cutLength: Int { get }
    /// `token`'s margins λ ≥ t at c of least total (`polishedMargins`); nil when the simplex fails or
    /// the deadline passes.
    func smallestMargins(of token: BorrowedDepthLP, at c: [Double], floor t: Double, deadline: Double) -> [Double]?
}

/// One token's view of a `BorrowedDepthProblem`.
final class BorrowedDepthLP: DepthLP {
    private let problem: BorrowedDepthProblem
    /// The contexts (local indices, increasing) whose support holds the token.
    let holding: [Int]
    /// The point of the token's last solve.
    var point: [Double] = []
    /// Row then column statuses of the token's last solve, for a warm restart.
    var basis: [Int32]? = nil

    init(problem: BorrowedDepthProblem, holding: [Int]) {
        self.problem = problem
        self.holding = holding
    }

    func depth(at c: [Double], deadline: Double) -> Double? {
        problem.solve(self, at: c, deadline: deadline) ? glp_get_obj_val(problem.lp) : nil
    }

    /// Re-solves at the last point when another token has used the problem since.
    private func restored() -> Bool {
        problem.holds(self) || problem.solve(self, at: point, deadline: .infinity)
    }

    func margins(depth t: Double) -> [Double] { restored() ? problem.margins(of: self, depth: t) : [] }

    func cut() -> [Double] { restored() ? problem.cut() : [Double](repeating: 0, count: problem.cutLength) }

    func smallestMargins(at c: [Double], floor t: Double, deadline: Double) -> [Double]? {
        problem.smallestMargins(of: self, at: c, floor: t, deadline: deadline)
    }
}

/// Sets `lp`'s basis to `statuses` (row statuses, then column statuses) when there are some: a
/// token's own last basis, which is still dual feasible since only the right-hand side has changed.
func restoreBasis(_ lp: OpaquePointer, _ statuses: [Int32]?) {
    guard let statuses else { return }
    let rows = Int(glp_get_num_rows(lp))
    for r in 0..<rows { glp_set_row_stat(lp, Int32(r + 1), statuses[r]) }
    for j in 0..<(statuses.count - rows) { glp_set_col_stat(lp, Int32(j + 1), statuses[rows + j]) }
}

/// Solves `lp` by the dual simplex from the basis it holds, and once more from the standard basis if
/// that fails (a basis left by another token can stall it); on success `token.basis` keeps the basis.
func solveKeepingBasis(_ lp: OpaquePointer, _ parm: inout glp_smcp, deadline: Double, for token: BorrowedDepthLP) -> Bool {
    var seconds = 0.0
    var solved = solveSimplexRound(lp, &parm, deadline: deadline, round: 1, seconds: &seconds) == nil
    if !solved {
        glp_std_basis(lp)
        solved = solveSimplexRound(lp, &parm, deadline: deadline, round: 1, seconds: &seconds) == nil
    }
    if solved { token.basis = basisStatuses(lp) }
    return solved
}

/// `lp`'s basis: its row statuses, then its column statuses (what `restoreBasis` sets).
func basisStatuses(_ lp: OpaquePointer) -> [Int32] {
    let rows = glp_get_num_rows(lp), columns = glp_get_num_cols(lp)
    return (0..<rows).map { glp_get_row_stat(lp, $0 + 1) } + (0..<columns).map { glp_get_col_stat(lp, $0 + 1) }
}

/// O_v: the contexts 0..<m missing from `holding` (increasing), in increasing order.
func contextsLacking(_ holding: [Int], among m: Int) -> [Int] {
    var out: [Int] = []
    out.reserveCapacity(m - holding.count)
    var held = holding.makeIterator(), next = held.next()
    for j in 0..<m {
        if j == next { next = held.next() } else { out.append(j) }
    }
    return out
}

/// The master LP of the cutting-plane method: max s over c ∈ [−1, 1]^k with ŷ_i·c ≥ s for every cut
/// (unit normals) and z·c = 0 for every direction z that some token's cone lacks. s* > 0 gives a point
/// strictly inside every cut; s* = 0 means the cut normals have a nonnegative combination equal to a
/// combination of the z's, and the row duals are that combination: a Farkas certificate.
final class CutMaster {
    private let lp: OpaquePointer
    private let k: Int
    private var parm: glp_smcp
    /// Per row: the token whose cone it comes from, and its normal (unit for cuts).
    private(set) var rows: [(token: Int, normal: [Double])] = []

    init(k: Int) {
        self.k = k
        glp_term_out(GLP_OFF)
        lp = glp_create_prob()!
        glp_set_obj_dir(lp, GLP_MAX)
        glp_add_cols(lp, Int32(k + 1))
        for c in 1...k { glp_set_col_bnds(lp, Int32(c), GLP_DB, -1, 1) }
        glp_set_col_bnds(lp, Int32(k + 1), GLP_UP, 0, 1)
        glp_set_obj_coef(lp, Int32(k + 1), 1)
        parm = quietDualSimplex()
    }

    deinit { glp_delete_prob(lp) }

    /// Adds ŷ·c − s ≥ 0 with ŷ = y/‖y‖ (cut) or z·c = 0 (equality, `isEquality`).
    func add(token: Int, normal y: [Double], isEquality: Bool = false) {
        var norm = 0.0
        for x in y { norm += x * x }
        norm = norm.squareRoot()
        guard norm > 0, norm.isFinite else { return }
        let unit = y.map { $0 / norm }
        let r = glp_add_rows(lp, 1)
        var ind = [Int32](repeating: 0, count: k + 2), val = [Double](repeating: 0, count: k + 2)
        for c in 0..<k { ind[c + 1] = Int32(c + 1); val[c + 1] = unit[c] }
        var count = Int32(k)
        if !isEquality { count += 1; ind[k + 1] = Int32(k + 1); val[k + 1] = -1 }
        glp_set_mat_row(lp, r, count, ind, val)
        glp_set_row_bnds(lp, r, isEquality ? GLP_FX : GLP_LO, 0, 0)
        rows.append((token, unit))
    }

    /// (s*, c) of the master, or nil when the simplex fails or the deadline passes.
    func solve(deadline: Double) -> (value: Double, point: [Double])? {
        var seconds = 0.0
        guard solveSimplexRound(lp, &parm, deadline: deadline, round: 1, seconds: &seconds) == nil else { return nil }
        return (glp_get_obj_val(lp), (0..<k).map { glp_get_col_prim(lp, Int32($0 + 1)) })
    }

    /// The row duals of the last solve, one per row in `rows`' order.
    func duals() -> [Double] { (0..<rows.count).map { glp_get_row_dual(lp, Int32($0 + 1)) } }
}

/// A depth LP's shape: max t over k equality rows (their right-hand side c is set per solve), one
/// column μ_i ≥ 0 per vector (entry r of column i is `entry(i, r)`), and a last column t ≤ 1 whose
/// coefficients the caller sets (`setColumn`). t ≤ 1 keeps the LP bounded for a token whose cone is
/// all of R^k (every c is inside).
private func makeDepthLP(k: Int, columns n: Int, entry: (Int, Int) -> Double) -> OpaquePointer {
    glp_term_out(GLP_OFF)
    let lp = glp_create_prob()!
    glp_set_obj_dir(lp, GLP_MAX)
    glp_add_rows(lp, Int32(k))
    glp_add_cols(lp, Int32(n + 1))
    var column = [Double](repeating: 0, count: k)
    for i in 0..<n {
        for r in 0..<k { column[r] = entry(i, r) }
        glp_set_col_bnds(lp, Int32(i + 1), GLP_LO, 0, 0)
        setColumn(lp, i + 1, column)
    }
    glp_set_col_bnds(lp, Int32(n + 1), GLP_UP, 0, 1)
    glp_set_obj_coef(lp, Int32(n + 1), 1)
    return lp
}

/// Sets the dense k-entry column `index` (1-based) of a depth LP.
private func setColumn(_ lp: OpaquePointer, _ index: Int, _ values: [Double]) {
    let k = values.count
    var ind = [Int32](repeating: 0, count: k + 1), val = [Double](repeating: 0, count: k + 1)
    for r in 0..<k { ind[r + 1] = Int32(r + 1); val[r + 1] = values[r] }
    glp_set_mat_col(lp, Int32(index), Int32(k), ind, val)
}

/// The simplex of every cutting-plane LP: dual (warm restarts after a change of c), no presolve, silent.
func quietDualSimplex() -> glp_smcp {
    var parm = glp_smcp()
    glp_init_smcp(&parm)
    parm.msg_lev = GLP_MSG_OFF
    parm.presolve = GLP_OFF
    parm.meth = GLP_DUALP
    return parm
}

/// A depth LP's margins of least total at the point it holds: max Σ_i `objective`_i x_i with t fixed
/// at `floor` (≤ t_v(c), so feasible), read by `read`, after which the depth LP is put back (objective t,
/// t ≤ 1, its basis). Why: the depth LP only maximizes t, and its basic μ can be huge where a token's
/// off-support rows are nearly dependent (10⁸ on 100 KJV contexts at d = 65); those margins give a W
/// whose norm hides a normalized margin of about 10⁻⁴ behind one of 4·10⁻⁹. nil when the simplex fails
/// or the deadline passes.
func polishedMargins(_ lp: OpaquePointer, objective: [(column: Int32, coefficient: Double)], tColumn: Int32,
                     floor: Double, deadline: Double, read: () -> [Double]) -> [Double]? {
    let remaining = deadline - monotonicSeconds()
    guard remaining > 0 else { return nil }
    let statuses = basisStatuses(lp)
    for (column, coefficient) in objective { glp_set_obj_coef(lp, column, coefficient) }
    glp_set_obj_coef(lp, tColumn, 0)
    glp_set_col_bnds(lp, tColumn, GLP_FX, floor, floor)
    var parm = quietDualSimplex()
    parm.meth = GLP_PRIMAL
    parm.tm_lim = Int32(min(remaining * 1000, Double(Int32.max)))
    let solved = glp_simplex(lp, &parm) == 0 && glp_get_status(lp) == GLP_OPT
    let margins = solved ? read() : nil
    for (column, _) in objective { glp_set_obj_coef(lp, column, 0) }
    glp_set_obj_coef(lp, tColumn, 1)
    glp_set_col_bnds(lp, tColumn, GLP_UP, 0, 1)
    restoreBasis(lp, statuses)
    return margins
}
