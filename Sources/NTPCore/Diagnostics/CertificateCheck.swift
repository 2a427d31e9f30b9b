/// What an independent re-check of a certificate measured.
public struct CertificateCheck: Codable, Equatable, Sendable {
    /// Whether the certificate passed with the stated tolerances.
    public var valid: Bool
    /// Separating: the smallest margin ℓ_a − ℓ_v over all j, v ∉ S_j. Farkas: Σα (should be 1).
    public var minMargin: Double
    /// Separating: the largest |ℓ_z − ℓ_a| over in-support pairs. Farkas: unused (0).
    public var maxTieViolation: Double
    /// Separating: the largest tie violation accepted, τ·√2·‖W‖_F·max_j ‖h̄_j‖ (`Separability`'s
    /// scale). Farkas: nil.
    public var tieBound: Double? = nil
    /// Farkas: ‖Σ α C + Σ β T‖_F. Separating: unused (0).
    public var residualNorm: Double
    /// Farkas: residualNorm / Σ α_{j,v} ‖(e_a − e_v) h̄_jᵀ‖_F, the residual against the margin terms (Σα = 1,
    /// so at most the largest constraint norm); β terms are left out because they can cancel exactly.
    /// Separating: unused (0).
    public var relativeResidual: Double
    /// One-line description of the first failed condition, or nil.
    public var failure: String?
}
