/// A context index with a non-negative weight.
public struct ContextWeight: Codable, Equatable, Sendable {
    public var context: Int
    public var weight: Double
    public init(context: Int, weight: Double) { self.context = context; self.weight = weight }
}
