/// What the check's NTP-SVM solve found (`CheckHooks.maxMarginNorm`).
public struct MaxMarginEstimate: Sendable {
    /// ‖W^mm‖_F; 0 when the solver did not find the data separable.
    public var norm: Double
    /// W^mm (V × d row-major) when the solver has it; `CheckRunner` verifies it before its normalized
    /// margin raises the lower end on γ*.
    public var weights: [Double]?
    /// A certified upper end on γ* from the solver's dual point (∞ when it has none).
    public var upper: Double
    /// What stopped the solve before W^mm ("the time limit", …): `weights` then separate, and may still
    /// certify more than the decision, but are not W^mm. nil when they are W^mm.
    public var earlyStop: String?
    /// The solver, as the method line names it ("minimum-norm point").
    public var method: String

    public init(norm: Double, weights: [Double]? = nil, upper: Double = .infinity, earlyStop: String? = nil,
                method: String = "minimum-norm point") {
        self.norm = norm; self.weights = weights; self.upper = upper; self.earlyStop = earlyStop; self.method = method
    }
}
