import Foundation

/// A proof that the log-odds system P_U(W H) = c has no solution of moderate norm, which numpy can re-check
/// from the supports, the counts and H (`scripts/verify_certificate.py`).
///
/// For any y in U (centred on each support) and every W, Cauchy–Schwarz gives
///     ‖P_U(W H) − c‖ ≥ yᵀ(c − P_U(W H))/‖y‖ = (yᵀc − ⟨𝓐y, W⟩)/‖y‖ ≥ (yᵀc − ‖𝓐y‖_F ‖W‖_F)/‖y‖,
/// with 𝓐y = Σ_j y_j h̄_jᵀ. So every W with ‖W‖_F ≤ B has relative residual at least
/// L = (yᵀc − ‖𝓐y‖_F B)/(‖y‖ ‖c‖). The least-squares residual y = c − P_U(W* H) makes 𝓐y vanish
/// (the normal equations) and yᵀc = ‖y‖², so L is close to the residual itself for every B up to about
/// yᵀc/‖𝓐y‖_F; in exact arithmetic B would be infinite.
public struct IncompatibilityCertificate: Sendable {
    /// y, one value per support entry (a context's entries with a positive count, in the data set's order).
    public let entryResidual: [Double]
    /// The ‖𝓐y‖_F that B and L are computed with: the value found, or a floor for its round-off
    /// (`roundOffFloor`), whichever is larger, so that a recomputation summing in another order stays below it.
    public let adjointNorm: Double
    /// B: the bound holds for every W with ‖W‖_F ≤ B (infinite when 𝓐y = 0 exactly, e.g. H = 0).
    public let normRadius: Double
    /// L: every W with ‖W‖_F ≤ B has ‖P_U(W H) − c‖/‖c‖ ≥ L.
    public let lower: Double

    /// ‖𝓐y‖_F's floor is this many ulps of Σ_j ‖y_j‖ ‖h̄_j‖, the size of the sum's terms.
    static let roundOffUlps = 64.0
}

extension DataSubspace {
    /// The certificate built on W's residual y = c − P_U(W H), with B chosen so that L is three quarters of
    /// yᵀc/(‖y‖ ‖c‖) (the relative residual when W is the least-squares solution); nil when yᵀc ≤ 0 (W fits c
    /// exactly, or y is no evidence). W is V × d row-major.
    public func incompatibilityCertificate(_ w: [Double]) -> IncompatibilityCertificate? {
        let c = layout.centredLogProbabilities
        let fitted = adjoint(w)
        let y = (0..<c.count).map { c[$0] - fitted[$0] }
        let yc = theoryDot(y, c), yNorm = theoryNorm(y), cNorm = theoryNorm(c)
        guard yc > 0, yNorm > 0, cNorm > 0 else { return nil }
        let floor = IncompatibilityCertificate.roundOffUlps * .ulpOfOne * termSize(y)
        let adjointNorm = max(theoryNorm(synthesize(y)), floor)
        if adjointNorm == 0 {
            return IncompatibilityCertificate(entryResidual: y, adjointNorm: 0, normRadius: .infinity, lower: yc / (yNorm * cNorm))
        }
        let radius = yc / (4 * adjointNorm)
        return IncompatibilityCertificate(entryResidual: y, adjointNorm: adjointNorm, normRadius: radius,
                                          lower: (yc - adjointNorm * radius) / (yNorm * cNorm))
    }

    /// Σ_j ‖y_j‖ ‖h̄_j‖ over the contexts' support entries.
    private func termSize(_ y: [Double]) -> Double {
        let norms = TheoryKernels.columnNormsSquared(features)
        var total = 0.0
        for j in 0..<contextCount {
            var s = 0.0
            for e in layout.rowOffsets[j]..<layout.rowOffsets[j + 1] { s += y[e] * y[e] }
            total += (s * norms[j]).squareRoot()
        }
        return total
    }
}
