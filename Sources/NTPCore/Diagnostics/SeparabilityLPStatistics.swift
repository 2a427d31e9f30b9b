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
    public var simplexSeconds: Double
    /// Seconds for the whole decision, including verification.
    public var totalSeconds: Double

    enum CodingKeys: String, CodingKey {
        case columns, rounds
        case tieRows = "tie_rows", marginRows = "margin_rows", fullMarginRows = "full_margin_rows"
        case simplexSeconds = "simplex_seconds", totalSeconds = "total_seconds"
    }
}
