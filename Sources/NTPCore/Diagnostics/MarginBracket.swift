import NTPFormats

/// A certified interval on the max normalized margin γ* (theory.md §7), in the units of H.
/// In JSON an infinite end (no bound known) is null.
public struct MarginBracket: Codable, Equatable, Sendable {
    /// From a W ⊥ 𝓕: min margin / ‖W‖_F (0 when no separating W is known).
    public var lower: Double
    /// From a point x of conv{A_{j,v}}: ‖x‖_F, or ‖Σ α C + Σ β T‖_F of a Farkas pair.
    public var upper: Double
    /// √2 · max_j ‖h̄_j‖: the largest ‖A_{j,v}‖, the unit in which τ is measured.
    public var scale: Double
    public init(lower: Double, upper: Double, scale: Double) { self.lower = lower; self.upper = upper; self.scale = scale }

    /// The relative width at which `check` takes γ* as known: six digits, beyond the four it prints.
    public static let closedWidth = 1e-6

    /// Whether the ends are positive and equal (γ* = ∞ included), or finite with upper − lower ≤
    /// `relativeWidth` · upper. ([x, ∞] is open: ∞ − x ≤ w·∞ held, and `check --weights` lost its upper end.)
    public func isClosed(to relativeWidth: Double) -> Bool {
        lower > 0 && (lower == upper || (upper.isFinite && upper - lower <= relativeWidth * upper))
    }

    enum CodingKeys: String, CodingKey { case lower, upper, scale }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        lower = try c.decodeIfPresent(Double.self, forKey: .lower) ?? .infinity
        upper = try c.decodeIfPresent(Double.self, forKey: .upper) ?? .infinity
        scale = try c.decode(Double.self, forKey: .scale)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        // An unknown end is ±∞, which JSON cannot hold: it is written as null (so is a non-finite scale).
        for (key, x) in [(CodingKeys.lower, lower), (.upper, upper), (.scale, scale)] {
            try c.encode(FiniteOrNull(wrappedValue: x), forKey: key)
        }
    }
}
