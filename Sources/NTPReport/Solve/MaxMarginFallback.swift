import NTPCore

/// W^mm by `solver`, or, when its epochs run out undecided, from Wolfe's minimum-norm point
/// (`point`, computed only then unless the caller already has it): `solve` and `train`'s reference.
func maxMargin(_ solver: MaxMarginSolver, _ subspace: DataSubspace,
               point: () -> MinimumNormPointMaxMargin?) throws -> MaxMarginSolution {
    let mm = try solver.solve(subspace)
    guard mm.status == .undecided, let p = point(),
          let fallback = MaxMarginSolution(minimumNormPoint: p, subspace: subspace, epochs: mm.epochs,
                                           tolerance: solver.tolerance) else { return mm }
    return fallback
}
