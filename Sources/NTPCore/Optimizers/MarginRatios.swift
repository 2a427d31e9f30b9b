import NTPFormats

/// The normalised margins of an iterate's 𝓕^⊥ part against their optima (theory.md §7):
///
///     margin_inf_ratio = min_{j, v∉S_j} (ℓ_{a_j} − ℓ_v)(W^⊥) / ‖W^⊥‖_max / γ*_∞,
///     margin_l2_ratio  = min_{j, v∉S_j} (ℓ_{a_j} − ℓ_v)(W^⊥) / ‖W^⊥‖_F   / γ*,
///
/// with W^⊥ = W − P_𝓕(W) and ℓ = W^⊥ h̄_j. The 𝓕 part is projected out because it tends to W*,
/// not to 0, and would otherwise bias the margin. Both ratios are ≤ 1 (W^⊥ scaled to margin 1 is
/// feasible for each max-margin problem) up to the projection's and the LP's round-off.
public struct MarginGeometry {
    /// γ*_∞ from `MaxNormMarginSolver` (NaN: the ℓ∞ ratio is NaN).
    public let gammaInf: Double
    /// γ* = 1/‖W^mm‖_F (NaN: the ℓ2 ratio is NaN).
    public let gamma2: Double
    private let data: DataSet
    private let cols: SparseContextColumns

    /// Margins of `data` under `features`, against the given optima.
    public init(data: DataSet, features: ContextFeatures, gammaInf: Double, gamma2: Double) {
        self.data = data
        self.cols = SparseContextColumns(features)
        self.gammaInf = gammaInf
        self.gamma2 = gamma2
    }

    /// min over contexts j and v ∉ S_j of (e_{a_j} − e_v)ᵀ W h̄_j, a_j the first support token
    /// (+∞ when there is no margin row).
    public func minMargin(_ w: [Double]) -> Double {
        MaxNormMarginSolution.residuals(data, cols: cols, weights: w).minMargin
    }

    /// (margin_inf_ratio, margin_l2_ratio) of W^⊥ (V × d row-major, already projected onto 𝓕^⊥).
    /// At W^⊥ = 0 both are 0/0 = NaN.
    public func ratios(perp w: [Double]) -> (inf: Double, l2: Double) {
        var maxAbs = 0.0, sq = 0.0
        for x in w { maxAbs = max(maxAbs, abs(x)); sq += x * x }
        let margin = minMargin(w)
        return (margin / maxAbs / gammaInf, margin / sq.squareRoot() / gamma2)
    }
}
