import NTPFormats

/// A power of two s with which H/s has its largest column norm in [1, 2), for embeddings far from unit
/// scale. Separability does not depend on the scale of H, but the solvers' safeguards and GLPK's
/// tolerances are partly absolute: in QA, H × 1e-7 stalled the minimum-norm point ("undecided") and
/// H × 1e-50 gave a γ*_∞ whose W broke the ties. Solving on H/s and mapping back is exact: every
/// product W h̄_j is computed with the same bits, since a power of two only moves exponents.
public struct FeatureScaling: Sendable, Equatable {
    /// s: H/s is what the solvers see; a W for H/s is W·(1/s) for H, and a margin γ for H/s is γ·s for H.
    public let factor: Double

    /// Columns within this factor of unit norm are solved as they are (so are the embeddings `ntpsep` draws).
    static let untouchedRange: ClosedRange<Double> = 0x1p-8...0x1p8

    /// The scaling of `features`, or nil when they need none (one-hot, unit-valued sparse, all-zero
    /// columns, or a largest column norm within `untouchedRange`).
    public init?(_ features: ContextFeatures) {
        switch features.storage {
        case .identity, .sparse(_, _, nil): return nil
        case .dense, .sparse: break
        }
        let largest = SparseContextColumns.largestNorm(features)
        guard largest > 0, largest.isFinite, !Self.untouchedRange.contains(largest) else { return nil }
        factor = Double(sign: .plus, exponent: largest.exponent, significand: 1)
    }

    /// H/s, exactly.
    public func scaled(_ features: ContextFeatures) -> ContextFeatures {
        let inverse = 1 / factor
        let storage: ContextFeatures.Storage
        switch features.storage {
        case .identity: storage = .identity
        case .dense(let h): storage = .dense(h.map { $0 * inverse })
        case .sparse(let r, let indices, let values): storage = .sparse(nonzerosPerContext: r, indices: indices, values: values?.map { $0 * inverse })
        }
        return ContextFeatures(dimension: features.dimension, contextCount: features.contextCount, storage: storage)
    }

    /// A decoder W for H/s as one for H (W·(1/s)).
    public func decoder(_ w: [Double]) -> [Double] { w.map { $0 / factor } }

    /// A margin or norm of h̄ measured on H/s, in the units of H.
    public func margin(_ gamma: Double) -> Double { gamma * factor }

    /// A bracket on γ* found on H/s, in the units of H.
    public func bracket(_ b: MarginBracket) -> MarginBracket {
        MarginBracket(lower: margin(b.lower), upper: margin(b.upper), scale: margin(b.scale))
    }

    /// Words for a result's method: "H/2^k".
    public var description: String { "solved on H/2^\(factor.exponent), mapped back" }
}
