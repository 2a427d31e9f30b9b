import NTPFormats

/// The solvers `check` borrows from other parts of NTPCore, as closures so that the diagnostics
/// do not depend on their types. Every hook is optional; a missing one leaves its report keys null.
public struct CheckHooks {
    /// The compatibility (log-odds) solve: its W, the relative residual there, and a lower bound on the
    /// least-squares one (`FinitePartSolution.residualLowerBound`: the residual itself when the solve reached the
    /// optimum; 0 when nothing bounds it, e.g. a solve stopped at its time limit), with the refutation when that
    /// bound is positive. The data are NTP_𝓗-compatible when the least-squares residual is 0.
    public var compatibility: ((DataSet, ContextFeatures) throws -> FinitePartSolution)?
    /// Minimises CE(W) to the hook's own tolerance and returns W and the trajectory.
    public var minimizeCrossEntropy: ((DataSet, ContextFeatures) throws -> CrossEntropyRun)?
    /// The NTP-SVM solve (only called when separable): the estimate's W, once verified, becomes the
    /// certificate when it certifies more (the report's margin is then its min margin/‖W‖_F), and its
    /// upper end tightens the bracket on γ*.
    public var maxMarginNorm: ((DataSet, ContextFeatures) throws -> MaxMarginEstimate)?
    /// Builds a projector onto 𝓕^⊥ for the first-order fallback of large problems.
    public var complementProjector: ((DataSet, ContextFeatures) throws -> ((inout [Double]) -> Void))?
    public init(compatibility: ((DataSet, ContextFeatures) throws -> FinitePartSolution)? = nil,
                minimizeCrossEntropy: ((DataSet, ContextFeatures) throws -> CrossEntropyRun)? = nil,
                maxMarginNorm: ((DataSet, ContextFeatures) throws -> MaxMarginEstimate)? = nil,
                complementProjector: ((DataSet, ContextFeatures) throws -> ((inout [Double]) -> Void))? = nil) {
        self.compatibility = compatibility
        self.minimizeCrossEntropy = minimizeCrossEntropy
        self.maxMarginNorm = maxMarginNorm
        self.complementProjector = complementProjector
    }
}
