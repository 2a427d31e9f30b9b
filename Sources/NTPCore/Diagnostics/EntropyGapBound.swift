import Foundation
import NTPFormats

/// Options of `EntropyGapBound.compute`.
public struct EntropyGapBoundOptions: Sendable {
    /// τ: a q counts as feasible when its moment residual ‖Σ_j π̂_j (q_j − p̂_j) h̄_jᵀ‖_F is at most
    /// τ · Σ_j π̂_j ‖h̄_j‖ (the largest value the moment map can take on differences of distributions,
    /// up to the factor ‖q_j − p̂_j‖ ≤ √2).
    public var tolerance = 1e-9
    /// Newton rounds (each one CG solve plus a damped step on W).
    public var maxRounds = 50
    /// CG iterations per round.
    public var maxCGIterations = 500
    /// Largest m · V for which the dense V × m work arrays (about 5 of them) are allocated;
    /// above it the lower end is 0 with a reason.
    public var maxEntries = 4_000_000
    /// Budget of Hessian-vector products over all rounds (each costs two products with H). A count,
    /// not seconds, so that the result does not depend on the machine's load.
    public var maxHessianProducts = 20_000
    public init() {}
}

/// A certified interval for inf_W CE(W) − 𝓗 (theory.md §7, maximum-entropy duality).
///
/// inf_W CE(W) = max { Σ_j π̂_j H(q_j) : q_j ∈ Δ_V, Σ_j π̂_j (q_j − p̂_j) h̄_jᵀ = 0 }, so any W gives the
/// upper end CE(W) − 𝓗 and any feasible q the lower end Σ_j π̂_j H(q_j) − 𝓗.
public struct EntropyGapInterval: Codable, Equatable, Sendable {
    /// Σ_j π̂_j H(q_j) − 𝓗 − `slack`, floored at 0 (q = p̂ always gives 0). Positive ⇒ inf CE > 𝓗,
    /// so the two conditions (theory.md §2) cannot both hold.
    public var lower: Double
    /// min(CE(W) − 𝓗 for the W the caller passed (Adam's, in `check`), `refinedUpper`).
    public var upper: Double
    /// Σ_j π̂_j H(q_j) − 𝓗 of the q used, before the slack (null when q = p̂).
    @NullWhenAbsent public var rawLower: Double?
    /// ‖Σ_j π̂_j (q_j − p̂_j) h̄_jᵀ‖_F / Σ_j π̂_j ‖h̄_j‖ of the q used (recomputed from q, not from CG).
    public var residual: Double
    /// τ of the feasibility test.
    public var tolerance: Double
    /// ‖W_q‖_F · ‖Σ π̂ (q − p̂) h̄ᵀ‖_F + 1e-12 · Σ π̂ H(q): the first-order effect of the residual on the
    /// lower end (CE(W) ≥ Σ π̂ H(q) + ⟨W, residual⟩ for every W), subtracted from it.
    public var slack: Double
    /// How q was obtained, in words.
    public var method: String
    /// CE(W) − 𝓗 at the last Newton iterate (the full CE, Z included): another valid upper end, used
    /// when smaller (null when no search ran).
    @NullWhenAbsent public var refinedUpper: Double?
    /// Newton rounds, Hessian-vector products, off-support entries of q fixed at 0, and the weight t
    /// of p̂ in the final mixture q = (1 − t) q′ + t p̂ (0 when q′ was already ≥ 0).
    public var rounds: Int
    public var hessianProducts: Int
    public var zeroedEntries: Int
    public var mixing: Double
    /// Seconds spent. Not in JSON (decoded as 0): the check report's `timing` holds them
    /// (entropy_gap_bound), so the rest is byte-identical run to run.
    public var seconds: Double = 0

    enum CodingKeys: String, CodingKey {
        case lower, upper, residual, tolerance, slack, method, rounds, mixing
        case rawLower = "raw_lower", refinedUpper = "refined_upper", hessianProducts = "hessian_products"
        case zeroedEntries = "zeroed_entries"
    }
}

/// Builds an exactly feasible (to τ) point q of the maximum-entropy dual with a large entropy, from a
/// trained W, and with it a certified interval for inf CE − 𝓗.
///
/// Method (damped Newton–CG on the dual, every round giving a primal candidate):
/// 1. q̃_j = softmax(W h̄_j) with the entries of a set Z (off-support only) fixed at 0. Its moment
///    residual R = Σ_j π̂_j (q̃_j − p̂_j) h̄_jᵀ is the gradient of the restricted CE at W.
/// 2. Correct q̃ by δ_j = (diag(q̃_j) − q̃_j q̃_jᵀ) U h̄_j, the smallest correction in the χ² metric
///    Σ π̂ δ²/q̃: Σ_v δ_{j,v} = 0, δ vanishes on Z and is small where q̃ is small. U solves
///    𝓗ess(W)[U] = −R, the restricted CE Hessian, by Jacobi-preconditioned CG; R lies in the range of
///    that Hessian whenever Z avoids the supports, so the system is consistent and q = q̃ + δ meets
///    the moments to the CG tolerance. The residual is then recomputed from q itself.
/// 3. Off-support entries below 1e-12, and those the step drives negative, join Z: every feasible q
///    vanishes on the pairs a weakly separating W pushes below the support, and these are the entries
///    that behave so. While no candidate is feasible, entries the step shrinks by 100× join as well.
///    A candidate feasible to τ except for negative entries is accepted with them clamped to 0 if the
///    residual, recomputed, stays within τ; otherwise support negatives are removed by mixing with
///    p̂ (feasible, positive on the supports): q_t = (1 − t) q + t p̂ with the smallest t making it ≥ 0.
/// 4. W moves along U with a backtracking (Armijo) step on the restricted CE, and the next round
///    starts there. The first order cancels in CE(W) − Σ π̂ H(q̃ + δ) (both change by ⟨W, ∇CE⟩), so
///    that difference is about half the Newton decrement ⟨−∇CE, U⟩ and the candidates approach the
///    restricted optimum as W converges. CG is truncated (100 iterations times the round number, forcing
///    term 1e-3) while the residual is far from τ, and runs to τ/100 near it. The budget is a count of Hessian products.
/// The best candidate's Σ π̂ H(q) − 𝓗, minus the first-order effect of its residual, is the lower end;
/// if no candidate is feasible to τ the lower end is 0 (q = p̂).
public enum EntropyGapBound {
    /// The interval for `weights` (V × d row-major, e.g. Adam's last iterate). `separable`: the verdict,
    /// when known; separable data confine every feasible q to the supports, so Z starts there, and
    /// separable + compatible data have inf CE = 𝓗 exactly (q = p̂ is then the maximiser).
    /// One-hot contexts (H = I) admit only q = p̂, so their lower end is 0 by the closed form.
    public static func compute(_ data: DataSet, features: ContextFeatures, weights: [Double],
                               separable: Bool? = nil, compatible: Bool? = nil,
                               options: EntropyGapBoundOptions = EntropyGapBoundOptions()) -> EntropyGapInterval {
        search(data, features: features, weights: weights, separable: separable, compatible: compatible, options: options).interval
    }

    /// `compute`, also returning the q behind a positive lower end (token-major V × m: entry (a, j) at
    /// a·m + j), for tests that re-check it independently.
    static func search(_ data: DataSet, features: ContextFeatures, weights: [Double], separable: Bool?, compatible: Bool?,
                       options: EntropyGapBoundOptions) -> (interval: EntropyGapInterval, point: [Double]?) {
        var point: [Double]? = nil
        let start = monotonicSeconds()
        let entropy = data.entropy()
        let upper = crossEntropy(data, features: features, weights: weights, zero: nil) - entropy
        var result = EntropyGapInterval(lower: 0, upper: upper, rawLower: nil, residual: 0, tolerance: options.tolerance,
                                        slack: 0, method: "", refinedUpper: nil, rounds: 0, hessianProducts: 0,
                                        zeroedEntries: 0, mixing: 0, seconds: 0)
        if case .identity = features.storage {
            result.method = "q = p̂: with one-hot contexts the moment constraints fix q_j = p̂_j, so inf CE = 𝓗 exactly"
        } else if separable == true && compatible == true {
            result.method = "q = p̂: both conditions hold, so inf CE = 𝓗 and p̂ is the maximum-entropy point (theory.md §2)"
        } else if data.contextCount * data.vocabularySize > options.maxEntries {
            result.method = "q = p̂ (lower end not searched: m · V = \(data.contextCount * data.vocabularySize) > \(options.maxEntries))"
        } else {
            var solver = Solver(data: data, features: features, options: options, startOnSupports: separable == true)
            point = solver.run(weights: weights, entropy: entropy, into: &result)
        }
        if let refined = result.refinedUpper, refined < result.upper { result.upper = refined }
        result.seconds = monotonicSeconds() - start
        return (result, point)
    }

    /// CE(W) in the token-major layout, with the entries where `zero` is true left out of every
    /// logsumexp (nil: the ordinary CE).
    static func crossEntropy(_ data: DataSet, features: ContextFeatures, weights: [Double], zero: [Bool]?) -> Double {
        let v = data.vocabularySize, m = data.contextCount
        let l = TheoryKernels.product(weights, .logits, vocab: v, features: features)
        let pi = data.contextFrequencies(), p = data.conditionalProbabilities()
        var total = 0.0
        for j in 0..<m where pi[j] > 0 {
            var mx = -Double.infinity
            for a in 0..<v where zero?[a * m + j] != true { mx = max(mx, l[a * m + j]) }
            var s = 0.0
            for a in 0..<v where zero?[a * m + j] != true { s += exp(l[a * m + j] - mx) }
            var ce = mx + log(s)
            for e in data.rowOffsets[j]..<data.rowOffsets[j + 1] { ce -= p[e] * l[Int(data.columns[e]) * m + j] }
            total += pi[j] * ce
        }
        return total
    }

    /// Σ_j π̂_j H(q_j) for q in the token-major layout (V × m).
    static func weightedEntropy(_ q: [Double], pi: [Double], vocabulary v: Int) -> Double {
        let m = pi.count
        var total = 0.0
        for j in 0..<m {
            var h = 0.0
            for a in 0..<v { let x = q[a * m + j]; if x > 0 { h -= x * log(x) } }
            total += pi[j] * h
        }
        return total
    }

    /// The Newton–CG search. All V × m arrays are token-major (entry (a, j) at a·m + j), the layout of
    /// `TheoryKernels.product`.
    struct Solver {
        let data: DataSet
        let features: ContextFeatures
        let squared: ContextFeatures
        let options: EntropyGapBoundOptions
        let v: Int, m: Int, d: Int
        let pi: [Double]
        /// p̂ dense (V × m) and the support mask.
        let target: [Double]
        let onSupport: [Bool]
        /// Z: off-support entries held at 0.
        var zero: [Bool]
        /// Σ_j π̂_j ‖h̄_j‖, the scale of the moment map.
        let scale: Double
        var products = 0

        init(data: DataSet, features: ContextFeatures, options: EntropyGapBoundOptions, startOnSupports: Bool) {
            self.data = data; self.features = features; self.options = options
            v = data.vocabularySize; m = data.contextCount; d = features.dimension
            pi = data.contextFrequencies()
            var t = [Double](repeating: 0, count: v * m), s = [Bool](repeating: false, count: v * m)
            let p = data.conditionalProbabilities()
            for j in 0..<m {
                for e in data.rowOffsets[j]..<data.rowOffsets[j + 1] where p[e] > 0 {
                    t[Int(data.columns[e]) * m + j] = p[e]; s[Int(data.columns[e]) * m + j] = true
                }
            }
            target = t; onSupport = s
            zero = startOnSupports ? s.map { !$0 } : [Bool](repeating: false, count: v * m)
            // Squared features for the Jacobi preconditioner diag(𝓗ess) = (π̂ q(1 − q)) (H ∘ H)ᵀ.
            switch features.storage {
            case .identity: squared = features
            case .dense(let h): squared = ContextFeatures(dimension: d, contextCount: m, storage: .dense(h.map { $0 * $0 }))
            case .sparse(let r, let idx, let vals):
                squared = ContextFeatures(dimension: d, contextCount: m, storage: .sparse(nonzerosPerContext: r, indices: idx, values: vals?.map { $0 * $0 }))
            }
            let cols = SparseContextColumns(features)
            var sc = 0.0
            for j in 0..<m { sc += pi[j] * cols.norm(j) }
            scale = sc
            if case .dense = features.storage { sparse = nil } else { sparse = cols }
        }

        /// The nonzeros of H for identity and sparse features (nil for dense ones, which go through BLAS):
        /// the products below then cost V · nnz(H) with no optional or bounds checks in the inner loops.
        let sparse: SparseContextColumns?

        /// `TheoryKernels.product` for the sparse case, with `square` using the squared values.
        private func sparseProduct(_ cols: SparseContextColumns, _ x: [Double], _ product: TheoryKernels.Product,
                                   square: Bool) -> [Double] {
            var out = [Double](repeating: 0, count: v * (product == .logits ? m : d))
            x.withUnsafeBufferPointer { xp in
            out.withUnsafeMutableBufferPointer { op in
            cols.offsets.withUnsafeBufferPointer { off in
            cols.indices.withUnsafeBufferPointer { idx in
            cols.values.withUnsafeBufferPointer { val in
                if product == .logits {
                    // L = W H: each logit gathers the weights of its context's nonzero features.
                    for a in 0..<v {
                        let row = xp.baseAddress! + a * d, logits = op.baseAddress! + a * m
                        for j in 0..<m {
                            var acc = 0.0
                            for e in off[j]..<off[j + 1] { acc += row[idx[e]] * (square ? val[e] * val[e] : val[e]) }
                            logits[j] = acc
                        }
                    }
                } else {
                    // W = X Hᵀ: each nonzero input scatters into its context's nonzero features.
                    for a in 0..<v {
                        let input = xp.baseAddress! + a * m, row = op.baseAddress! + a * d
                        for j in 0..<m where input[j] != 0 {
                            for e in off[j]..<off[j + 1] { row[idx[e]] += input[j] * (square ? val[e] * val[e] : val[e]) }
                        }
                    }
                }
            }}}}}
            return out
        }

        /// x H or x Hᵀ (`TheoryKernels.Product`), token-major, with H ∘ H when `squaredFeatures`.
        func product(_ x: [Double], _ product: TheoryKernels.Product, squaredFeatures: Bool = false) -> [Double] {
            if let sparse { return sparseProduct(sparse, x, product, square: squaredFeatures) }
            return TheoryKernels.product(x, product, vocab: v, features: squaredFeatures ? squared : features)
        }

        /// CE(W) with the entries of Z left out of every logsumexp (the restricted CE the search minimises).
        func restrictedCrossEntropy(_ w: [Double]) -> Double {
            let l = product(w, .logits)
            var mx = [Double](repeating: -Double.infinity, count: m), sum = [Double](repeating: 0, count: m)
            var dotp = [Double](repeating: 0, count: m)
            for a in 0..<v { let o = a * m; for j in 0..<m where !zero[o + j] { mx[j] = max(mx[j], l[o + j]) } }
            for a in 0..<v {
                let o = a * m
                for j in 0..<m {
                    if !zero[o + j] { sum[j] += exp(l[o + j] - mx[j]) }
                    dotp[j] += target[o + j] * l[o + j]
                }
            }
            var total = 0.0
            for j in 0..<m where pi[j] > 0 { total += pi[j] * (mx[j] + log(sum[j]) - dotp[j]) }
            return total
        }

        /// softmax(W h̄_j) with Z left out (token-major).
        func restrictedSoftmax(_ w: [Double]) -> [Double] {
            var q = product(w, .logits)
            for j in 0..<m {
                var mx = -Double.infinity
                for a in 0..<v where !zero[a * m + j] { mx = max(mx, q[a * m + j]) }
                var s = 0.0
                for a in 0..<v {
                    if zero[a * m + j] { q[a * m + j] = 0 } else { let e = exp(q[a * m + j] - mx); q[a * m + j] = e; s += e }
                }
                for a in 0..<v { q[a * m + j] /= s }
            }
            return q
        }

        /// Σ_j π̂_j (q_j − p̂_j) h̄_jᵀ.
        func moment(_ q: [Double]) -> [Double] {
            var x = q
            for a in 0..<v { for j in 0..<m { x[a * m + j] = pi[j] * (q[a * m + j] - target[a * m + j]) } }
            return product(x, .weights)
        }

        /// δ_j = (diag(q_j) − q_j q_jᵀ) U h̄_j (token-major), optionally times π̂_j.
        func correction(_ u: [Double], q: [Double], weighted: Bool) -> [Double] {
            var a = product(u, .logits)
            var s = [Double](repeating: 0, count: m)
            // Token-outer loops: both arrays are token-major, so the inner loops run over contiguous memory.
            q.withUnsafeBufferPointer { qp in
                a.withUnsafeMutableBufferPointer { ap in
                    s.withUnsafeMutableBufferPointer { sp in
                        for t in 0..<v { let o = t * m; for j in 0..<m { sp[j] += qp[o + j] * ap[o + j] } }
                        pi.withUnsafeBufferPointer { pp in
                            for t in 0..<v {
                                let o = t * m
                                for j in 0..<m { ap[o + j] = (weighted ? pp[j] : 1) * qp[o + j] * (ap[o + j] - sp[j]) }
                            }
                        }
                    }
                }
            }
            return a
        }

        mutating func hessian(_ u: [Double], q: [Double]) -> [Double] {
            products += 1
            return product(correction(u, q: q, weighted: true), .weights)
        }

        /// The best accepted candidate so far: its entropy gap (raw, and lowered by the slack), residual, mixing t and round.
        typealias Candidate = (raw: Double, lower: Double, residual: Double, slack: Double, t: Double, round: Int)

        /// Runs the rounds, fills `result` and returns the best feasible q (nil when none beats p̂).
        mutating func run(weights w0: [Double], entropy: Double, into result: inout EntropyGapInterval) -> [Double]? {
            var w = w0
            var best: Candidate? = nil
            var bestPoint: [Double]? = nil
            var stopReason = "\(options.maxRounds) rounds"
            let vd = v * d
            var rounds = 0
            for round in 0..<options.maxRounds {
                rounds = round + 1
                var q0 = restrictedSoftmax(w)
                // Off-support entries below 1e-12 join Z: they carry no entropy worth keeping (< 3e-11
                // nats each) and only flatten the Hessian.
                var tiny = false
                for i in 0..<(v * m) where !zero[i] && !onSupport[i] && q0[i] < 1e-12 { zero[i] = true; tiny = true }
                if tiny { q0 = restrictedSoftmax(w) }
                let r = moment(q0)
                let (u, res, outOfBudget) = newtonDirection(q0: q0, r: r, round: round)
                // The candidate q = q̃ + δ and the off-support entries the step drives to (or near) 0.
                let delta = correction(u, q: q0, weighted: false)
                var q = q0
                var negative: [Int] = [], shrinking: [Int] = []
                var supportNegative = false
                for i in 0..<(v * m) {
                    q[i] += delta[i]
                    if onSupport[i] { if q[i] < 0 { supportNegative = true } }
                    else if !zero[i] {
                        if q[i] < 0 { negative.append(i) } else if q[i] < 0.01 * q0[i] { shrinking.append(i) }
                    }
                }
                let decrement = -dot(r, u)
                var accepted = false
                if norm(res) <= options.tolerance * scale {
                    let (candidate, t, absResidual) = feasibleCandidate(q, offSupportNegative: !negative.isEmpty,
                                                                        supportNegative: supportNegative)
                    let relResidual = scale > 0 ? absResidual / scale : 0
                    if relResidual <= options.tolerance {
                        accepted = true
                        let hq = EntropyGapBound.weightedEntropy(candidate, pi: pi, vocabulary: v)
                        var wq = w
                        for i in 0..<vd { wq[i] += u[i] }
                        let slack = norm(wq) * absResidual + 1e-12 * hq
                        let raw = hq - entropy
                        if best == nil || raw - slack > best!.lower {
                            best = (raw, raw - slack, relResidual, slack, t, round + 1)
                            bestPoint = candidate
                        }
                    }
                }
                for i in negative { zero[i] = true }
                if !accepted { for i in shrinking { zero[i] = true } }
                let grew = !negative.isEmpty || (!accepted && !shrinking.isEmpty)
                if outOfBudget { stopReason = "budget of \(options.maxHessianProducts) Hessian products"; break }
                // An accepted candidate is then within about 1e-10 nats of the restricted optimum.
                if accepted && decrement <= 1e-10 { stopReason = "Newton decrement \(general(decrement))"; break }
                if let next = dampedStep(from: w, along: u, decrement: decrement) { w = next }
                else if !grew { stopReason = "no descent along the Newton direction"; break }
            }
            return report(best, point: bestPoint, rounds: rounds, stopReason: stopReason, weights: w, entropy: entropy, into: &result)
        }

        /// PCG on 𝓗ess U = −R at q̃ = `q0` with a Jacobi preconditioner, inexact while far from the
        /// optimum (forcing term 1e-3), to τ/100 near it. Returns U, the CG residual, and whether the
        /// budget of Hessian products ran out.
        mutating func newtonDirection(q0: [Double], r: [Double], round: Int) -> (u: [Double], residual: [Double], outOfBudget: Bool) {
            let vd = v * d
            let rNorm = norm(r)
            // Jacobi preconditioner.
            var x = q0
            for a in 0..<v { for j in 0..<m { x[a * m + j] = pi[j] * q0[a * m + j] * (1 - q0[a * m + j]) } }
            let diag = product(x, .weights, squaredFeatures: true)
            let inv = diag.map { $0 > 0 ? 1 / $0 : 0 }
            var u = [Double](repeating: 0, count: vd)
            var res = r.map { -$0 }
            var z = zip(inv, res).map { $0 * $1 }
            var p = z
            var rz = dot(res, z)
            let cgTarget = max(options.tolerance * 0.01 * scale, 1e-3 * rNorm)
            var outOfBudget = false
            // Far from feasibility a round only moves W and finds zeros: truncated CG is enough there,
            // with a cap that grows by 100 per round so that Newton still converges.
            let cgCap = rNorm > 1e3 * options.tolerance * scale
                ? min(100 * (round + 1), options.maxCGIterations) : options.maxCGIterations
            for _ in 0..<cgCap {
                if norm(res) <= cgTarget { break }
                if products >= options.maxHessianProducts { outOfBudget = true; break }
                let hp = hessian(p, q: q0)
                let php = dot(p, hp)
                if !(php > 0) { break }
                let alpha = rz / php
                for i in 0..<vd { u[i] += alpha * p[i]; res[i] -= alpha * hp[i] }
                for i in 0..<vd { z[i] = inv[i] * res[i] }
                let rzNew = dot(res, z)
                let beta = rzNew / rz
                rz = rzNew
                for i in 0..<vd { p[i] = z[i] + beta * p[i] }
            }
            return (u, res, outOfBudget)
        }

        /// A q feasible to τ up to its negative entries, made non-negative: clamping them is accepted
        /// when the residual, recomputed from the clamped q, stays within τ; support negatives can
        /// instead be removed exactly by mixing with p̂ (feasible, positive on the supports). Returns
        /// the candidate, the mixing t and its absolute residual.
        func feasibleCandidate(_ q: [Double], offSupportNegative: Bool, supportNegative: Bool) -> ([Double], Double, Double) {
            var t = 0.0
            var candidate = q
            for i in 0..<(v * m) where candidate[i] < 0 { candidate[i] = 0 }
            var absResidual = norm(moment(candidate))
            if absResidual > options.tolerance * scale && !offSupportNegative && supportNegative {
                for i in 0..<(v * m) where q[i] < 0 { t = max(t, -q[i] / (self.target[i] - q[i])) }
                for i in 0..<(v * m) { candidate[i] = max(0, (1 - t) * q[i] + t * self.target[i]) }
                absResidual = norm(moment(candidate))
            }
            return (candidate, t, absResidual)
        }

        /// Damped Newton step on the restricted CE (Z may have grown: evaluated there): the first of
        /// steps 1, 1/2, …, 1/1024 along `u` with sufficient decrease; nil when none has.
        func dampedStep(from w: [Double], along u: [Double], decrement: Double) -> [Double]? {
            let f0 = restrictedCrossEntropy(w)
            var step = 1.0
            while step >= 1.0 / 1024 {
                var trial = w
                for i in 0..<(v * d) { trial[i] += step * u[i] }
                let f = restrictedCrossEntropy(trial)
                if f <= f0 - 1e-4 * step * max(decrement, 0) { return trial }
                step /= 2
            }
            return nil
        }

        /// Fills `result` from the best candidate and the last W; returns the candidate's q (nil when
        /// none beats p̂).
        func report(_ best: Candidate?, point bestPoint: [Double]?, rounds: Int, stopReason: String, weights w: [Double],
                    entropy: Double, into result: inout EntropyGapInterval) -> [Double]? {
            result.rounds = rounds
            result.hessianProducts = products
            result.zeroedEntries = zero.enumerated().reduce(0) { $0 + ($1.element && !onSupport[$1.offset] ? 1 : 0) }
            result.refinedUpper = EntropyGapBound.crossEntropy(data, features: features, weights: w, zero: nil) - entropy
            if let b = best, b.lower > 0 {
                result.lower = b.lower
                result.rawLower = b.raw
                result.residual = b.residual
                result.slack = b.slack
                result.mixing = b.t
                result.method = "Newton–CG from the given W, round \(b.round) of \(rounds) (\(stopReason)): q = restricted softmax + χ²-minimal moment correction"
                    + (result.zeroedEntries > 0 ? ", \(result.zeroedEntries) off-support entries fixed at 0" : "")
                    + (b.t > 0 ? ", mixed with p̂ (t = \(general(b.t)))" : "")
                return bestPoint
            } else {
                result.method = "q = p̂: no feasible point with a larger entropy found (\(rounds) Newton rounds, \(stopReason))"
                if let b = best { result.rawLower = b.raw; result.residual = b.residual; result.slack = b.slack }
                return nil
            }
        }

    }
}

@inline(__always) private func dot(_ a: [Double], _ b: [Double]) -> Double {
    var s = 0.0
    for i in a.indices { s += a[i] * b[i] }
    return s
}

@inline(__always) private func norm(_ a: [Double]) -> Double { dot(a, a).squareRoot() }

private func general(_ x: Double) -> String {
    var s = String(format: "%.3g", x)
    if s == "-0" { s = "0" }
    return s
}
