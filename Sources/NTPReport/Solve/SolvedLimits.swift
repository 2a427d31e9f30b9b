import NTPCore
import NTPFormats

/// W*, W^mm, γ* (minimum-norm point) and γ*_∞ of one data set and embedding, with the projection
/// checks and the seconds each took.
struct SolvedLimits {
    let star: FinitePartSolution
    let mm: MaxMarginSolution
    /// The verdict of `Separability.decide` when the epochs' bound called the data not separable and the decision
    /// did not verify that (a separating W, at the threshold, or undecided): the status is then `.undecided` (see
    /// `init`); nil otherwise.
    let unconfirmedByDecision: SeparabilityVerdict?
    let wolfe: MinimumNormPointMaxMargin?
    let inf: MaxNormMarginSolution
    let v: Int, m: Int, d: Int
    /// ‖P_F(W^mm)‖/‖W^mm‖ and ‖P_F(W*) − W*‖/‖W*‖, and the projection's CG iterations and seconds.
    let perp: Double, inF: Double, projectIterations: Int
    let seconds: (star: Double, mm: Double, wolfe: Double, project: Double)

    init(data: DataSet, features: ContextFeatures, solver: MaxMarginSolver, linfTimeLimit: Double, gramLimit: Int,
         timeLimit: Double) throws {
        v = data.vocabularySize; m = data.contextCount; d = features.dimension
        let subspace = try DataSubspace(data: data, features: features, gramLimit: gramLimit)
        let t0 = Stopwatch()
        star = subspace.solveFinitePart()
        let tStar = t0.elapsed
        // γ* a second way: Wolfe's minimum-norm point, ‖x*‖ = 1/‖W^mm‖ (theory.md §7).
        let t3 = Stopwatch()
        var pointOptions = SeparabilityOptions()
        pointOptions.timeLimit = timeLimit
        let point = Separability.maxMarginByMinNormPoint(data, features: features, options: pointOptions)
        wolfe = point
        let tWolfe = t3.elapsed
        let t1 = Stopwatch()
        // Where the point's Farkas pair already proves "not separable", W^mm does not exist and the epochs add
        // nothing but seconds (QA round 21: 200,000 epochs, 80 s, after a 0.86 s proof): a few run, for the file's
        // dual iterate and its certified bound.
        var epochs = solver
        if point?.verdict == .notSeparable { epochs.maxEpochs = min(solver.maxEpochs, Self.epochsAfterAProof) }
        var mm = try maxMargin(epochs, subspace) { point }
        // "Not separable" by the epochs' bound means γ* < --non-separable-margin · max_j ‖h̄_j‖, a scale one
        // large column sets alone (QA round 8: H with one column × 1e6, d > m, called not separable). It
        // stands only if the exact decision verifies it (a Farkas certificate) within the γ*_∞ LP's time limit:
        // QA round 21 had column norms 1e-4 to 1e4, where the decision said "at the threshold" and γ* = 6.2e-5.
        var options = SeparabilityOptions()
        options.timeLimit = linfTimeLimit
        options.boundMarginAfterYes = false
        var unconfirmed: SeparabilityVerdict? = nil
        if mm.status == .notSeparable && !mm.notSeparableByMinimumNormPoint {
            let verdict = Separability.decide(data, features: features, options: options).verdict
            if verdict != .notSeparable { unconfirmed = verdict }
        }
        unconfirmedByDecision = unconfirmed
        if unconfirmed != nil { mm.status = .undecided }
        self.mm = mm
        let tMM = t1.elapsed
        // Verified not separable: there is no ℓ∞ margin either, and its LP would only run to its limit (QA round 21).
        inf = mm.status == .notSeparable ? .notSeparable(mm.notSeparableByMinimumNormPoint ? "by the minimum-norm point's Farkas pair" : "by the NTP-SVM's bound, verified by check's decision")
            : MaxNormMarginSolver(timeLimit: linfTimeLimit).solve(data, features: features)
        // Consistency checks through the projection the trainer uses: W^mm ⊥ 𝓕, W* ∈ 𝓕.
        let t2 = Stopwatch()
        let pMM = subspace.project(mm.weights)
        let tProject = t2.elapsed
        projectIterations = subspace.lastIterations
        let pStar = subspace.project(star.weights)
        perp = relativeNorm(pMM, mm.weights)
        inF = relativeNorm(zip(pStar, star.weights).map { $0 - $1 }, star.weights)
        seconds = (tStar, tMM, tWolfe, tProject)
    }

    /// The .npz members (H only when d·m ≤ 5e7), without options and format_version.
    func members(features: ContextFeatures) -> [(String, NPYArray)] {
        var members: [(String, NPYArray)] = [
            ("W_star", NPYArray(doubles: star.weights, shape: [v, d])),
            ("W_mm", NPYArray(doubles: mm.weights, shape: [v, d])),
            ("logits_mm", NPYArray(doubles: mm.logits, shape: [v, m])),
            ("residual", NPYArray(doubles: [star.relativeResidual], shape: [])),
            ("compatible", NPYArray(int64: [star.isCompatible ? 1 : 0], shape: [])),
            ("status", NPYArray(strings: [mm.status.rawValue], shape: [])),
            ("W_mm_method", NPYArray(strings: [mm.fromMinimumNormPoint ? "minimum-norm point" : "block coordinate ascent"], shape: [])),
            ("separable", NPYArray(int64: [mm.status == .separable ? 1 : 0], shape: [])),
            ("margin", NPYArray(doubles: [mm.status == .separable ? mm.margin : .nan], shape: [])),
            ("norm_mm", NPYArray(doubles: [mm.normSquared.squareRoot()], shape: [])),
            ("margin_upper_bound", NPYArray(doubles: [mm.marginUpperBound], shape: [])),
            ("kkt", NPYArray(doubles: [mm.kkt.tieViolation, mm.kkt.marginViolation, mm.kkt.complementarity, mm.kkt.relativeGap], shape: [4])),
            ("gamma_min_norm_point", NPYArray(doubles: [wolfe?.gamma ?? .nan], shape: [])),
            ("gamma_inf", NPYArray(doubles: [inf.gamma], shape: [])),
            ("gamma_inf_status", NPYArray(strings: [inf.status.rawValue + (inf.message.isEmpty ? "" : ": " + inf.message)], shape: [])),
            ("W_inf", NPYArray(doubles: inf.status == .separable ? inf.weights : [Double](repeating: 0, count: v * d), shape: [v, d])),
            ("projection_checks", NPYArray(doubles: [perp, inF], shape: [2])),
        ]
        if d * m <= 50_000_000 {
            // Column-major d × m storage is numpy's Fortran order.
            members.append(("H", NPYArray(doubles: features.denseMatrix(), shape: [d, m], fortranOrder: true)))
        }
        return members
    }

    /// Epochs run when the minimum-norm point has proved the data not separable.
    static let epochsAfterAProof = 64

    /// Why the epochs' "not separable" did not stand (`unconfirmedByDecision`), or "".
    private var unconfirmedNote: String {
        guard let verdict = unconfirmedByDecision else { return "" }
        let decision = verdict == .separable ? "a verified W separates the data (check's decision)"
            : "check's decision did not verify it (\(verdict == .atThreshold ? "at the threshold" : "undecided within --linf-time-limit"))"
        return "; the bound was below --non-separable-margin · max‖h̄_j‖, but \(decision): W^mm not reached; lower --non-separable-margin"
    }

    /// What `solve` prints after the data line.
    func lines() -> [String] {
        let verdict = star.isCompatible ? "compatible"
            : star.isLeastSquaresResidual ? "NOT compatible"
            // A weighted solve's bound proves the "no", but W is not the least-squares W* (QA round 20).
            : star.residualLowerBound > FinitePartSolution.compatibilityTolerance
            ? "NOT compatible (least-squares residual ≥ \(general(star.residualLowerBound, 3)) by the solve weighted by 1/‖h̄_j‖); CGLS did not reach W*, this residual is an upper bound"
            : "unknown: not shown to be the least-squares optimum (CGLS's time limit or iteration cap, features too ill-conditioned, or nearly parallel contexts not ruled out), an upper bound"
        var lines = ["W*         residual \(general(star.relativeResidual, 3)) -> \(verdict) (tol 1e-8); \(star.byElimination ? "by token elimination" : "\(star.iterations) CGLS iterations"), \(fixed(seconds.star, 2)) s"]
        var line = "W^mm       \(mm.status.rawValue): "
        if mm.hasNoMarginConstraint {
            line += "W^mm = 0, margin = ∞ (no context has an off-support token: no margin constraint, nothing diverges)"
        } else if mm.status == .separable {
            line += "‖W^mm‖ = \(general(mm.normSquared.squareRoot(), 6)), margin = \(general(mm.margin, 6))"
        } else {
            line += "certified margin ≤ \(general(mm.marginUpperBound, 3))"
        }
        lines.append(line + "; \(mm.epochs) epochs, \(fixed(seconds.mm, 2)) s"
                     + (mm.fromMinimumNormPoint ? ", then W^mm = x*/‖x*‖² from the minimum-norm point" : "")
                     + (mm.notSeparableByMinimumNormPoint ? ", then not separable by the minimum-norm point's Farkas pair" : "")
                     + unconfirmedNote)
        if let w = wolfe {
            let agreement = mm.status == .separable && mm.margin.isFinite ? ", 1/‖W^mm‖ − γ* = \(general(mm.margin - w.gamma, 2))" : ""
            lines.append("γ*         \(general(w.gamma, 8)) (\(w.verdict.rawValue)) by the minimum-norm point: \(w.iterations) oracle passes, \(fixed(seconds.wolfe, 2)) s\(agreement)")
        }
        lines.append(inf.summary)
        lines.append("KKT        ties \(general(mm.kkt.tieViolation, 2)), margin shortfall \(general(max(0, mm.kkt.marginViolation), 2)), "
                     + (mm.fromMinimumNormPoint ? "bracket gap \(general(mm.kkt.relativeGap, 2)) (no dual iterate)"
                        : "complementarity \(general(mm.kkt.complementarity, 2)), gap \(general(mm.kkt.relativeGap, 2))"))
        lines.append("checks     ‖P_F(W^mm)‖/‖W^mm‖ = \(general(perp, 2)), ‖P_F(W*) − W*‖/‖W*‖ = \(general(inF, 2)) (projection: \(projectIterations) CG iterations, \(fixed(seconds.project, 3)) s)")
        return lines
    }
}

/// ‖a‖/‖b‖ (0 when both vanish).
private func relativeNorm(_ a: [Double], _ b: [Double]) -> Double {
    let na = a.reduce(0) { $0 + $1 * $1 }.squareRoot(), nb = b.reduce(0) { $0 + $1 * $1 }.squareRoot()
    return nb > 0 ? na / nb : na
}
