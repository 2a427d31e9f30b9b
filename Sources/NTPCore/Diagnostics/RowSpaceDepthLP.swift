import CGLPK

/// Every token's depth LP in logit space, in one GLPK problem: the same t_v(c) as `TokenDepthLP`, over
/// r = rank H̄ free coordinates instead of k = m' − r equality rows.
///
/// With T = N c (anchor logits on the m' contexts) and R the first r right singular vectors of H̄
/// (m' × r, so the logits of a decoder row are R z),
///     t_v(c) = max t  s.t.  R_j·z = T_j (v ∈ S_j),  R_j·z + t ≤ T_j (v ∉ S_j),  t ≤ 1:
/// the margins s_j = T_j − R_j·z (j ∈ O_v) satisfy Σ_{O_v} s_j N_j = c with s_j ≥ t, which is the
/// null-space LP's μ_j + t (theory.md §7). Its row duals π lie in null(H̄) with Σ_{O_v} π_j = 1 when
/// t < 1, so y = Nᵀ π is the null-space LP's cut (y·N_j = π_j ≥ 0 on O_v, y·a_v = 1, y·c = t_v(c)).
///
/// Why: GLPK refactorizes a token's basis each time the shared problem switches tokens. In null-space
/// form that basis is a dense k × k matrix (k = 78 on 100 KJV contexts at d = 22: 1.6 ms a token); here
/// it has at most r + 1 structural columns, the rest are slacks (d = 22: r + 1 = 23).
final class RowSpaceDepthProblem: BorrowedDepthProblem {
    let lp: OpaquePointer
    fileprivate let contexts: Int
    fileprivate let rank: Int
    fileprivate let k: Int
    /// R (m' × r, row-major) and N (m' × k, row-major).
    fileprivate let rowBasis: [Double]
    fileprivate let nullRows: [Double]
    fileprivate var parm: glp_smcp
    /// The handle whose token the problem holds now, the point c whose logits T are set, and T.
    fileprivate weak var current: BorrowedDepthLP?
    fileprivate var point: [Double] = []
    fileprivate var logits: [Double]

    /// `rowBasis`: R (m' × r, row-major); `nullRows`: N (m' × k, row-major).
    init(rowBasis: [Double], nullRows: [Double], contexts m: Int, rank r: Int) {
        contexts = m
        rank = r
        k = m > 0 ? nullRows.count / m : 0
        self.rowBasis = rowBasis
        self.nullRows = nullRows
        logits = [Double](repeating: 0, count: m)
        glp_term_out(GLP_OFF)
        lp = glp_create_prob()!
        glp_set_obj_dir(lp, GLP_MAX)
        glp_add_rows(lp, Int32(m))
        glp_add_cols(lp, Int32(r + 1))
        var ind = [Int32](repeating: 0, count: m + 1), val = [Double](repeating: 0, count: m + 1)
        for j in 0..<m { ind[j + 1] = Int32(j + 1) }
        for i in 0..<r {
            for j in 0..<m { val[j + 1] = rowBasis[j * r + i] }
            glp_set_col_bnds(lp, Int32(i + 1), GLP_FR, 0, 0)
            glp_set_mat_col(lp, Int32(i + 1), Int32(m), ind, val)
        }
        glp_set_col_bnds(lp, Int32(r + 1), GLP_UP, 0, 1)
        glp_set_obj_coef(lp, Int32(r + 1), 1)
        parm = quietDualSimplex()
    }

    deinit { glp_delete_prob(lp) }

    func solve(_ token: BorrowedDepthLP, at c: [Double], deadline: Double) -> Bool {
        if c != point {
            point = c
            for j in 0..<contexts {
                var sum = 0.0
                for r in 0..<k { sum += nullRows[j * k + r] * c[r] }
                logits[j] = sum
            }
        }
        let off = contextsLacking(token.holding, among: contexts)
        if current !== token {
            // t enters the rows of the contexts whose support lacks the token.
            let ind = [0] + off.map { Int32($0 + 1) }, val = [Double](repeating: 1, count: off.count + 1)
            glp_set_mat_col(lp, Int32(rank + 1), Int32(off.count), ind, val)
            restoreBasis(lp, token.basis)
            current = token
        }
        for j in token.holding { glp_set_row_bnds(lp, Int32(j + 1), GLP_FX, logits[j], logits[j]) }
        for j in off { glp_set_row_bnds(lp, Int32(j + 1), GLP_UP, 0, logits[j]) }
        token.point = c
        return solveKeepingBasis(lp, &parm, deadline: deadline, for: token)
    }

    func holds(_ token: BorrowedDepthLP) -> Bool { current === token }

    /// s_j = T_j − R_j·z on O_v: the row's slack plus t.
    func margins(of token: BorrowedDepthLP, depth t: Double) -> [Double] {
        contextsLacking(token.holding, among: contexts).map { logits[$0] - glp_get_row_prim(lp, Int32($0 + 1)) + t }
    }

    /// y = Nᵀ π from the row duals π.
    func cut() -> [Double] {
        var y = [Double](repeating: 0, count: k)
        for j in 0..<contexts {
            let pi = glp_get_row_dual(lp, Int32(j + 1))
            guard pi != 0 else { continue }
            for r in 0..<k { y[r] += pi * nullRows[j * k + r] }
        }
        return y
    }

    var cutLength: Int { k }

    /// Least Σ_{O_v} s_j = Σ T_j − (Σ_{O_v} R_j)·z: the objective (Σ_{O_v} R_j)·z.
    func smallestMargins(of token: BorrowedDepthLP, at c: [Double], floor t: Double, deadline: Double) -> [Double]? {
        guard solve(token, at: c, deadline: deadline) else { return nil }
        var direction = [Double](repeating: 0, count: rank)
        for j in contextsLacking(token.holding, among: contexts) { for i in 0..<rank { direction[i] += rowBasis[j * rank + i] } }
        return polishedMargins(lp, objective: direction.enumerated().map { (Int32($0.offset + 1), $0.element) },
                               tColumn: Int32(rank + 1), floor: t, deadline: deadline) { margins(of: token, depth: t) }
    }
}
