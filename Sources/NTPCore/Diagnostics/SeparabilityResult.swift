/// The result of `Separability.decide`.
public struct SeparabilityResult: Sendable {
    /// The verdict.
    public var verdict: SeparabilityVerdict
    /// Present when separable.
    public var separating: SeparatingCertificate?
    /// Present when not separable, and at the threshold when a pair verifies to τ but not to round-off.
    public var farkas: FarkasCertificate?
    /// The independent re-check of whichever certificate was produced.
    public var check: CertificateCheck?
    /// Contexts with α_j = Σ_v α_{j,v} > 0, by decreasing weight (only for "not separable").
    public var involvedContexts: [ContextWeight]
    /// min margin / ‖W‖_F of the separating W: a lower bound on the max-margin 1/‖W^mm‖.
    public var normalizedMargin: Double?
    /// LP statistics (nil when the LP was not attempted).
    public var lp: SeparabilityLPStatistics?
    /// First-order statistics (only when undecided).
    public var firstOrder: FirstOrderSeparabilityStatistics?
    /// Why the verdict is undecided, one line.
    public var reason: String?
    /// τ used for the decision (`SeparabilityOptions.tolerance`).
    public var tolerance: Double = SeparabilityOptions().tolerance
    /// ρ₀, the relative residual a Farkas pair reached for "not separable" (`SeparabilityOptions.exactResidual`).
    public var exactResidual: Double = SeparabilityOptions().exactResidual
    /// Certified bracket [lower, upper] on γ* = max_{‖W‖_F = 1, W ⊥ 𝓕} min margin, when known.
    public var marginBracket: MarginBracket?
    /// Which route decided, e.g. "minimum-norm point (Wolfe): 212 oracle passes, 1,804 active pairs".
    public var method: String = ""
}
