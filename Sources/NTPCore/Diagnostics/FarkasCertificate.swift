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
}
