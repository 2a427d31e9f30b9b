import NTPCore

/// W^mm by `solver`, or from Wolfe's minimum-norm point (`point`, computed only then unless the caller
/// already has it) when the solver's epochs run out undecided, or when its certified-margin heuristic
/// (`--non-separable-margin`) says not separable while the point proves separability (QA: H with
/// column norms from 0.075 to 265): `solve` and `train`'s reference.
func maxMargin(_ solver: MaxMarginSolver, _ subspace: DataSubspace,
               point: () -> MinimumNormPointMaxMargin?) throws -> MaxMarginSolution {
    let mm = try solver.solve(subspace)
    guard mm.status != .separable, let p = point(),
          let fallback = MaxMarginSolution(minimumNormPoint: p, subspace: subspace, epochs: mm.epochs,
                                           tolerance: solver.tolerance) else { return mm }
    return fallback
}
