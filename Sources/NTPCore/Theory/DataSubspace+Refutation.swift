import Foundation
import NTPFormats

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
    /// yᵀc, ‖y‖ and ‖c‖.
    public let residualDotTarget: Double, residualNorm: Double, targetNorm: Double
    /// The ‖𝓐y‖_F that B and L are computed with: the value found plus a bound on its round-off
    /// (`roundOffUlps`), so that a recomputation summing in another order stays below it.
    public let adjointNorm: Double

    /// ‖𝓐y‖_F's round-off is taken as this many ulps of Σ_j ‖y_j‖ ‖h̄_j‖, the size of the sum's terms.
    static let roundOffUlps = 64.0

    /// L at B = 0: yᵀc/(‖y‖ ‖c‖), the relative residual when y is the least-squares one.
    public var residualAtZero: Double { residualDotTarget / (residualNorm * targetNorm) }

    /// (B, L) with L above `tolerance`: L is three quarters of `residualAtZero`, or halfway between it and the
    /// tolerance when that is higher (QA: a residual of 1.2e-6 against 1e-6 got no certificate at ¾); B is
    /// infinite when 𝓐y = 0 exactly. nil when `residualAtZero` is not above the tolerance.
    public func bound(above tolerance: Double) -> (normRadius: Double, lower: Double)? {
        let r = residualAtZero
        guard r > tolerance else { return nil }
        if adjointNorm == 0 { return (.infinity, r) }
        let lower = max(0.75 * r, (r + tolerance) / 2)
        return ((residualDotTarget - lower * residualNorm * targetNorm) / adjointNorm, lower)
    }
}

extension DataSubspace {
    /// The certificate built on W's residual y = c − P_U(W H) (`bound` picks B and L); nil when yᵀc ≤ 0 (W fits
    /// c exactly, or y is no evidence). W is V × d row-major.
    public func incompatibilityCertificate(_ w: [Double]) -> IncompatibilityCertificate? {
        let c = layout.centredLogProbabilities
        let fitted = adjoint(w)
        // Centred again: P_U(W H)'s centring leaves a per-context mean of ε·|W h̄_j|, and the verifier centres y
        // itself, so an uncentred y made its ‖Σ y_j h̄_jᵀ‖ differ from ours by more than round-off in y (QA round 18:
        // 4.5e-6 relative, on contexts scaled by 1e3, and the stated L failed to verify).
        var y = (0..<c.count).map { c[$0] - fitted[$0] }
        y.withUnsafeMutableBufferPointer { layout.centre($0.baseAddress!) }
        let yc = theoryDot(y, c), yNorm = theoryNorm(y), cNorm = theoryNorm(c)
        guard yc > 0, yNorm > 0, cNorm > 0 else { return nil }
        let roundOff = IncompatibilityCertificate.roundOffUlps * .ulpOfOne * termSize(y)
        return IncompatibilityCertificate(entryResidual: y, residualDotTarget: yc, residualNorm: yNorm, targetNorm: cNorm,
                                          adjointNorm: theoryNorm(synthesize(y)) + roundOff)
    }

    /// `solution`, no longer claiming the least-squares residual when the refutation built on its residual does not
    /// cover its own W (B < ‖W‖_F): y is then not at the optimum, however small CGLS's normal-equation test found 𝓐y
    /// beside 𝓐c (QA round 20: 30 of 3,000 contexts scaled by 1e-6 gave 0.9535 where numpy's lstsq reaches 0.9530,
    /// with B = 25 against ‖W‖_F = 1.5e6). The refutation it builds stays on the solution (`check` states it, rather
    /// than building it again: with positional one-hot features on the KJV, 𝓐y is a 3 GB array). Left as it is when
    /// the two V × d arrays of the test do not fit.
    func withCoveredResidual(_ solution: FinitePartSolution) -> FinitePartSolution {
        guard solution.isLeastSquaresResidual, !solution.isCompatible,
              AvailableMemory.bytes().map({ Double($0) >= 16 * Double(vocabularySize) * Double(features.dimension) }) ?? true
        else { return solution }
        var checked = solution
        checked.refutation = incompatibilityCertificate(solution.weights)
        let radius = checked.refutation?.bound(above: FinitePartSolution.compatibilityTolerance)?.normRadius ?? 0
        if radius < theoryNorm(solution.weights) { checked.converged = false }
        return checked
    }

    /// A bound on the rounding error of `compatibilityResidual(w)`, relative to ‖c‖: d·ε·‖(‖w_v‖·‖h̄_j‖)_e‖, each
    /// entry's logit being a d-term dot product. QA round 18: a W of norm 3.5e11 had residual 8.45e-7 here and 1.07e-6
    /// in numpy, against a tolerance of 1e-6.
    public func residualRoundOff(_ w: [Double]) -> Double {
        let d = features.dimension, norms = contextNormsSquared
        var rowNorms = [Double](repeating: -1, count: vocabularySize), total = 0.0
        for e in 0..<layout.entryCount {
            let v = layout.columns[e]
            if rowNorms[v] < 0 { rowNorms[v] = (0..<d).reduce(0) { $0 + w[v * d + $1] * w[v * d + $1] } }
            total += rowNorms[v] * norms[layout.entryContext[e]]
        }
        let cNorm = theoryNorm(layout.centredLogProbabilities)
        return cNorm > 0 ? Double(d) * .ulpOfOne * total.squareRoot() / cNorm : 0
    }

    /// Σ_j ‖y_j‖ ‖h̄_j‖ over the contexts' support entries.
    private func termSize(_ y: [Double]) -> Double {
        let norms = contextNormsSquared
        var total = 0.0
        for j in 0..<contextCount {
            var s = 0.0
            for e in layout.rowOffsets[j]..<layout.rowOffsets[j + 1] { s += y[e] * y[e] }
            total += (s * norms[j]).squareRoot()
        }
        return total
    }
}
