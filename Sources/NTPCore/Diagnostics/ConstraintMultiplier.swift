/// One weighted constraint of the separability LP: the margin row (e_a − e_v)ᵀ W h̄_j (token = v ∉ S_j)
/// or the tie row (e_z − e_a)ᵀ W h̄_j (token = z ∈ S_j), where a = a_j is the context's anchor.
public struct ConstraintMultiplier: Codable, Equatable, Sendable {
    /// Context index j.
    public var context: Int
    /// The off-support token v (margin rows) or the in-support token z (tie rows).
    public var token: Int
    /// α_{j,v} (≥ 0) or β_{j,z} (any sign).
    public var weight: Double
    public init(context: Int, token: Int, weight: Double) {
        self.context = context; self.token = token; self.weight = weight
    }
}
