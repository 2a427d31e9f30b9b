/// Summary of the certificate behind the separability verdict.
public struct CertificateSummary: Codable, Equatable, Sendable {
    /// "separating-W", "farkas" or "none".
    public var kind: String
    /// Whether the independent re-check passed.
    public var verified: Bool
    /// Separating W: smallest margin (≈ 1) and largest tie violation.
    public var minMargin: Double?
    public var maxTieViolation: Double?
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
        case minMargin = "min_margin", maxTieViolation = "max_tie_violation", residualNorm = "residual_norm"
        case relativeResidual = "relative_residual", normLowerBound = "norm_lower_bound"
        case marginMultipliers = "margin_multipliers", tieMultipliers = "tie_multipliers", firstOrder = "first_order"
    }

    fileprivate enum LPKeys: String, CodingKey {
        case columns, rounds, tieRows = "tie_rows", marginRows = "margin_rows", fullMarginRows = "full_margin_rows"
    }

    /// As synthesized, except that the LP's seconds are left out: they change run to run, and the
    /// report's `timing` holds them (separability_simplex), so the rest is byte-identical.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(kind, forKey: .kind)
        try c.encode(verified, forKey: .verified)
        try c.encodeIfPresent(minMargin, forKey: .minMargin)
        try c.encodeIfPresent(maxTieViolation, forKey: .maxTieViolation)
        try c.encodeIfPresent(residualNorm, forKey: .residualNorm)
        try c.encodeIfPresent(relativeResidual, forKey: .relativeResidual)
        try c.encodeIfPresent(normLowerBound, forKey: .normLowerBound)
        try c.encode(marginMultipliers, forKey: .marginMultipliers)
        try c.encode(tieMultipliers, forKey: .tieMultipliers)
        if let lp {
            var n = c.nestedContainer(keyedBy: LPKeys.self, forKey: .lp)
            try n.encode(lp.columns, forKey: .columns)
            try n.encode(lp.rounds, forKey: .rounds)
            try n.encode(lp.tieRows, forKey: .tieRows)
            try n.encode(lp.marginRows, forKey: .marginRows)
            try n.encode(lp.fullMarginRows, forKey: .fullMarginRows)
        }
        try c.encodeIfPresent(firstOrder, forKey: .firstOrder)
        try c.encodeIfPresent(reason, forKey: .reason)
        try c.encodeIfPresent(method, forKey: .method)
    }
}

extension CertificateSummary {
    /// Reads what `encode(to:)` writes (the LP's seconds, left to `timing`, are 0).
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        kind = try c.decode(String.self, forKey: .kind)
        verified = try c.decode(Bool.self, forKey: .verified)
        minMargin = try c.decodeIfPresent(Double.self, forKey: .minMargin)
        maxTieViolation = try c.decodeIfPresent(Double.self, forKey: .maxTieViolation)
        residualNorm = try c.decodeIfPresent(Double.self, forKey: .residualNorm)
        relativeResidual = try c.decodeIfPresent(Double.self, forKey: .relativeResidual)
        normLowerBound = try c.decodeIfPresent(Double.self, forKey: .normLowerBound)
        marginMultipliers = try c.decode(Int.self, forKey: .marginMultipliers)
        tieMultipliers = try c.decode(Int.self, forKey: .tieMultipliers)
        if c.contains(.lp) {
            let n = try c.nestedContainer(keyedBy: LPKeys.self, forKey: .lp)
            lp = SeparabilityLPStatistics(columns: try n.decode(Int.self, forKey: .columns), tieRows: try n.decode(Int.self, forKey: .tieRows),
                                          marginRows: try n.decode(Int.self, forKey: .marginRows),
                                          fullMarginRows: try n.decode(Int.self, forKey: .fullMarginRows),
                                          rounds: try n.decode(Int.self, forKey: .rounds), simplexSeconds: 0, totalSeconds: 0)
        }
        firstOrder = try c.decodeIfPresent(FirstOrderSeparabilityStatistics.self, forKey: .firstOrder)
        reason = try c.decodeIfPresent(String.self, forKey: .reason)
        method = try c.decodeIfPresent(String.self, forKey: .method)
    }
}
