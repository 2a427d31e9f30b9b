/// Summary of the certificate behind the separability verdict.
public struct CertificateSummary: Codable, Equatable, Sendable {
    /// "separating-W", "farkas" or "none".
    public var kind: String
    /// Whether the independent re-check passed.
    public var verified: Bool
    /// Separating W: smallest margin (≈ 1) and largest tie violation.
    public var minMargin: Double?
    public var maxTieViolation: Double?
    /// Separating W: the largest tie violation accepted, τ·√2·‖W‖_F·max_j ‖h̄_j‖.
    public var tieBound: Double?
    /// Farkas: ‖Σ α C + Σ β T‖_F and its value relative to Σ α ‖C‖_F + Σ |β| ‖T‖_F.
    public var residualNorm: Double?
    public var relativeResidual: Double?
    /// Farkas: any tie-satisfying W with all margins ≥ 1 has ‖W‖_F ≥ this (1/‖R‖_F; ∞ encoded as null).
    public var normLowerBound: Double?
    /// Number of nonzero α and β.
    public var marginMultipliers: Int
    public var tieMultipliers: Int
    /// LP statistics, when the LP ran.
    public var lp: SeparabilityLPStatistics?
    /// First-order statistics, when undecided.
    public var firstOrder: FirstOrderSeparabilityStatistics?
    /// Why undecided, or why verification failed.
    public var reason: String?
    /// The route that decided (closed form, minimum-norm point, LP) and its effort.
    public var method: String?

    enum CodingKeys: String, CodingKey {
        case kind, verified, reason, lp, method
        case minMargin = "min_margin", maxTieViolation = "max_tie_violation", tieBound = "tie_bound", residualNorm = "residual_norm"
        case relativeResidual = "relative_residual", normLowerBound = "norm_lower_bound"
        case marginMultipliers = "margin_multipliers", tieMultipliers = "tie_multipliers", firstOrder = "first_order"
    }
}
