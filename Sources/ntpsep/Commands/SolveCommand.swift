import ArgumentParser
import Foundation
import NTPCore
import NTPFormats

struct Solve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compute the two limits of gradient descent: W* (finite part) and W^mm (NTP-SVM direction).",
        discussion: """
        Writes OUT.npz with W_star and W_mm (V × d float64), H (d × m; omitted when d·m > 5e7),
        logits_mm (V × m = W_mm H), residual (‖P_U(W* H) − c‖/‖c‖), compatible (residual ≤ 1e-8),
        status ('separable', 'not-separable', 'undecided'), separable (1/0), margin (1/‖W_mm‖),
        norm_mm (‖W_mm‖), margin_upper_bound (certified), kkt ([tie, margin, complementarity, gap]),
        gamma_min_norm_point (γ* = ‖x*‖ from Wolfe's method, NaN past its size limit), gamma_inf (γ*_∞,
        the entrywise max-norm max margin, by an LP; NaN when not separable, undecided or V·d > 300,000),
        gamma_inf_status (why: separable, not-separable, "undecided: time limit …" when
        --linf-time-limit aborted the LP, too-large), W_inf (V × d, its minimiser with margins ≥ 1;
        zeros when gamma_inf is NaN; not unique), projection_checks ([‖P_F(W_mm)‖/‖W_mm‖,
        ‖P_F(W*) − W*‖/‖W*‖]) and options (JSON: every option and seed). No timings are stored (they
        are printed), so the same inputs and options give the same bytes.
        """)

    /// Version of the solution .npz layout (`format_version`; files from before it are version 1).
    static let formatVersion: Int64 = 1

    @Argument(help: "Data set (.npz).")
    var data: String

    @Option(help: "Context embedding: onehot, gaussian:D[:SEED], positional-onehot, positional-gaussian:D[:SEED], file:H.npy (d × m).")
    var embedding: String = "onehot"

    @Option(name: .shortAndLong, help: "Output solution (.npz).")
    var out: String

    @Option(help: "KKT tolerance of the NTP-SVM (tie, margin, complementarity, relative duality gap).")
    var tolerance: Double = 1e-6

    @Option(help: "Declare not separable when the certified margin is below this times max_j ‖h_j‖ (only when H is rank deficient).")
    var nonSeparableMargin: Double = 1e-4

    @Option(help: "Epoch cap of the NTP-SVM solver.")
    var maxEpochs: Int = 200_000

    @Option(help: "Seconds allowed for the ℓ∞ max-margin LP (γ*_∞); past it gamma_inf is NaN.")
    var linfTimeLimit: Double = 60

    @Flag(name: .shortAndLong, help: "Print nothing on success.")
    var quiet = false

    func validate() throws {
        try OptionCheck.positive(tolerance, "--tolerance")
        try OptionCheck.nonNegative(nonSeparableMargin, "--non-separable-margin")
        try OptionCheck.positive(maxEpochs, "--max-epochs")
        try OptionCheck.positive(linfTimeLimit, "--linf-time-limit")
    }

    func run() throws {
        try checkOutputs([out], inputs: [data], embedding: embedding)
        // One BLAS thread: OpenBLAS's threaded reductions made CGLS take another path with another
        // core count (on KJV, 1032 vs 1021 iterations and a different W*), and the file must not
        // depend on the machine.
        setBLASThreads(1)
        let ds = try DataSet(contentsOfNPZ: data)
        let spec = try EmbeddingSpec(parsing: embedding)
        let features = try ContextFeatures.make(spec, for: ds)
        let v = ds.vocabularySize, m = ds.contextCount, d = features.dimension

        let subspace = try DataSubspace(data: ds, features: features)
        let t0 = Stopwatch()
        let star = subspace.solveFinitePart()
        let tStar = t0.elapsed
        let t1 = Stopwatch()
        let mm = try MaxMarginSolver(tolerance: tolerance, nonSeparableMargin: nonSeparableMargin, maxEpochs: maxEpochs).solve(subspace)
        let tMM = t1.elapsed
        // γ* a second way: Wolfe's minimum-norm point, ‖x*‖ = 1/‖W^mm‖ (theory.md §7).
        let t3 = Stopwatch()
        let wolfe = Separability.maxMarginByMinNormPoint(ds, features: features)
        let tWolfe = t3.elapsed
        let inf = MaxNormMarginSolver(timeLimit: linfTimeLimit).solve(ds, features: features)

        // A solver that lost every digit must not write weights labelled with a verdict.
        guard star.weights.allSatisfy(\.isFinite), mm.weights.allSatisfy(\.isFinite) else {
            throw CLIError("\(data): the solvers produced non-finite weights for --embedding \(spec); nothing written to \(out) (rescale the embedding so its entries are near 1)")
        }
        // Consistency checks through the projection the trainer uses: W^mm ⊥ 𝓕, W* ∈ 𝓕.
        let t2 = Stopwatch()
        let pMM = subspace.project(mm.weights)
        let tProject = t2.elapsed, itProject = subspace.lastIterations
        let pStar = subspace.project(star.weights)
        let perp = relativeNorm(pMM, mm.weights)
        let inF = relativeNorm(zip(pStar, star.weights).map { $0 - $1 }, star.weights)

        var members: [(String, NPYArray)] = [
            ("W_star", NPYArray(doubles: star.weights, shape: [v, d])),
            ("W_mm", NPYArray(doubles: mm.weights, shape: [v, d])),
            ("logits_mm", NPYArray(doubles: mm.logits, shape: [v, m])),
            ("residual", NPYArray(doubles: [star.relativeResidual], shape: [])),
            ("compatible", NPYArray(int64: [star.isCompatible ? 1 : 0], shape: [])),
            ("status", NPYArray(bytesString: mm.status.rawValue)),
            ("separable", NPYArray(int64: [mm.status == .separable ? 1 : 0], shape: [])),
            ("margin", NPYArray(doubles: [mm.status == .separable ? mm.margin : 0], shape: [])),
            ("norm_mm", NPYArray(doubles: [mm.normSquared.squareRoot()], shape: [])),
            ("margin_upper_bound", NPYArray(doubles: [mm.marginUpperBound], shape: [])),
            ("kkt", NPYArray(doubles: [mm.kkt.tieViolation, mm.kkt.marginViolation, mm.kkt.complementarity, mm.kkt.relativeGap], shape: [4])),
            ("gamma_min_norm_point", NPYArray(doubles: [wolfe?.gamma ?? .nan], shape: [])),
            ("gamma_inf", NPYArray(doubles: [inf.gamma], shape: [])),
            ("gamma_inf_status", NPYArray(bytesString: inf.status.rawValue + (inf.message.isEmpty ? "" : ": " + inf.message))),
            ("W_inf", NPYArray(doubles: inf.status == .separable ? inf.weights : [Double](repeating: 0, count: v * d), shape: [v, d])),
            ("projection_checks", NPYArray(doubles: [perp, inF], shape: [2])),
        ]
        if d * m <= 50_000_000 {
            // Column-major d × m storage is numpy's Fortran order.
            members.append(("H", NPYArray(doubles: features.denseMatrix(), shape: [d, m], fortranOrder: true)))
        }
        let opts: [String: Any] = ["data": data, "embedding": spec.description, "tolerance": tolerance,
                                   "non_separable_margin": nonSeparableMargin, "max_epochs": maxEpochs,
                                   "linf_time_limit": linfTimeLimit,
                                   "epochs": mm.epochs, "cgls_iterations": star.iterations]
        let json = String(decoding: try JSONSerialization.data(withJSONObject: opts, options: [.sortedKeys]), as: UTF8.self)
        members.append(("options", NPYArray(bytesString: json)))
        members.append(FormatVersion.member(Solve.formatVersion))
        try NPZArchive.write(members, to: out)

        if !quiet {
            print("data       m = \(grouped(m)) contexts, V = \(grouped(v)), d = \(grouped(d)) (\(spec))")
            print("W*         residual \(general(star.relativeResidual, 3)) -> \(star.isCompatible ? "compatible" : "NOT compatible") (tol 1e-8); \(star.iterations) CGLS iterations, \(fixed(tStar, 2)) s")
            var line = "W^mm       \(mm.status.rawValue): "
            if mm.status == .separable {
                line += "‖W^mm‖ = \(general(mm.normSquared.squareRoot(), 6)), margin = \(general(mm.margin, 6))"
            } else {
                line += "certified margin ≤ \(general(mm.marginUpperBound, 3))"
            }
            print(line + "; \(mm.epochs) epochs, \(fixed(tMM, 2)) s")
            if let w = wolfe {
                let agreement = mm.status == .separable ? ", 1/‖W^mm‖ − γ* = \(general(mm.margin - w.gamma, 2))" : ""
                print("γ*         \(general(w.gamma, 8)) (\(w.verdict.rawValue)) by the minimum-norm point: \(w.iterations) oracle passes, \(fixed(tWolfe, 2)) s\(agreement)")
            }
            print(inf.summary)
            print("KKT        ties \(general(mm.kkt.tieViolation, 2)), margin shortfall \(general(max(0, mm.kkt.marginViolation), 2)), complementarity \(general(mm.kkt.complementarity, 2)), gap \(general(mm.kkt.relativeGap, 2))")
            print("checks     ‖P_F(W^mm)‖/‖W^mm‖ = \(general(perp, 2)), ‖P_F(W*) − W*‖/‖W*‖ = \(general(inF, 2)) (projection: \(itProject) CG iterations, \(fixed(tProject, 3)) s)")
            print("wrote      \(out)")
        }
    }
}



/// ‖a‖/‖b‖ (0 when both vanish).
private func relativeNorm(_ a: [Double], _ b: [Double]) -> Double {
    let na = a.reduce(0) { $0 + $1 * $1 }.squareRoot(), nb = b.reduce(0) { $0 + $1 * $1 }.squareRoot()
    return nb > 0 ? na / nb : na
}
