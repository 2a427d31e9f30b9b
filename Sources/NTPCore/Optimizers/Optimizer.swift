import CKernels
#if canImport(Glibc)
import Glibc
#endif

/// The first-order methods of the paper's experiments (theory.md §5).
public enum OptimizerKind: String, Sendable, CaseIterable, Codable {
    /// W ← W − η ∇CE(W).
    case gd
    /// Normalized GD: W ← W − η ∇/‖∇‖_F.
    case ngd
    /// Adam (bias-corrected moments, ε added to √v̂).
    case adam
}

/// Step size and hyper-parameters of one optimizer.
public struct OptimizerConfig: Sendable, Codable, Equatable {
    /// Which method.
    public var kind: OptimizerKind
    /// η.
    public var learningRate: Double
    /// Adam's first-moment decay β₁ (paper: 0.9).
    public var beta1: Double
    /// Adam's second-moment decay β₂ (paper: 0.99).
    public var beta2: Double
    /// Adam's ε (added to √v̂).
    public var epsilon: Double

    /// A configuration; Adam's defaults are the paper's (0.9, 0.99) and ε = 1e-8.
    public init(kind: OptimizerKind, learningRate: Double, beta1: Double = 0.9, beta2: Double = 0.99, epsilon: Double = 1e-8) {
        self.kind = kind
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
    }

    /// Default η: 1/λ_max(H diag(π̂) Hᵀ) for GD (the safe step of theory.md §1, needs no tuning);
    /// 0.01 for NGD and Adam (the paper's values: their step length does not scale with the data).
    public static func defaultLearningRate(for kind: OptimizerKind, curvature: Double) -> Double {
        switch kind {
        case .gd: return curvature > 0 ? 1 / curvature : 1
        case .ngd, .adam: return 0.01
        }
    }
}

/// Mutable optimizer state (what a checkpoint must keep besides W).
public struct OptimizerState: Sendable, Codable, Equatable {
    /// Number of updates applied so far.
    public var updates: Int
    /// Adam's first moment (empty for GD/NGD).
    public var firstMoment: [Double]
    /// Adam's second moment (empty for GD/NGD).
    public var secondMoment: [Double]

    /// Fresh state for `parameterCount` parameters.
    public init(kind: OptimizerKind, parameterCount: Int) {
        updates = 0
        let n = kind == .adam ? parameterCount : 0
        firstMoment = [Double](repeating: 0, count: n)
        secondMoment = [Double](repeating: 0, count: n)
    }
}

/// Applies optimizer updates in place; allocates nothing per step.
public struct Optimizer: Sendable {
    /// The hyper-parameters.
    public let config: OptimizerConfig
    /// Moments and update count.
    public var state: OptimizerState

    /// A fresh optimizer for `parameterCount` parameters, or one resumed from `state`.
    public init(config: OptimizerConfig, parameterCount: Int, state: OptimizerState? = nil) {
        self.config = config
        self.state = state ?? OptimizerState(kind: config.kind, parameterCount: parameterCount)
    }

    /// W ← update(W, ∇). NGD with a zero gradient leaves W unchanged.
    public mutating func apply(gradient g: UnsafePointer<Double>, to w: UnsafeMutablePointer<Double>, count n: Int) {
        let eta = config.learningRate
        switch config.kind {
        case .gd:
            for i in 0..<n { w[i] -= eta * g[i] }
        case .ngd:
            var s = 0.0
            for i in 0..<n { s += g[i] * g[i] }
            let norm = s.squareRoot()
            if norm > 0 {
                let f = eta / norm
                for i in 0..<n { w[i] -= f * g[i] }
            }
        case .adam:
            let t = state.updates + 1
            let c = AdamCoefficients(config, step: t)
            state.firstMoment.withUnsafeMutableBufferPointer { m in
                state.secondMoment.withUnsafeMutableBufferPointer { v in
                    Optimizer.adamUpdate(c, g: g, w: w, m: m.baseAddress!, v: v.baseAddress!, count: n)
                }
            }
        }
        state.updates += 1
    }

    /// Convenience over arrays.
    public mutating func apply(gradient: [Double], to w: inout [Double]) {
        precondition(gradient.count == w.count)
        let n = w.count
        gradient.withUnsafeBufferPointer { g in
            w.withUnsafeMutableBufferPointer { apply(gradient: g.baseAddress!, to: $0.baseAddress!, count: n) }
        }
    }

    /// Per-step Adam constants (shared with the streaming one-hot trainer so both paths compute
    /// bit-identical updates).
    struct AdamCoefficients {
        let b1, b2, eps, eta, corr1, corr2: Double
        init(_ c: OptimizerConfig, step t: Int) {
            b1 = c.beta1; b2 = c.beta2; eps = c.epsilon; eta = c.learningRate
            corr1 = 1 - pow(c.beta1, Double(t))
            corr2 = 1 - pow(c.beta2, Double(t))
        }
    }

    /// m = β₁m + (1 − β₁)g, v = β₂v + (1 − β₂)g², W −= η m̂ / (√v̂ + ε), in CKernels' `ck_adam`: the same
    /// operations in the same order, eight lanes at a time. Swift left the loop scalar (three divisions and
    /// a square root per entry: half of an Adam step on positional one-hot features over V × d = 7.6 M).
    @inline(__always)
    static func adamUpdate(_ c: AdamCoefficients, g: UnsafePointer<Double>, w: UnsafeMutablePointer<Double>,
                           m: UnsafeMutablePointer<Double>, v: UnsafeMutablePointer<Double>, count n: Int) {
        withUnsafeTemporaryAllocation(of: Double.self, capacity: 6) { k in
            (k[0], k[1], k[2], k[3], k[4], k[5]) = (c.b1, c.b2, c.eps, c.eta, c.corr1, c.corr2)
            ck_adam(g, w, m, v, Int64(n), k.baseAddress!)
        }
    }
}
