/// One point of a loss trajectory.
public struct LossPoint: Codable, Equatable, Sendable {
    public var iteration: Int
    public var value: Double
    public init(iteration: Int, value: Double) { self.iteration = iteration; self.value = value }
}
