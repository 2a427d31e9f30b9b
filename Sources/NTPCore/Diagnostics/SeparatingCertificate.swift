/// A "yes" certificate: W (V × d, row-major) whose in-support logits are tied and whose margins are ≥ 1.
public struct SeparatingCertificate: Sendable {
    /// The decoder, V × d row-major.
    public var weights: [Double]
    /// Anchor token a_j ∈ S_j per context (the smallest token id of S_j; −1 for empty rows).
    public var anchors: [Int]
}
