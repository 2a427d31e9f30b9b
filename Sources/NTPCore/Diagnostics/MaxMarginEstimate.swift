/// What the check's NTP-SVM solve found (`CheckHooks.maxMarginNorm`).
public struct MaxMarginEstimate: Sendable {
    /// ‖W^mm‖_F; 0 when the solver did not find the data separable.
    public var norm: Double
    /// W^mm (V × d row-major) when the solver has it; `CheckRunner` verifies it before its normalized
    /// margin raises the lower end on γ*.
    public var weights: [Double]?
    /// A certified upper end on γ* from the solver's dual point (∞ when it has none).
    public var upper: Double

    public init(norm: Double, weights: [Double]? = nil, upper: Double = .infinity) {
        self.norm = norm; self.weights = weights; self.upper = upper
    }
}
