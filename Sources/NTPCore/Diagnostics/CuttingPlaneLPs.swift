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
final class TokenDepthLP {
    private let lp: OpaquePointer
    private let k: Int
    private let offCount: Int
    private var parm = glp_smcp()

    /// `offRows`: N_j for j ∈ O_v, each of length k.
    init(offRows: [[Double]], k: Int) {
        self.k = k
        self.offCount = offRows.count
        glp_term_out(GLP_OFF)
        lp = glp_create_prob()!
        glp_set_obj_dir(lp, GLP_MAX)
        glp_add_rows(lp, Int32(k))
        glp_add_cols(lp, Int32(offRows.count + 1))
        var ind = [Int32](repeating: 0, count: k + 1), val = [Double](repeating: 0, count: k + 1)
        for r in 0..<k { ind[r + 1] = Int32(r + 1) }
        var a = [Double](repeating: 0, count: k)
        for (i, row) in offRows.enumerated() {
            for r in 0..<k { val[r + 1] = row[r]; a[r] += row[r] }
            glp_set_col_bnds(lp, Int32(i + 1), GLP_LO, 0, 0)
            glp_set_mat_col(lp, Int32(i + 1), Int32(k), ind, val)
        }
        let t = Int32(offRows.count + 1)
        for r in 0..<k { val[r + 1] = a[r] }
        glp_set_mat_col(lp, t, Int32(k), ind, val)
        // t ≤ 1 keeps the LP bounded for a token whose cone is all of R^k (every c is inside).
        glp_set_col_bnds(lp, t, GLP_UP, 0, 1)
        glp_set_obj_coef(lp, t, 1)
        glp_init_smcp(&parm)
        parm.msg_lev = GLP_MSG_OFF
        parm.presolve = GLP_OFF
        parm.meth = GLP_DUALP
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
}

/// The master LP of the cutting-plane method: max s over c ∈ [−1, 1]^k with ŷ_i·c ≥ s for every cut
/// (unit normals) and z·c = 0 for every direction z that some token's cone lacks. s* > 0 gives a point
/// strictly inside every cut; s* = 0 means the cut normals have a nonnegative combination equal to a
/// combination of the z's, and the row duals are that combination: a Farkas certificate.
final class CutMaster {
    private let lp: OpaquePointer
    private let k: Int
    private var parm = glp_smcp()
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
        glp_init_smcp(&parm)
        parm.msg_lev = GLP_MSG_OFF
        parm.presolve = GLP_OFF
        parm.meth = GLP_DUALP
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
