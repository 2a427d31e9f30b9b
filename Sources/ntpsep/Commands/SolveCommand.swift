import ArgumentParser
import NTPReport

struct Solve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compute the two limits of gradient descent: W* (finite part) and W^mm (NTP-SVM direction).",
        discussion: """
        Writes OUT.npz with W_star and W_mm (V × d float64), H (d × m; omitted when d·m > 5e7), \
        logits_mm (V × m = W_mm H), residual (‖P_U(W* H) − c‖/‖c‖), compatible (residual ≤ 1e-8), \
        status ('separable', 'not-separable', 'undecided'), separable (1/0), margin (1/‖W_mm‖), \
        norm_mm (‖W_mm‖), margin_upper_bound (certified), kkt ([tie, margin, complementarity, gap]), \
        gamma_min_norm_point (γ* = ‖x*‖ from Wolfe's method, NaN past its size limit), gamma_inf (γ*_∞, \
        the entrywise max-norm max margin, by an LP; NaN when not separable, undecided or V·d > 300,000), \
        gamma_inf_status (why: separable, not-separable, "undecided: time limit …" when \
        --linf-time-limit aborted the LP, too-large), W_inf (V × d, its minimiser with margins ≥ 1; \
        zeros when gamma_inf is NaN; not unique), projection_checks ([‖P_F(W_mm)‖/‖W_mm‖, \
        ‖P_F(W*) − W*‖/‖W*‖]), data_fingerprint (a 64-bit hash of the data, which train --reference \
        compares with its DATA) and options (JSON: every option and seed). No timings are stored (they \
        are printed), so the same inputs and options give the same bytes.
        """)

    @OptionGroup var input: DataSetInput
    @OptionGroup var embedding: EmbeddingOption
    @OptionGroup var output: OutputOption<SolutionOutput>

    @Option(help: "KKT tolerance of the NTP-SVM (tie, margin, complementarity, relative duality gap).")
    var tolerance: Double = 1e-6

    @Option(help: "Stop the epochs when the certified margin is below this times max_j ‖h_j‖ (only when H is rank deficient); 'not separable' then stands only if check's decision verifies it (a Farkas pair), else the status is undecided.")
    var nonSeparableMargin: Double = 1e-4

    @Option(help: "Epoch cap of the NTP-SVM solver.")
    var maxEpochs: Int = 200_000

    @Option(help: ArgumentHelp("Seconds allowed for the ℓ∞ max-margin LP (γ*_∞); past it gamma_inf is NaN (GLPK looks at its clock between stretches of work, so a limit below about a second is not kept exactly).", valueName: "seconds"))
    var linfTimeLimit: Double = 60

    @Option(help: ArgumentHelp("Seconds allowed for γ* a second way, by the minimum-norm point (gamma_min_norm_point); stopped by it, the value is the upper end its run reached and the γ* line says \"undecided\".", valueName: "seconds"))
    var timeLimit: Double = 60

    @Option(help: "Largest number of contexts m for which W* and W^mm use G = HᵀH (m² doubles); above it they work in weight space (V × d), which needs d < m for W^mm.")
    var gramLimit: Int = SolutionFile.defaultGramLimit

    @OptionGroup var console: QuietFlag

    func validate() throws {
        try OptionCheck.positive(tolerance, "--tolerance")
        try OptionCheck.nonNegative(nonSeparableMargin, "--non-separable-margin")
        try OptionCheck.positive(maxEpochs, "--max-epochs")
        try OptionCheck.positive(linfTimeLimit, "--linf-time-limit")
        try OptionCheck.positive(timeLimit, "--time-limit")
        try OptionCheck.nonNegative(gramLimit, "--gram-limit")
    }

    func run() throws {
        let file = SolutionFile(data: input.data, embedding: embedding.embedding, output: output.requiredPath,
                                tolerance: tolerance, nonSeparableMargin: nonSeparableMargin, maxEpochs: maxEpochs,
                                linfTimeLimit: linfTimeLimit, gramLimit: gramLimit, timeLimit: timeLimit)
        console.emit(try file.run())
    }
}
