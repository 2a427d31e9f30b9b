/// Options of `CheckRunner.run`.
public struct CheckOptions: Sendable {
    public var separability = SeparabilityOptions()
    /// compatible ⇔ compat_residual ≤ this.
    public var compatibilityTolerance = 1e-6
    /// How many contexts each list of the report shows.
    public var top = 10
    /// Options of the certified lower end of the entropy gap; `entropyGapBound = false` skips it.
    public var entropyGapBoundOptions = EntropyGapBoundOptions()
    public var entropyGapBound = true
    /// Seconds of the entropy-gap stage, the minimiser's run and the certified lower end together (`check
    /// --time-limit`): the lower end's search gets what the run left (`EntropyGapBoundOptions.timeLimit`).
    /// The minimiser keeps its own limit (`CheckHooks.standard`'s `crossEntropyTimeLimit`, half of this).
    public var gapTimeLimit = Double.infinity
    /// Input-data-set row of each context of the data set checked (`DataSetSampling.subsample`'s
    /// `rows`), so that reports and certificates name input rows; nil = the data set is the input.
    public var originalRows: [Int]? = nil
    /// Write the certificate behind the verdict here (`CertificateFile`) right after the decision.
    public var certificatePath: String? = nil
    /// Write the point behind a positive entropy-gap lower end here (`EntropyGapCertificateFile`); nothing
    /// is written when the lower end is 0.
    public var gapCertificatePath: String? = nil
    /// Write the evidence behind the compatibility verdict here (`CompatibilityCertificateFile`) after its solve.
    public var compatCertificatePath: String? = nil
    /// A W (V × d row-major) to certify before any solver runs, e.g. a user's file; the solvers decide
    /// when it does not separate.
    public var candidateWeights: CandidateWeights? = nil
    /// Decide through the most frequent contexts first (`SubsetLadder`), starting with this many.
    public var subsetLadderStart: Int? = nil
    public init() {}
}
