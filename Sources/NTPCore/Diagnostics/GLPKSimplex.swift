import CGLPK
import NTPFormats

/// The W-space LP of both constraint-generation solvers: a GLPK maximisation (messages off) with one
/// column per (token, used feature slot) and a last column for the objective variable, whose
/// bounds the caller sets.
func makeWeightSpaceLP(vocabularySize v: Int, usedFeatures: Int) -> OpaquePointer {
    glp_term_out(GLP_OFF)
    let lp = glp_create_prob()!
    glp_set_obj_dir(lp, GLP_MAX)
    glp_add_cols(lp, Int32(v * usedFeatures + 1))
    return lp
}

/// One round of simplex on a constraint-generation LP, within the time left until `deadline`.
///
/// A warm start can fail numerically; the round then retries once from a fresh basis with primal
/// simplex. Returns nil at an optimum (and leaves `parm` set to a warm dual simplex for the next
/// round: appended rows keep the basis dual feasible), or one line saying why there is none.
/// `seconds` accumulates the time spent in simplex. GLPK looks at its clock only between stretches of
/// work that grow with the LP, so a large LP is given `reserve` seconds less than the time left: the
/// stretch it is in when its limit passes then ends about at the deadline.
func solveSimplexRound(_ lp: OpaquePointer, _ parm: inout glp_smcp, deadline: Double, round: Int,
                       seconds: inout Double, reserve: Double = 0) -> String? {
    let remaining = deadline - monotonicSeconds() - reserve
    if remaining <= 0 { return "time limit reached after \(counted(round - 1, "round"))" }
    parm.tm_lim = Int32(min(remaining * 1000, Double(Int32.max)))
    let t0 = monotonicSeconds()
    var rc = glp_simplex(lp, &parm)
    if rc != GLP_ETMLIM && (rc != 0 || glp_get_status(lp) != GLP_OPT) {
        glp_std_basis(lp)
        parm.meth = GLP_PRIMAL
        rc = glp_simplex(lp, &parm)
    }
    seconds += monotonicSeconds() - t0
    if rc == GLP_ETMLIM { return "time limit reached in simplex (round \(round))" }
    guard rc == 0, glp_get_status(lp) == GLP_OPT else {
        return "GLPK simplex failed (code \(rc), status \(glp_get_status(lp)))"
    }
    parm.meth = GLP_DUALP
    return nil
}
