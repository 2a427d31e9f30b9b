import NTPFormats

/// Dense features with every nonzero context column h̄_j scaled to unit norm, for a separability decision that the
/// columns' spread left at the threshold. Separability does not change when h̄_j is scaled by s_j > 0 (the ties stay
/// 0, the margins keep their sign), and a Farkas pair for the unit columns is one for H once each context's
/// multipliers are divided by ‖h̄_j‖: its residual and its unit Σ α ‖(e_a − e_v) h̄_jᵀ‖ scale alike. QA round 21:
/// column norms 10⁻⁴ to 10⁴ (12 contexts, d = 5) were "at the threshold", where the unit columns give a pair that
/// verifies on H itself at a relative residual of 3.6e-15.
struct UnitColumns {
    /// ‖h̄_j‖ (1 for a zero column, which stays 0).
    let norms: [Double]

    /// Columns whose norms differ by more than this factor get the retry.
    static let spread = 0x1p10

    /// nil unless the features are dense and their nonzero column norms differ by more than `spread`.
    init?(_ features: ContextFeatures) {
        guard case .dense = features.storage else { return nil }
        let norms = TheoryKernels.columnNormsSquared(features).map { $0.squareRoot() }
        let nonzero = norms.filter { $0 > 0 }
        guard let low = nonzero.min(), let high = nonzero.max(), high > Self.spread * low, high.isFinite else { return nil }
        self.norms = norms.map { $0 > 0 ? $0 : 1 }
    }

    /// The unit columns h̄_j/‖h̄_j‖.
    func scaled(_ features: ContextFeatures) -> ContextFeatures {
        guard case .dense(let h) = features.storage else { return features }
        let d = features.dimension
        let unit = h.indices.map { h[$0] / norms[$0 / d] }
        return ContextFeatures(dimension: d, contextCount: features.contextCount, storage: .dense(unit))
    }

    /// `unit`'s verdict for the original features: its Farkas pair with multipliers divided by ‖h̄_j‖ (Σα = 1 again),
    /// re-verified on H, and then held to round-off like every "no" (`exactFarkasOrThreshold`); otherwise, or when
    /// that fails, `given` (the decision on H). A "yes" is not carried back: on H the bracket on γ* stayed below 10τ
    /// of its scale (max‖h̄_j‖), which a W found on other columns does not change.
    func carriedBack(_ unit: SeparabilityResult, over given: SeparabilityResult, data: DataSet, features: ContextFeatures,
                     options: SeparabilityOptions) -> SeparabilityResult {
        guard unit.verdict == .notSeparable, let cert = unit.farkas?.reweighted({ 1 / norms[$0] }) else { return given }
        var r = unit
        r.farkas = cert
        // γ* and its bracket in the units of H: the decision on H's (a "no" then narrows its upper end).
        r.normalizedMargin = given.normalizedMargin
        r.marginBracket = given.marginBracket
        r.check = Separability.verify(cert, data: data, features: features, tolerance: options.tolerance)
        guard r.check?.valid == true else { return given }
        r.involvedContexts = Separability.involvedContexts(cert)
        r.method += " (on the unit columns h̄_j/‖h̄_j‖: their norms span \(String(format: "%.3g", norms.max()! / norms.min()!))×; at the threshold on H)"
        let carried = Separability.exactFarkasOrThreshold(r, data: data, features: features, options: options)
        return carried.verdict == .notSeparable ? carried : given
    }
}
