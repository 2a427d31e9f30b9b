import NTPFormats

/// What the check's NTP-SVM solve found (`CheckHooks.maxMarginNorm`).
public struct MaxMarginEstimate: Sendable {
    /// ‖W^mm‖_F; 0 when no solver reached W^mm.
    public var norm: Double
    /// The W's the solves ended at, in the order they ran. `CheckRunner` verifies each, and the one with
    /// the largest verified min margin/‖W‖_F raises the lower end on γ*.
    public var candidates: [MaxMarginCandidate]
    /// A certified upper end on γ* from the solvers' hull points (∞ when they have none).
    public var upper: Double

    /// An estimate with at most one candidate: `weights`, with what stopped its solve and the solver's name.
    public init(norm: Double, weights: [Double]? = nil, upper: Double = .infinity, earlyStop: String? = nil,
                method: String = "minimum-norm point") {
        self.norm = norm; self.upper = upper
        candidates = weights.map { [MaxMarginCandidate(weights: $0, earlyStop: earlyStop, method: method)] } ?? []
    }
}

/// A W that one of the check's NTP-SVM solves ended at.
public struct MaxMarginCandidate: Sendable {
    /// V × d row-major.
    public var weights: [Double]
    /// What stopped the solve before W^mm ("the time limit", …): the W then separates, and may still
    /// certify more than the decision, but is not W^mm. nil when it is W^mm.
    public var earlyStop: String?
    /// The solver, as the method line names it ("minimum-norm point").
    public var method: String

    /// A candidate W from the solver named `method`.
    public init(weights: [Double], earlyStop: String?, method: String) {
        self.weights = weights; self.earlyStop = earlyStop; self.method = method
    }
}

extension MaxMarginEstimate {
    /// The check's NTP-SVM solve within `timeLimit` seconds: Wolfe's minimum-norm point (up to `tieLimit`
    /// ties) until γ*'s bracket is closed to `MarginBracket.closedWidth`, then, unless it closed,
    /// `MaxMarginSolver` with the time left. Where the solver runs (`solverRuns`) the minimum-norm point
    /// has half the time, at most `wolfeShareWithSolver`: where it did not close the bracket the solver
    /// often did (QA round 13b: 94 % wide after 20 s of Wolfe on 100 Sherlock contexts, where the solver
    /// closes such brackets in about 2 s; positional one-hot over V = 9,052: a few Wolfe passes over its
    /// dense V × 2V point). The solver's M gives an upper end through `HullPointMarginBound` (dense H up
    /// to its size limit, other H always).
    static func solving(_ data: DataSet, features: ContextFeatures, timeLimit: Double, tieLimit: Int) throws -> MaxMarginEstimate {
        let start = monotonicSeconds()
        let runs = solverRuns(data, features: features)
        var options = SeparabilityOptions()
        options.timeLimit = runs ? min(timeLimit / 2, wolfeShareWithSolver) : timeLimit
        options.maxMinNormPointTies = tieLimit
        options.largestMinNormPointTies = tieLimit
        options.marginRelativeWidth = MarginBracket.closedWidth
        var estimate = MaxMarginEstimate(norm: 0)
        var allocation = 0.0
        if let wolfe = Separability.maxMarginByMinNormPoint(data, features: features, options: options),
           wolfe.verdict == .separable {
            // The minimum-norm point x* is a point of the constraint vectors' hull: ‖x*‖ ≥ γ*.
            estimate = MaxMarginEstimate(norm: wolfe.earlyStop == nil ? 1 / wolfe.gamma : 0, weights: wolfe.weights,
                                         upper: wolfe.bracket.upper, earlyStop: wolfe.earlyStop, method: "minimum-norm point")
            if wolfe.earlyStop == nil { return estimate }
            allocation = wolfe.allocationSeconds
        }
        // After its loop the solver forms and projects a dense V × d W, and the check scales and verifies
        // the candidates: two more such allocations and about eight passes over V × d, some six times what
        // allocating the minimum-norm point's V × d point took (positional one-hot, V = 9,052, d = 2V:
        // 0.64 s, and the stage took 20.3 s of --time-limit 15 without this reserve). At most a quarter of
        // the limit: page faults slow down by 5–15× on a busy machine (1.3 GB took 0.17 s, then 2.5 s beside
        // another job), and a reserve of all the time left skipped the solver, leaving 300 Sherlock contexts'
        // bracket at [0.0347, 0.0537] where the solver closes it.
        let reserve = min(6 * allocation, timeLimit / 4)
        let rest = timeLimit - (monotonicSeconds() - start) - reserve
        guard runs, estimate.candidates.isEmpty || rest > 0 else { return estimate }
        do {
            try estimate.addMaxMarginSolver(data, features: features, hull: HullPointMarginBound(data: data, features: features),
                                             timeLimit: max(0, rest))
        } catch is NTPFormatError {
            // No memory for the dual's V × m arrays (`AvailableMemory`): the minimum-norm point's result stands alone.
        }
        return estimate
    }

    /// Seconds of the minimum-norm point at most when the solver follows it. Half of a long limit was
    /// spent in vain: on 300 contexts of the Korean constitution (positional one-hot, V = 1,946) Wolfe
    /// ran its 20 s of `--time-limit 40`, 300 s of the default 600, without closing the bracket, and
    /// the solver then reached W^mm in 2.5 s (QA round 15).
    static let wolfeShareWithSolver = 10.0

    /// Whether `MaxMarginSolver` takes the problem: past the subspace's gram limit it refuses d ≥ m
    /// unless H = I (it could not tell whether H has full column rank), e.g. positional one-hot
    /// (d = 2V) on 12,000 < m ≤ 2V contexts; the minimum-norm point's result then stands alone.
    static func solverRuns(_ data: DataSet, features: ContextFeatures) -> Bool {
        features.isIdentity || data.contextCount <= DataSubspace.defaultGramLimit || features.dimension < data.contextCount
    }

    /// `MaxMarginSolver`'s ends. Its W holds the ties only to its KKT tolerance: projected onto 𝓕⊥ it is
    /// verified like any W and may raise the lower end. Its own dual bound ‖W‖/Σα holds only up to the
    /// columns' round-off sums; its M with those sums set to 0 is a hull point for the upper (`hull`, nil
    /// when it has none). KKT to 1e-8: at its default 1e-6 the projected W's margin was 2.4e-6 below γ*
    /// (m = 40, d = 32), short of `MarginBracket.closedWidth`. Memory: M and L (V × m), G (m × m) and
    /// W (V × d, dense whatever H's storage); W is projected in place, so with the minimum-norm point's
    /// W at most three V × d arrays are held (within the four `CheckRunner` requires up front).
    private mutating func addMaxMarginSolver(_ data: DataSet, features: ContextFeatures, hull: HullPointMarginBound?,
                                             timeLimit: Double) throws {
        var solver = MaxMarginSolver(tolerance: 1e-8)
        solver.timeLimit = timeLimit
        let subspace = try DataSubspace(data: data, features: features)
        var solution = try solver.solve(subspace)
        subspace.projectionTolerance = 1e-14   // the certificate's ties near round-off (3e-9 at 1e-10), not only within τ
        let separable = solution.status == .separable
        if separable { norm = solution.normSquared.squareRoot() }
        if let bound = hull?.bound(multipliers: solution.multipliers) {
            upper = min(upper, bound)
        }
        guard solution.status != .notSeparable else { return }
        var weights = solution.weights
        solution.weights = []   // `weights` is W's only copy: projected in place
        subspace.projectOrthogonal(inPlace: &weights)
        candidates.append(MaxMarginCandidate(
            weights: weights,
            earlyStop: separable ? nil : solution.epochs >= solver.maxEpochs ? "its epoch limit" : "the time limit",
            method: "MaxMarginSolver, projected onto 𝓕⊥"))
    }
}
