/// A "no" certificate (Farkas): α ≥ 0 on margin rows with Σα = 1 and β on tie rows such that
/// Σ α_{j,v} (e_{a_j} − e_v) h̄_jᵀ + Σ β_{j,z} (e_z − e_{a_j}) h̄_jᵀ = 0.
///
/// Then every W with tied in-support logits has Σ α · margins = 0, so some margin is ≤ 0.
public struct FarkasCertificate: Sendable {
    /// α, normalised to Σα = 1, only nonzero entries.
    public var marginMultipliers: [ConstraintMultiplier]
    /// β, scaled with α, only nonzero entries.
    public var tieMultipliers: [ConstraintMultiplier]
    /// Anchor token a_j per context (as in the LP).
    public var anchors: [Int]

    /// Every multiplier of context j times `factor(j)`, then all divided by the new Σα (so Σα = 1 again): the pair
    /// for the columns h̄_j/factor(j), since a term's product with its column is then unchanged. nil when Σα is not
    /// positive and finite.
    func reweighted(_ factor: (Int) -> Double) -> FarkasCertificate? {
        let total = marginMultipliers.reduce(0) { $0 + $1.weight * factor($1.context) }
        guard total > 0, total.isFinite else { return nil }
        func scaled(_ list: [ConstraintMultiplier]) -> [ConstraintMultiplier] {
            list.map { ConstraintMultiplier(context: $0.context, token: $0.token, weight: $0.weight * factor($0.context) / total) }
        }
        return FarkasCertificate(marginMultipliers: scaled(marginMultipliers), tieMultipliers: scaled(tieMultipliers), anchors: anchors)
    }
}
