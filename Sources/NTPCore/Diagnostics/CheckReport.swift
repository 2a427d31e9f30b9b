import NTPFormats

/// Everything `ntpsep check` reports (JSON keys in snake_case; unknown values are null, so every
/// documented key is always present).
public struct CheckReport: Codable, Equatable, Sendable {
    /// m, V and d.
    public var contexts, vocabulary, dimension: Int
    public var embedding: String
    /// 𝓗 in nats.
    public var entropy: Double
    /// NTP_𝓗-compatible (compat_residual ≤ tolerance); null without a compatibility solver, or when its
    /// solve stopped at the time limit above the tolerance (compat_residual is then an upper bound).
    @NullWhenAbsent public var compatible: Bool?
    @FiniteOrNull public var compatResidual: Double?
    /// NTP-separable; null when undecided or at the threshold.
    @NullWhenAbsent public var separable: Bool?
    /// "separable", "not-separable", "at-threshold" or "undecided".
    public var verdict: String
    /// τ, the relative tolerance of the decision.
    public var tolerance: Double
    /// ρ₀: "not separable" needs a Farkas pair whose relative residual is at most this (round-off); a
    /// pair between ρ₀ and τ makes the verdict "at-threshold".
    public var exactResidual: Double
    /// Certified bracket on γ* (max normalized margin, units of H), when the decision produced one.
    @NullWhenAbsent public var marginBracket: MarginBracket?
    /// Upper bound on inf CE − 𝓗: CE(W) − 𝓗 at the minimiser's final W; null without a minimiser.
    @FiniteOrNull public var entropyGap: Double?
    /// CE − 𝓗 along the minimiser's trajectory (trend).
    @NullWhenAbsent public var entropyGapTrend: [LossPoint]?
    /// How the entropy gap was computed (optimiser and stopping rule).
    @NullWhenAbsent public var entropyGapMethod: String?
    /// Certified [lower, upper] for inf CE − 𝓗 (theory.md §7): lower from an exactly feasible (to τ)
    /// point of the maximum-entropy dual, upper = min(`entropy_gap`, CE − 𝓗 at the search's last W);
    /// null without a minimiser.
    @NullWhenAbsent public var entropyGapInterval: [Double]?
    /// How the lower end was obtained: the feasible q's residual, τ, slack and method.
    @NullWhenAbsent public var entropyGapBound: EntropyGapInterval?
    /// Share of contexts / of events that the best W found separates (a verified separating W when
    /// separable, else the minimiser's W projected onto 𝓕⊥): lower bounds from a heuristic.
    @NullWhenAbsent public var separatedShareContexts: Double?
    @NullWhenAbsent public var separatedShareEvents: Double?
    /// Which W the shares count.
    @NullWhenAbsent public var separatedShareMethod: String?
    /// Margin: min margin/‖W‖_F of the certificate's W, which is `margin_bracket.lower` and re-checkable
    /// from the certificate file; that W is the verified W^mm when the NTP-SVM solve found one that
    /// certifies more than the decision's W. Null when not separable or undecided.
    @FiniteOrNull public var margin: Double?
    /// "max-margin" (the certificate's W is the verified W^mm, or H = I and the closed form gives γ*
    /// exactly) or "certificate-lower-bound".
    @NullWhenAbsent public var marginKind: String?
    public var certificate: CertificateSummary
    /// Contexts of the Farkas certificate by decreasing α_j (at most `top`).
    public var involvedContexts: [ReportedContext]
    /// Number of contexts with α_j > 0.
    public var involvedContextCount: Int
    /// Contexts with the largest π̂_j (CE_j − H_j) at the minimiser's W.
    public var excessLossContexts: [ReportedContext]
    /// Seconds per stage ("separability", "separability_simplex", "compatibility", "entropy_gap",
    /// "max_margin", "total"): JSON key `timing`, the only part of the report that changes run to run.
    /// nil (key left out) when a caller gathers the seconds elsewhere (analyze's one `timing` key).
    public var timings: [String: Double]?
    /// The command's options and seeds as given (JSON key `options`), so a report says how to rerun it:
    /// numbers as numbers, flags as booleans, an optional option not given as null.
    public var options: [String: OptionValue] = [:]
    /// The certificate file written (`CheckOptions.certificatePath`); null when none was asked for.
    @NullWhenAbsent public var certificateFile: CertificateFileSummary? = nil
    /// The entropy-gap certificate written (`CheckOptions.gapCertificatePath`); null when none was asked
    /// for or the lower end is 0.
    @NullWhenAbsent public var gapCertificateFile: String? = nil
    /// The compatibility certificate written (`CheckOptions.compatCertificatePath`); null when none was asked
    /// for or compatibility was not computed.
    @NullWhenAbsent public var compatCertificateFile: CompatibilityCertificateSummary? = nil
    /// Why compatibility was not computed although asked for: a memory check stopped its solve after the
    /// decision, whose verdict stands. Null otherwise.
    @NullWhenAbsent public var compatMethod: String? = nil

    enum CodingKeys: String, CodingKey {
        case contexts, vocabulary, dimension, embedding, entropy, compatible, separable, margin, certificate, options
        case timings = "timing"
        case verdict, tolerance, exactResidual = "exact_residual", marginBracket = "margin_bracket"
        case compatResidual = "compat_residual", entropyGap = "entropy_gap", entropyGapTrend = "entropy_gap_trend"
        case entropyGapMethod = "entropy_gap_method", marginKind = "margin_kind"
        case involvedContexts = "involved_contexts", involvedContextCount = "involved_context_count"
        case excessLossContexts = "excess_loss_contexts", certificateFile = "certificate_file"
        case gapCertificateFile = "gap_certificate_file", compatMethod = "compat_method"
        case compatCertificateFile = "compat_certificate_file"
        case entropyGapInterval = "entropy_gap_interval", entropyGapBound = "entropy_gap_bound"
        case separatedShareContexts = "separated_share_contexts", separatedShareEvents = "separated_share_events"
        case separatedShareMethod = "separated_share_method"
    }
}
