import NTPCore

/// W^mm by `solver`, or from Wolfe's minimum-norm point (`point`, computed only then unless the caller
/// already has it) when the solver's epochs run out undecided, or when its certified-margin heuristic
/// (`--non-separable-margin`) says not separable while the point proves separability (QA: H with
/// column norms from 0.075 to 265): `solve` and `train`'s reference.
/// Epochs that end undecided, or at the `--non-separable-margin` bound, on data the point proves not separable
/// give `.notSeparable` by the point (QA: the same output said "W^mm undecided" and "γ* 0 (not-separable)").
func maxMargin(_ solver: MaxMarginSolver, _ subspace: DataSubspace,
               point: () -> MinimumNormPointMaxMargin?) throws -> MaxMarginSolution {
    var mm = try solver.solve(subspace)
    guard mm.status != .separable, let p = point() else { return mm }
    if let fallback = MaxMarginSolution(minimumNormPoint: p, subspace: subspace, epochs: mm.epochs, tolerance: solver.tolerance) {
        return fallback
    }
    if mm.status != .separable, p.verdict == .notSeparable {
        mm.status = .notSeparable
        mm.notSeparableByMinimumNormPoint = true
    }
    return mm
}
