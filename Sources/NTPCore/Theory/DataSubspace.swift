import COpenBLAS
import Foundation
import NTPFormats

/// The data subspace 𝓕 = {Σ_j u_j h̄_jᵀ : u_j ∈ U_j} of a data set under fixed context features
/// (U_j = centred vectors supported on S_j), with the projections onto 𝓕 and 𝓕^⊥ and the
/// finite part W* of the NTP solution.
///
/// Everything is expressed through the "support coordinates" u (one value per stored
/// (context, token) entry, centred within each context): 𝓐u = Σ_j u_j h̄_jᵀ maps them to
/// weights and 𝓐*W = P_U(W H) maps back, so the normal operator 𝓝 = 𝓐*𝓐 = P_U(· G) couples
/// contexts only through G = HᵀH. When m ≤ `gramLimit` G is formed once and 𝓝 costs
/// Σ_v |J_v|² (J_v = contexts whose support holds v); otherwise 𝓝 is applied matrix-free
/// through H: a V × d W from the support entries and back, O(nnz(h̄_j)) flops per entry each way.
/// No V × m array is formed. H = I (one-hot) uses the decoupled closed forms.
///
/// A reference type because `project` keeps its last solution as the next warm start; use one
/// instance per thread.
public final class DataSubspace {
    /// Vocabulary size V.
    public let vocabularySize: Int
    /// Number of contexts m.
    public let contextCount: Int
    /// The context features H.
    public let features: ContextFeatures
    /// Backward-error target of the CG solve in `project`: stop when
    /// ‖𝓐*W − 𝓝u‖ ≤ tol·‖𝓐‖·‖W‖ (‖𝓐‖ = √λ_max(𝓝), estimated once by power iteration).
    public var projectionTolerance: Double = 1e-10
    /// Iteration cap for each CG / CGLS solve.
    public var maxIterations: Int = 20_000
    /// Monotonic seconds (`monotonicSeconds()`) after which `solveFinitePart` begins no further CGLS
    /// iteration (`FinitePartSolution.stoppedAtDeadline`): `check --time-limit`.
    public var deadline = Double.infinity
    /// Default largest m for which G = HᵀH (m² doubles) is precomputed.
    public static let defaultGramLimit = 12_000

    let layout: SupportLayout
    /// G = HᵀH row-major m × m, or nil (identity, or m > gramLimit).
    let gram: [Double]?
    /// Per token v: the entries e with token v (their contexts are J_v).
    private let tokenEntries: [[Int]]
    private var warmStart: [Double]
    /// Concatenated row-major blocks G[J_v, J_v], token by token, or nil.
    private let tokenBlocks: [Double]?
    private var scratchIn: [Double], scratchOut: [Double]
    /// W (V × d) of the matrix-free 𝓝 with dense H; empty otherwise.
    private var weightScratch: [Double]
    /// Largest Σ_v |J_v|² for which per-token Gram blocks are stored (doubles).
    static let blockLimit = 50_000_000
    /// CG iterations used by the last `project` call (0 for the closed form).
    public private(set) var lastIterations = 0

    /// Prepares the subspace of `data` under `features` (same m). G = HᵀH is formed when
    /// m ≤ `gramLimit` (needed by `MaxMarginSolver`); above it 𝓝 is applied matrix-free.
    /// Throws on an invalid data set, a context without events, or mismatched sizes.
    public convenience init(data: DataSet, features: ContextFeatures, gramLimit: Int = DataSubspace.defaultGramLimit) throws {
        try self.init(data: data, features: features, gramLimit: gramLimit, blockLimit: DataSubspace.blockLimit)
    }

    /// As the public initializer, with the per-token block budget exposed (tests reach every path).
    init(data: DataSet, features: ContextFeatures, gramLimit: Int, blockLimit: Int) throws {
        guard features.contextCount == data.contextCount else {
            throw DataSetError.invalid("features have \(counted(features.contextCount, "context")) but the data set has \(data.contextCount)")
        }
        // Its solves hold two V × d arrays (W, and the matrix-free 𝓝's), G = HᵀH up to the gram limit and about
        // ten vectors of one value per support entry; no V × m array (H = I aside, where d = m).
        let (v, m, d) = (data.vocabularySize, data.contextCount, features.dimension)
        let gramEntries = features.isIdentity || m > gramLimit ? 0.0 : Double(m) * Double(m)
        try AvailableMemory.require(approximately: 8 * (2 * Double(v) * Double(d) + gramEntries + 10 * Double(data.counts.count)),
                                    for: "the data subspace (V = \(v), m = \(m), d = \(d))",
                                    advice: "use fewer contexts or keep fewer tokens (ingest --max-vocab)")
        layout = try SupportLayout(data)
        vocabularySize = data.vocabularySize
        contextCount = data.contextCount
        self.features = features
        if case .identity = features.storage { gram = nil }
        else if contextCount <= gramLimit { gram = TheoryKernels.gram(features) }
        else { gram = nil }
        var lists = [[Int]](repeating: [], count: vocabularySize)
        for e in 0..<layout.entryCount { lists[layout.columns[e]].append(e) }
        tokenEntries = lists
        warmStart = [Double](repeating: 0, count: layout.entryCount)
        // Per-token blocks G[J_v, J_v] when they fit (Σ_v |J_v|² ≤ blockLimit): 𝓝 then streams
        // contiguous memory instead of gathering from rows of G.
        let blockSize = lists.reduce(0) { $0 + $1.count * $1.count }
        if let g = gram, blockSize <= blockLimit {
            var b = [Double](repeating: 0, count: blockSize)
            var off = 0
            let ctx = layout.entryContext
            for list in lists {
                for e1 in list { for e2 in list { b[off] = g[ctx[e1] * contextCount + ctx[e2]]; off += 1 } }
            }
            tokenBlocks = b
        } else {
            tokenBlocks = nil
        }
        let longest = lists.map(\.count).max() ?? 0
        scratchIn = [Double](repeating: 0, count: longest)
        scratchOut = scratchIn
        weightScratch = []   // the matrix-free 𝓝's W (no G, or `solveFinitePart`'s check through H), made on first use
    }

    var isIdentity: Bool { features.isIdentity }

    /// dim of the coordinate space Σ_j k_j (𝓕 itself has dimension ≤ Σ_j (k_j − 1)).
    public var coordinateCount: Int { layout.entryCount }

    // MARK: operators on support coordinates

    /// 𝓐*W = P_U(W H) at the support entries.
    func adjoint(_ w: [Double]) -> [Double] {
        var x = [Double](repeating: 0, count: layout.entryCount)
        w.withUnsafeBufferPointer { wp in
            x.withUnsafeMutableBufferPointer {
                TheoryKernels.entryLogits(wp.baseAddress!, layout: layout, features: features, into: $0.baseAddress!)
                layout.centre($0.baseAddress!)
            }
        }
        return x
    }

    /// 𝓐u = Σ_j u_j h̄_jᵀ (V × d row-major).
    func synthesize(_ x: [Double]) -> [Double] {
        var w = [Double](repeating: 0, count: vocabularySize * features.dimension)
        addSynthesized(x, scale: 1, to: &w)
        return w
    }

    /// W += scale · 𝓐u, in place.
    private func addSynthesized(_ x: [Double], scale: Double, to w: inout [Double]) {
        x.withUnsafeBufferPointer { xp in
            w.withUnsafeMutableBufferPointer {
                TheoryKernels.addEntryWeights(xp.baseAddress!, scale: scale, layout: layout, features: features, into: $0.baseAddress!)
            }
        }
    }

    /// y = 𝓝x = P_U((Σ_e x_e e_{v(e)} e_{j(e)}ᵀ) G) at the support entries. `x` must be centred.
    /// `matrixFree` applies 𝓐*𝓐 through H as `synthesize` and `adjoint` do, never through G.
    func applyNormal(_ x: UnsafePointer<Double>, into y: UnsafeMutablePointer<Double>, matrixFree: Bool = false) {
        let n = layout.entryCount, m = contextCount
        if isIdentity {
            y.update(from: x, count: n)
            return
        }
        if !matrixFree, let blocks = tokenBlocks {
            // y_v = G[J_v, J_v] x_v per token: contiguous blocks, one dgemv each.
            blocks.withUnsafeBufferPointer { bp in
                scratchIn.withUnsafeMutableBufferPointer { xin in scratchOut.withUnsafeMutableBufferPointer { yout in
                    var off = 0
                    for list in tokenEntries where !list.isEmpty {
                        let n = list.count
                        for (i, e) in list.enumerated() { xin[i] = x[e] }
                        cblas_dgemv(CblasRowMajor, CblasNoTrans, Int32(n), Int32(n), 1, bp.baseAddress! + off, Int32(n),
                                    xin.baseAddress!, 1, 0, yout.baseAddress!, 1)
                        for (i, e) in list.enumerated() { y[e] = yout[i] }
                        off += n * n
                    }
                } }
            }
            layout.centre(y)
            return
        }
        if !matrixFree, let g = gram {
            g.withUnsafeBufferPointer { gp in
                let G = gp.baseAddress!
                let ctx = layout.entryContext
                for list in tokenEntries {
                    // y[e'] = Σ_{e ∈ T_v} x[e] G[j(e), j(e')] over the contexts J_v of token v.
                    // G symmetric: read row j(e') (contiguous; j(e) increases along the list).
                    for e2 in list {
                        let row = G + ctx[e2] * m
                        var s = 0.0
                        for e in list { s += x[e] * row[ctx[e]] }
                        y[e2] = s
                    }
                }
            }
            layout.centre(y)
            return
        }
        // W = 𝓐x = Σ_e x_e e_{v(e)} h̄_{j(e)}ᵀ, then y_e = (W h̄_{j(e)})_{v(e)} at the support entries only:
        // O(nnz(h̄_j)) per entry each way instead of two V × m × d products. The scratch W is zero between calls.
        if weightScratch.isEmpty { weightScratch = [Double](repeating: 0, count: vocabularySize * features.dimension) }
        weightScratch.withUnsafeMutableBufferPointer { wp in
            TheoryKernels.addEntryWeights(x, scale: 1, layout: layout, features: features, into: wp.baseAddress!)
            TheoryKernels.entryLogits(wp.baseAddress!, layout: layout, features: features, into: y)
            TheoryKernels.clearEntryWeights(layout: layout, features: features, in: wp.baseAddress!)
        }
        layout.centre(y)
    }

    // MARK: projection

    /// P_𝓕(W): the closest element of 𝓕 to W (V × d row-major) in Frobenius norm.
    ///
    /// Solves the normal equations 𝓝u = 𝓐*W by conjugate gradients, warm-started from the
    /// previous call's solution (the trainer projects slowly changing iterates), and returns
    /// 𝓐u. H = I uses the closed form u_j = P_{U_j}(W e_j).
    public func project(_ w: [Double]) -> [Double] {
        synthesize(projectionCoordinates(w))
    }

    /// The u with P_𝓕(W) = 𝓐u: 𝓐*𝓐u = 𝓐*W, by CG from the previous call's u.
    private func projectionCoordinates(_ w: [Double]) -> [Double] {
        precondition(w.count == vocabularySize * features.dimension, "W must be V × d")
        let b = adjoint(w)
        if isIdentity { lastIterations = 0; return b }
        // Backward-error stopping: ‖𝓐*(W − 𝓐u)‖ ≤ tol·‖𝓐‖·‖W‖. Relative to ‖𝓐*W‖ alone it
        // could not be met when W is (nearly) ⊥ 𝓕 — exactly the trainer's late iterates.
        let scale = operatorNorm() * theoryNorm(w)
        let (u, it) = conjugateGradient(rhs: b, start: warmStart, absoluteTolerance: projectionTolerance * scale)
        warmStart = u
        lastIterations = it
        return u
    }

    /// P_⊥(W) = W − P_𝓕(W).
    public func projectOrthogonal(_ w: [Double]) -> [Double] {
        var r = w
        projectOrthogonal(inPlace: &r)
        return r
    }

    /// W ← P_⊥(W) = W − 𝓐u, subtracted in place: no V × d array besides W (when W's storage is not
    /// shared). A temporary P_𝓕(W) cost a tenth of `check`'s NTP-SVM stage on 300 Sherlock contexts with
    /// positional one-hot features (V × d = 1.3 GB), most of it page faults.
    public func projectOrthogonal(inPlace w: inout [Double]) {
        addSynthesized(projectionCoordinates(w), scale: -1, to: &w)
    }

    private var cachedOperatorNorm: Double?

    /// ‖𝓐‖ = √λ_max(𝓝), by 50 power iterations from a fixed start (+5% margin); computed once.
    func operatorNorm() -> Double {
        if let c = cachedOperatorNorm { return c }
        let n = layout.entryCount
        var x = (0..<n).map { Double(($0 * 7919) % 101) / 101 + 0.5 }
        var y = [Double](repeating: 0, count: n)
        x.withUnsafeMutableBufferPointer { layout.centre($0.baseAddress!) }
        var lambda = 0.0
        for _ in 0..<50 {
            let xn = theoryNorm(x)
            if xn == 0 { break }
            for i in 0..<n { x[i] /= xn }
            x.withUnsafeBufferPointer { xp in y.withUnsafeMutableBufferPointer { applyNormal(xp.baseAddress!, into: $0.baseAddress!) } }
            lambda = theoryDot(x, y)
            swap(&x, &y)
        }
        let c = (1.05 * max(lambda, 0)).squareRoot()
        cachedOperatorNorm = c
        return c
    }

    /// CG on the PSD normal operator, stopped when ‖r‖ ≤ absoluteTolerance. Returns
    /// (solution, iterations).
    func conjugateGradient(rhs b: [Double], start: [Double], absoluteTolerance: Double) -> ([Double], Int) {
        let n = b.count
        let bNorm = theoryNorm(b)
        if bNorm <= absoluteTolerance { return ([Double](repeating: 0, count: n), 0) }
        var x = start, r = [Double](repeating: 0, count: n), q = r
        x.withUnsafeBufferPointer { xp in r.withUnsafeMutableBufferPointer { applyNormal(xp.baseAddress!, into: $0.baseAddress!) } }
        for i in 0..<n { r[i] = b[i] - r[i] }
        // A warm start worse than zero is dropped.
        if theoryNorm(r) > bNorm { x = [Double](repeating: 0, count: n); r = b }
        var p = r
        var rr = theoryDot(r, r)
        var it = 0
        while rr.squareRoot() > absoluteTolerance && it < maxIterations {
            p.withUnsafeBufferPointer { pp in q.withUnsafeMutableBufferPointer { applyNormal(pp.baseAddress!, into: $0.baseAddress!) } }
            let pq = theoryDot(p, q)
            if pq <= 0 { break }
            let a = rr / pq
            for i in 0..<n { x[i] += a * p[i]; r[i] -= a * q[i] }
            let rr2 = theoryDot(r, r)
            let beta = rr2 / rr
            rr = rr2
            for i in 0..<n { p[i] = r[i] + beta * p[i] }
            it += 1
        }
        return (x, it)
    }

    // MARK: W*

    /// W*, the minimum-norm least-squares solution of the log-odds system P_U(W H) = c
    /// (c = centred log-probabilities). W* lies in 𝓕; the relative residual
    /// ‖P_U(W* H) − c‖/‖c‖ is 0 exactly when the data are NTP_𝓗-compatible.
    ///
    /// Method: CGLS on min_W ‖𝓐*W − c‖ started at W = 0 (so the iterate stays in range 𝓐 = 𝓕
    /// and converges to the minimum-norm solution), carried out in support coordinates
    /// (W = 𝓐u) so each iteration costs one application of 𝓝. Stops when the residual is
    /// ≤ `tolerance`·‖c‖ (compatible) or the normal-equation residual ‖𝓐(c − 𝓝u)‖ has dropped
    /// by `tolerance` relative to its start (incompatible: the least-squares optimum is reached).
    /// H = I uses the closed form L* column j = c_j on S_j.
    public func solveFinitePart(tolerance: Double = 1e-12) -> FinitePartSolution {
        let c = layout.centredLogProbabilities
        let cNorm = theoryNorm(c)
        if cNorm == 0 {
            return FinitePartSolution(weights: [Double](repeating: 0, count: vocabularySize * features.dimension),
                                      relativeResidual: 0, iterations: 0)
        }
        if isIdentity {
            return FinitePartSolution(weights: synthesize(c), relativeResidual: 0, iterations: 0)
        }
        let usesGram = gram != nil || tokenBlocks != nil
        let first = finitePartByCGLS(c, cNorm: cNorm, tolerance: tolerance, matrixFree: !usesGram)
        if !usesGram || first.stoppedAtDeadline || isLeastSquaresOptimum(first, c: c) { return first }
        // Through G, c's part outside the range of 𝓐* (an incompatible system) is not exactly
        // invisible to 𝓝 as it is to 𝓐: CGLS's u grows along it and leaks into W = 𝓐u (QA: residual
        // 22 where W = 0 has 1, with d < m). Through H the operators agree, and CGLS converges.
        var second = finitePartByCGLS(c, cNorm: cNorm, tolerance: tolerance, matrixFree: true)
        // Stopped at the deadline, the second solve may not have got below the first's residual yet; both are
        // residuals of actual W's, so the smaller one bounds the least-squares residual.
        if second.stoppedAtDeadline && first.relativeResidual < second.relativeResidual {
            second.weights = first.weights; second.relativeResidual = first.relativeResidual
        }
        second.iterations += first.iterations
        return second
    }

    /// CGLS on min_W ‖𝓐*W − c‖ from W = 0, in support coordinates (W = 𝓐u).
    private func finitePartByCGLS(_ c: [Double], cNorm: Double, tolerance: Double, matrixFree: Bool) -> FinitePartSolution {
        let n = c.count
        var u = [Double](repeating: 0, count: n)
        var r = c
        var nr = [Double](repeating: 0, count: n)
        func applyN(_ x: [Double], _ y: inout [Double]) {
            x.withUnsafeBufferPointer { xp in
                y.withUnsafeMutableBufferPointer { applyNormal(xp.baseAddress!, into: $0.baseAddress!, matrixFree: matrixFree) }
            }
        }
        applyN(r, &nr)
        var p = r, np = nr
        var gamma = theoryDot(r, nr)
        let gamma0 = gamma
        var it = 0, stopped = false, converged = false
        while it < maxIterations {
            if theoryNorm(r) <= tolerance * cNorm || gamma <= tolerance * tolerance * gamma0 { converged = true; break }
            if monotonicSeconds() >= deadline { stopped = true; break }
            let npnp = theoryDot(np, np)
            if npnp <= 0 { converged = true; break }
            let a = gamma / npnp
            for i in 0..<n { u[i] += a * p[i]; r[i] -= a * np[i] }
            applyN(r, &nr)
            let g2 = theoryDot(r, nr)
            let beta = g2 / gamma
            gamma = g2
            for i in 0..<n { p[i] = r[i] + beta * p[i]; np[i] = nr[i] + beta * np[i] }
            it += 1
        }
        // True residual (the recurrences drift), through the operators W is checked with.
        let weights = synthesize(u)
        let residual = compatibilityResidual(weights)
        if residual > 1 {
            // Worse than W = 0, whose residual is ‖c‖/‖c‖ = 1: the recurrences drifted (QA round 16b: H's
            // columns scaled by 1e6 and 1e-6 ended at 6.8e8 after the iteration cap). W = 0 bounds it.
            return FinitePartSolution(weights: [Double](repeating: 0, count: weights.count), relativeResidual: 1,
                                      iterations: it, stoppedAtDeadline: stopped, converged: false)
        }
        return FinitePartSolution(weights: weights, relativeResidual: residual, iterations: it,
                                  stoppedAtDeadline: stopped, converged: converged)
    }

    /// Whether W is a least-squares solution: its residual r = c − 𝓐*W is at most ‖c‖ (W = 0's) and
    /// orthogonal to the range of 𝓐*, ‖𝓐r‖ ≤ 10⁻⁶ ‖𝓐c‖ (the normal equations, through H).
    private func isLeastSquaresOptimum(_ s: FinitePartSolution, c: [Double]) -> Bool {
        guard s.relativeResidual <= 1 else { return false }
        let x = adjoint(s.weights)
        var r = c
        for i in 0..<r.count { r[i] -= x[i] }
        let normal = theoryNorm(synthesize(r)), scale = theoryNorm(synthesize(c))
        return normal <= 1e-6 * scale
    }

    /// The relative residual ‖P_U(W H) − c‖/‖c‖ of any W (0 when c = 0 and W satisfies it).
    public func compatibilityResidual(_ w: [Double]) -> Double {
        let x = adjoint(w), c = layout.centredLogProbabilities
        var s = 0.0
        for i in 0..<c.count { s += (x[i] - c[i]) * (x[i] - c[i]) }
        let cn = theoryNorm(c)
        return cn == 0 ? s.squareRoot() : s.squareRoot() / cn
    }
}

/// The finite part W* of the NTP solution and how well it solves the log-odds system.
public struct FinitePartSolution: Sendable {
    /// W* (V × d row-major), in 𝓕.
    public var weights: [Double]
    /// ‖P_U(W* H) − c‖ / ‖c‖ (0 when c = 0).
    public var relativeResidual: Double
    /// CGLS iterations (0 for a closed form).
    public var iterations: Int
    /// Whether CGLS stopped at `DataSubspace.deadline`: the residual is then only an upper bound on the
    /// least-squares one, which proves compatibility when small but never its absence.
    public var stoppedAtDeadline = false
    /// Whether CGLS ended at one of its criteria (the residual within tolerance, or the normal-equation
    /// residual down by it) rather than at the deadline or `DataSubspace.maxIterations`. Otherwise the
    /// residual, too, only bounds the least-squares one from above.
    public var converged = true
    /// Whether the residual is the least-squares one, so that a large one proves incompatibility.
    public var isLeastSquaresResidual: Bool { converged && !stoppedAtDeadline }
    /// Residual at or below which the data are called NTP_𝓗-compatible.
    public static let compatibilityTolerance = 1e-8
    /// `relativeResidual ≤ compatibilityTolerance`.
    public var isCompatible: Bool { relativeResidual <= FinitePartSolution.compatibilityTolerance }
}

@inline(__always) func theoryDot(_ a: [Double], _ b: [Double]) -> Double {
    var s = 0.0
    for i in 0..<a.count { s += a[i] * b[i] }
    return s
}
@inline(__always) func theoryNorm(_ a: [Double]) -> Double { theoryDot(a, a).squareRoot() }
