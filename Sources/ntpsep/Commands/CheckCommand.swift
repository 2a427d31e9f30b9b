import ArgumentParser
import NTPReport

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Decide NTP-separability (with a verified certificate) and report compatibility and the entropy gap.",
        discussion: """
        separable is decided to a relative tolerance τ = 1e-9 by the first route that applies (theory.md §7): \
        closed forms, forced ties, the null-space LP or its cutting planes, Wolfe's minimum-norm point on \
        the projected constraint vectors, and the exact LP (GLPK) as the fallback. Every verdict is \
        re-verified from the data: a W ⊥ 𝓕 with all margins positive, or Farkas multipliers (α, β) whose \
        relative residual is at round-off (ρ₀ = 1e-12). A bracket on the max normalized margin γ* below 10τ, \
        or a Farkas pair that verifies to τ but not to ρ₀ (contexts about that close with different \
        supports), is reported as "at the threshold".

        --certificate writes the certificate as .npz; scripts/verify_certificate.py re-checks it with numpy.
        """)

    @OptionGroup var input: DataSetInput
    @OptionGroup var embedding: EmbeddingOption
    @OptionGroup var selection: ContextSelectionArguments<SubsampleSeed>
    @OptionGroup var budget: TimeBudget
    @OptionGroup var gap: GapStepsOption
    @OptionGroup var console: ReportConsole<CheckOutcome>

    @Option(help: "How many contexts each list shows.")
    var top: Int = 10

    @Option(help: "Budget of the certified lower end of CE − 𝓗 (a feasible maximum-entropy point), in Hessian-vector products (0 = skip it).")
    var gapBoundProducts: Int = 20_000

    @Option(help: ArgumentHelp("Write the certificate behind the separability verdict to this .npz (W, or Farkas α and β, with H and the supports of the input rows it uses); check it with scripts/verify_certificate.py.", valueName: "cert.npz"))
    var certificate: String?

    @Option(help: ArgumentHelp("Write the point q behind a positive lower end of inf CE − 𝓗 to this .npz (counts, H and q of every context checked); check it with scripts/verify_certificate.py. Nothing is written when the lower end is 0.", valueName: "gap.npz"))
    var gapCertificate: String?

    @Option(help: ArgumentHelp("Write the evidence behind the compatibility verdict to this .npz (yes: a W within the tolerance; no: the least-squares residual, which bounds the residual of every W up to a norm it states; with H and the supports); check it with scripts/verify_certificate.py.", valueName: "compat.npz"))
    var compatCertificate: String?

    @Option(help: ArgumentHelp("Decide the N most frequent contexts first, doubling N until a Farkas certificate (valid for the whole data set) or the whole data set; default 1000 when more than 8,000 contexts are checked.", valueName: "N"))
    var growFrom: Int?

    @Option(help: ArgumentHelp("A decoder W (V × d .npy, e.g. from train -o or your own code) to certify first: projected onto 𝓕⊥ (not with --no-compat: then its ties must already hold), it settles 'separable' when every margin is positive; otherwise the solvers decide.", valueName: "W.npy"))
    var weights: String?

    @Flag(help: "Skip the compatibility residual, the NTP-SVM margin and the exact 𝓕⊥ projection of the first-order fallback (ties relaxed): for very large data sets.")
    var noCompat = false

    func validate() throws {
        try OptionCheck.nonNegative(top, "--top")
        try OptionCheck.nonNegative(budget.seconds(default: 600), "--time-limit")   // 0: stop at the first budget check (undecided)
        try OptionCheck.nonNegative(gapBoundProducts, "--gap-bound-products")
        if let n = growFrom { try OptionCheck.positive(n, "--grow-from") }
    }

    func run() throws {
        var check = SeparabilityCheck(data: input.data, embedding: embedding.embedding, selection: selection.selection)
        check.top = top
        check.timeLimit = budget.seconds(default: 600)
        check.gapSteps = gap.gapSteps ?? 2000
        check.gapBoundProducts = gapBoundProducts
        check.certificate = certificate
        check.gapCertificate = gapCertificate
        check.compatCertificate = compatCertificate
        check.growFrom = growFrom
        check.weights = weights
        check.noCompat = noCompat
        try console.emit(try check.run())
    }
}
