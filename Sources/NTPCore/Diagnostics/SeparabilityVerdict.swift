/// The outcome of an NTP-separability decision.
public enum SeparabilityVerdict: String, Codable, Sendable {
    /// A W with tied in-support logits and all margins ≥ 1 was found and re-verified.
    case separable
    /// A Farkas certificate (α ≥ 0, Σα = 1, Σ α C + Σ β T = 0) was found and re-verified.
    case notSeparable = "not-separable"
    /// The bracket on the normalized max margin γ*/scale stayed below 10τ: too close to zero to call
    /// either way in float64 (reported, never counted as yes or no).
    case atThreshold = "at-threshold"
    /// Neither certificate is available (problem too large, solver failure, or verification failed).
    case undecided
}
