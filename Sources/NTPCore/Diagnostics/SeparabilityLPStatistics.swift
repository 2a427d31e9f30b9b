/// Statistics about the LP solve.
public struct SeparabilityLPStatistics: Codable, Equatable, Sendable {
    /// LP columns (V · #used features + 1).
    public var columns: Int
    /// Tie rows Σ_j (k_j − 1).
    public var tieRows: Int
    /// Margin rows in the final LP (of `fullMarginRows`).
    public var marginRows: Int
    /// Σ_j (V − k_j): margin rows of the full LP.
    public var fullMarginRows: Int
    /// Constraint-generation rounds.
    public var rounds: Int
    /// Seconds spent in simplex.
    public var simplexSeconds: Double = 0
    /// Seconds for the whole decision, including verification.
    public var totalSeconds: Double = 0

    /// The seconds are not in JSON (decoded as 0): they change run to run, and the check report's
    /// `timing` holds them (separability_simplex), so the rest is byte-identical.
    enum CodingKeys: String, CodingKey {
        case columns, rounds
        case tieRows = "tie_rows", marginRows = "margin_rows", fullMarginRows = "full_margin_rows"
    }
}
