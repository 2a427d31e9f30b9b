/// What a cross-entropy minimiser hands back to `check`: the final W (V × d, row-major) and the
/// loss trajectory; `description` says which optimiser and stopping rule produced it.
public struct CrossEntropyRun: Sendable {
    public var weights: [Double]
    public var history: [LossPoint]
    public var description: String
    public init(weights: [Double], history: [LossPoint], description: String) {
        self.weights = weights; self.history = history; self.description = description
    }
}
