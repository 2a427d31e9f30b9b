import NTPFormats

/// What `MaxNormMarginSolver.solve` found.
public struct MaxNormMarginSolution: Sendable {
    /// The LP's verdict.
    public enum Status: String, Sendable {
        /// s* > 0: γ*_∞ and W are set (γ*_∞ = ∞ and W = 0 when no context has an off-support token).
        case separable
        /// s* = 0: there is no ℓ∞ margin.
        case notSeparable = "not-separable"
        /// Time limit or a GLPK failure (see `message`).
        case undecided
        /// V·d over `maxVariables`; nothing was attempted.
        case tooLarge = "too-large"
    }
    /// Verdict.
    public var status: Status
    /// γ*_∞ = s* (NaN unless `.separable`).
    public var gamma: Double
    /// The minimiser W (V × d row-major) with margins ≥ 1 and ‖W‖_max = 1/γ*_∞; empty unless `.separable`.
    public var weights: [Double]
    /// Why the status is not `.separable`, or why γ*_∞ is ∞ (empty otherwise).
    public var message: String
    /// Constraint-generation rounds (simplex solves).
    public var rounds = 0
    /// Margin rows in the final LP, and tie rows (all present from the start).
    public var marginRows = 0, tieRows = 0
    /// LP columns (V × used features, plus s).
    public var variables = 0
    /// Seconds in GLPK's simplex, and in total.
    public var simplexSeconds = 0.0, seconds = 0.0
    /// max |tie| of `weights` over all tie rows (a check of GLPK's solution).
    public var tieResidual = Double.nan
    /// min margin of `weights` over all margin rows (1 up to round-off).
    public var minMargin = Double.nan

    /// The solution for data already proved not separable (`reason`: how), without running the LP.
    public static func notSeparable(_ reason: String) -> MaxNormMarginSolution {
        MaxNormMarginSolution(status: .notSeparable, gamma: .nan, weights: [], message: "the data are not separable " + reason)
    }

    /// What `weights` itself proves: γ*_∞ ≥ min margin / ‖W‖_max (NaN unless `.separable`). Equal to
    /// `gamma` up to round-off; below it when GLPK's tolerances, relative to a badly scaled H, let
    /// its W miss rows (QA round 8: min margin 0.979 with one context's h × 1e6).
    public var certifiedLowerBound: Double {
        guard status == .separable, let largest = weights.lazy.map(abs).max(), largest > 0 else { return .nan }
        return minMargin / largest
    }

    /// One line for reports: "γ*_∞ = … (ℓ∞ max margin, LP …)" or the reason there is none.
    public var summary: String {
        let stats = "\(counted(rounds, "round")), \(marginRows) margin + \(counted(tieRows, "tie row")), \(counted(variables, "column")), \(String(format: "%.2f", seconds)) s"
        switch status {
        case .separable where gamma == .infinity:
            return "γ*_∞ = ∞: \(message)"
        case .separable:
            // Where W misses its rows beyond round-off, say what it does prove.
            let proven = minMargin < 1 - 1e-6 ? "; this W proves only γ*_∞ ≥ \(String(format: "%.6g", certifiedLowerBound))" : ""
            return "γ*_∞ = \(String(format: "%.10g", gamma)) (ℓ∞ max margin, LP \(stats); min margin \(String(format: "%.3g", minMargin)) at ‖W‖_max = \(String(format: "%.6g", 1 / gamma)), ties \(String(format: "%.2g", tieResidual))\(proven))"
        case .notSeparable where rounds == 0:
            return "γ*_∞ not defined: \(message) (no LP run)"
        case .notSeparable:
            return "γ*_∞ not defined: not separable (ℓ∞ max margin, LP \(stats): \(message))"
        case .undecided:
            return "γ*_∞ undecided (ℓ∞ max margin, LP \(stats): \(message))"
        case .tooLarge:
            return "γ*_∞ not computed: too large (\(message))"
        }
    }

    /// Max |tie| and min margin of a row-major V × d W over every row of the full LP.
    static func residuals(_ data: DataSet, cols: SparseContextColumns, weights w: [Double]) -> (tie: Double, minMargin: Double) {
        let v = data.vocabularySize
        var tie = 0.0, minMargin = Double.infinity
        var logits = [Double](repeating: 0, count: v)
        var inSupport = [Bool](repeating: false, count: v)
        w.withUnsafeBufferPointer { wp in
            for j in 0..<data.contextCount where data.supportSize(j) > 0 {
                let range = data.rowOffsets[j]..<data.rowOffsets[j + 1]
                for r in 0..<v { logits[r] = cols.logit(wp, row: r, context: j) }
                let la = logits[Int(data.columns[range.lowerBound])]
                for e in range { inSupport[Int(data.columns[e])] = true; tie = max(tie, abs(logits[Int(data.columns[e])] - la)) }
                for r in 0..<v where !inSupport[r] { minMargin = min(minMargin, la - logits[r]) }
                for e in range { inSupport[Int(data.columns[e])] = false }
            }
        }
        return (tie, minMargin)
    }
}
