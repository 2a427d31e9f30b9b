/// A W from outside the separability solvers, and where it came from (printed with the verdict).
public struct CandidateWeights: Sendable {
    public var weights: [Double]
    public var source: String
    public init(weights: [Double], source: String) { self.weights = weights; self.source = source }
}
