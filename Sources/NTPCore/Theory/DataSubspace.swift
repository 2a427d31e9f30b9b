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
    /// Largest rows × columns × min(rows, columns) of the explicit log-odds system that `solveFinitePart`
    /// hands to the SVD (`finitePartBySVD`) when CGLS earned no verdict; 0 never does.
    public var directSolveWork = DataSubspace.defaultDirectSolveWork
    /// Largest m for which `solveFinitePart` tries the direct token elimination (`finitePartByElimination`) before
    /// CGLS; 0 never does.
    public var eliminationContextLimit = DataSubspace.defaultEliminationContextLimit
    /// Largest Σ_v n_v·d_v·min(n_v, d_v) that the per-token SVDs (`tokenFactors`, `hasNearlyParallelContexts`) may
    /// always cost, a few seconds; past it they run when they fit the time left (`affordsFactorWork`).
    public var factorWorkLimit = 1e10
    /// Whether `project` and `projectOrthogonal` first try the token elimination (P_𝓕(W) is the least-norm solution
    /// of P_U(W' H) = P_U(W H)); its result stands when it meets CG's own stopping test, else CG runs as before.
    /// Off by default, so that the trainer's projections keep their bits; `check` turns it on for its projection of
    /// the entropy-gap minimiser (58 s of CG on the 1,000 most frequent KJV contexts, gaussian:16).
    public var projectsByElimination = false
    /// Whether `solveFinitePart` may return a least-squares W that is not the least-norm one: past
    /// `eliminationContextLimit` it then tries `IterativeTokenElimination` before CGLS. `check` turns it on (its
    /// compatibility needs the residual, a W within the tolerance, and the refutation's y); `solve` and the trainer
    /// keep W*.
    public var acceptsLeastSquaresSolution = false
    /// Monotonic seconds (`monotonicSeconds()`) after which `solveFinitePart` begins no further CGLS
    /// iteration (`FinitePartSolution.stoppedAtDeadline`): `check --time-limit`.
    public var deadline = Double.infinity
    /// Default largest m for which G = HᵀH (m² doubles) is precomputed.
    public static let defaultGramLimit = 12_000

    let layout: SupportLayout
    /// G = HᵀH row-major m × m, or nil (identity, or m > gramLimit).
    let gram: [Double]?
    /// Per token v: the entries e with token v (their contexts are J_v).
    let tokenEntries: [[Int]]
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
    func addSynthesized(_ x: [Double], scale: Double, to w: inout [Double]) {
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
        if projectsByElimination, let direct = elimination?.coordinates(b) {
            // CG's test, ‖𝓐*W − 𝓝u‖ ≤ tol·‖𝓐‖·‖W‖, through G or H as CG applies 𝓝.
            var fitted = [Double](repeating: 0, count: b.count)
            direct.withUnsafeBufferPointer { xp in fitted.withUnsafeMutableBufferPointer { applyNormal(xp.baseAddress!, into: $0.baseAddress!) } }
            if theoryNorm((0..<b.count).map { b[$0] - fitted[$0] }) <= projectionTolerance * scale { lastIterations = 0; return direct }
        }
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

    /// The direct solver of `finitePartByElimination` and, with `projectsByElimination`, of the projections (built on
    /// first use; nil where it does not apply).
    private(set) lazy var elimination: TokenElimination? = makeElimination()

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

    /// The Jacobi preconditioner of `conjugateGradient`: 1/‖h̄_j‖² at context j's entries (`contextWeights`
    /// squared), or nil when the context norms are within `weightingRatio` of each other.
    private lazy var jacobi: [Double]? = contextWeights.map { $0.map { $0 * $0 } }

    /// CG on the PSD normal operator, Jacobi-preconditioned when the context norms differ (`jacobi`),
    /// stopped when ‖r‖ ≤ absoluteTolerance. Returns (solution, iterations).
    func conjugateGradient(rhs b: [Double], start: [Double], absoluteTolerance: Double) -> ([Double], Int) {
        let n = b.count
        let bNorm = theoryNorm(b)
        if bNorm <= absoluteTolerance { return ([Double](repeating: 0, count: n), 0) }
        var x = start, r = [Double](repeating: 0, count: n), q = r
        x.withUnsafeBufferPointer { xp in r.withUnsafeMutableBufferPointer { applyNormal(xp.baseAddress!, into: $0.baseAddress!) } }
        for i in 0..<n { r[i] = b[i] - r[i] }
        // A warm start worse than zero is dropped.
        if theoryNorm(r) > bNorm { x = [Double](repeating: 0, count: n); r = b }
        // z = M r; without a preconditioner z is r itself (no copy).
        let preconditioner = jacobi
        var z = preconditioner.map { m in (0..<n).map { r[$0] * m[$0] } } ?? []
        var p = preconditioner == nil ? r : z
        var rz = theoryDot(r, p)
        var it = 0
        while theoryNorm(r) > absoluteTolerance && it < maxIterations {
            p.withUnsafeBufferPointer { pp in q.withUnsafeMutableBufferPointer { applyNormal(pp.baseAddress!, into: $0.baseAddress!) } }
            let pq = theoryDot(p, q)
            if pq <= 0 { break }
            let a = rz / pq
            for i in 0..<n { x[i] += a * p[i]; r[i] -= a * q[i] }
            let rz2: Double
            if let m = preconditioner {
                for i in 0..<n { z[i] = r[i] * m[i] }
                rz2 = theoryDot(r, z)
            } else {
                rz2 = theoryDot(r, r)
            }
            let beta = rz2 / rz
            rz = rz2
            if preconditioner == nil { for i in 0..<n { p[i] = r[i] + beta * p[i] } }
            else { for i in 0..<n { p[i] = z[i] + beta * p[i] } }
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
    /// (W = 𝓐u) so each iteration costs one application of 𝓝. A stop is accepted only when W, checked
    /// through H, has a residual ≤ `tolerance`·‖c‖ (compatible) or meets the normal equations,
    /// ‖𝓐(c − 𝓐*W)‖ ≤ 10⁻⁶ ‖𝓐c‖ (incompatible: the least-squares optimum); otherwise CGLS restarts from
    /// W's true residual, since its recurrences drift on ill-conditioned H. When the context norms ‖h̄_j‖
    /// differ by more than `weightingRatio`, a first solve weights each context's equations by 1/‖h̄_j‖
    /// (Jacobi on 𝓝): it has the same solutions when the system is consistent, and the same minimum-norm
    /// one, since its iterates stay in 𝓕. H = I uses the closed form L* column j = c_j on S_j.
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
        if let direct = finitePartByElimination() { return direct }
        let usesGram = gram != nil || tokenBlocks != nil
        var weighted: FinitePartSolution?
        if let weights = contextWeights {
            // Columns scaled by 1e6 and 1e-6 (QA round 16b): unweighted CGLS called the data "not compatible"
            // at 0.19, where every context can be fitted.
            var (solution, ownResidual, u) = finitePartByCGLS(c, tolerance: tolerance, matrixFree: !usesGram, weights: weights)
            if solution.isCompatible || solution.stoppedAtDeadline { return solution }
            if ownResidual <= FinitePartSolution.compatibilityTolerance {
                // Consistent to round-off once each context is normalised. The weighted stop leaves c's residual
                // κ(D)² above it (1.3e-7 at norms 1e3 apart, where numpy's lstsq reaches 3e-10), so an
                // unweighted solve from there polishes it. When W H's rounding on the long columns (‖W‖·‖h̄_j‖·ε)
                // keeps it above the tolerance (6e-3 at ‖h̄_j‖ = 1e6, ‖W‖ = 1e7), neither verdict is earned.
                var polished = finitePartByCGLS(c, tolerance: tolerance, matrixFree: !usesGram, weights: nil, start: u).solution
                polished = Self.better(polished, solution)
                if !polished.isCompatible { polished.converged = false }
                return checkedDirectly(polished)
            }
            if solution.converged {
                // Every W has ‖D r‖ ≥ ‖D r̃‖ (the weighted optimum), and ‖D r‖ ≤ max D · ‖r‖.
                let weightedC = theoryNorm((0..<c.count).map { c[$0] * weights[$0] })
                solution.weightedLowerBound = ownResidual * weightedC / (weights.max()! * cNorm)
            }
            solution.converged = false   // its residual is not c's least-squares one
            weighted = solution
        }
        var best = finitePartByCGLS(c, tolerance: tolerance, matrixFree: !usesGram, weights: nil).solution
        if usesGram && !best.stoppedAtDeadline && !best.converged {
            // Through G, c's part outside the range of 𝓐* (an incompatible system) is not exactly
            // invisible to 𝓝 as it is to 𝓐: CGLS's u grows along it and leaks into W = 𝓐u (QA: residual
            // 22 where W = 0 has 1, with d < m). Through H the operators agree, and CGLS converges.
            best = Self.better(finitePartByCGLS(c, tolerance: tolerance, matrixFree: true, weights: nil).solution, best)
        }
        if let weighted { best = Self.better(best, weighted) }
        return checkedDirectly(best)
    }

    /// `solution` checked by the SVD (`finitePartBySVD`) when it does not prove compatibility and the system is
    /// small enough, unless the time limit stopped it:
    /// - the SVD's answer when that settles the question (compatible, or a least-squares residual);
    /// - otherwise `solution` with the smaller of the two residuals, and no least-squares claim. CGLS's
    ///   normal-equation test cannot see a residual along singular values below 1e-6·σ₁: on contexts 1e-8
    ///   apart it called 0.37 the least-squares residual of a system that is consistent in exact arithmetic.
    private func checkedDirectly(_ solution: FinitePartSolution) -> FinitePartSolution {
        guard !solution.isCompatible, !solution.stoppedAtDeadline, monotonicSeconds() < deadline else { return withCoveredResidual(solution) }
        guard var direct = finitePartBySVD() else { return withoutHiddenFit(withCoveredResidual(solution)) }
        direct.iterations = solution.iterations
        direct.weightedLowerBound = solution.weightedLowerBound
        if direct.isCompatible || direct.converged { return direct }
        var unsettled = direct.relativeResidual < solution.relativeResidual ? direct : solution
        unsettled.converged = false
        return unsettled
    }

    /// `solution` unless it did not reach c's least-squares optimum and `other` has the smaller residual (both
    /// are residuals of actual W's, so the smaller one bounds the least-squares residual), with their iterations
    /// and lower bounds pooled.
    private static func better(_ solution: FinitePartSolution, _ other: FinitePartSolution) -> FinitePartSolution {
        var best = solution
        if !solution.converged && other.relativeResidual < solution.relativeResidual {
            best.weights = other.weights; best.relativeResidual = other.relativeResidual
        }
        best.iterations = solution.iterations + other.iterations
        best.weightedLowerBound = max(solution.weightedLowerBound, other.weightedLowerBound)
        return best
    }

    /// Context norms differing by more than this factor get the weighted first solve and the Jacobi
    /// preconditioner. Below it the unweighted solve converges well (norms 100 apart still gave 7.7e-10 on
    /// synth's m = 50, d = 60), and the weighted pass would double the time of every incompatible solve
    /// (gaussian:16 on 2,000 KJV contexts, where the norms are 4 apart: 0.42 → 1.0 s).
    static let weightingRatio = 10.0

    /// ‖h̄_j‖² of every context, computed once (the weights, the refutation and the residual's rounding bound use them).
    private(set) lazy var contextNormsSquared = TheoryKernels.columnNormsSquared(features)

    /// 1/‖h̄_j‖ at every support entry of context j (1 for a zero column), or nil when the nonzero norms are
    /// within `weightingRatio` of each other.
    private lazy var contextWeights: [Double]? = {
        let norms = contextNormsSquared.map { $0.squareRoot() }
        let nonzero = norms.filter { $0 > 0 }
        guard let low = nonzero.min(), let high = nonzero.max(), high > Self.weightingRatio * low else { return nil }
        return layout.entryContext.map { norms[$0] > 0 ? 1 / norms[$0] : 1 }
    }()

    /// How many times one matrix-free CGLS solve may restart from its true residual. A solve through G does
    /// not restart: when its stop fails the check, G's leak (see `solveFinitePart`) is the usual cause, and
    /// restarts through G cost 20 times the matrix-free solve that follows (QA round 16b's plain d = 80 case).
    static let maxRestarts = 20

    /// CGLS on min_W ‖D(𝓐*W − c)‖ from W = 0 in coordinates ũ, W = 𝓐Dũ (D = `weights` per entry,
    /// constant within a context, or the identity): the normal operator is D𝓝D. Stops are checked
    /// through H as `solveFinitePart` says. An unweighted solve may start from coordinates u (W = 𝓐u) instead.
    /// Also returns the relative residual in D's metric, ‖D(𝓐*W − c)‖/‖Dc‖, and the final u.
    private func finitePartByCGLS(_ c: [Double], tolerance: Double, matrixFree: Bool, weights: [Double]?,
                                  start: [Double]? = nil)
        -> (solution: FinitePartSolution, ownResidual: Double, coordinates: [Double]) {
        precondition(start == nil || weights == nil, "a start is in unweighted coordinates")
        let n = c.count
        func weighted(_ x: [Double]) -> [Double] {
            guard let d = weights else { return x }
            return (0..<n).map { x[$0] * d[$0] }
        }
        var scratch = weights == nil ? [] : [Double](repeating: 0, count: n)
        // y = D𝓝Dx; returns xᵀy.
        func applyN(_ x: [Double], _ y: inout [Double]) -> Double {
            y.withUnsafeMutableBufferPointer { yp in
                guard let d = weights else {
                    x.withUnsafeBufferPointer { applyNormal($0.baseAddress!, into: yp.baseAddress!, matrixFree: matrixFree) }
                    return
                }
                for i in 0..<n { scratch[i] = x[i] * d[i] }
                scratch.withUnsafeBufferPointer { applyNormal($0.baseAddress!, into: yp.baseAddress!, matrixFree: matrixFree) }
                for i in 0..<n { yp[i] *= d[i] }
            }
            return theoryDot(x, y)
        }
        let b = weighted(c), bNorm = theoryNorm(b)
        // The normal equations' scale ‖𝓐Db‖, through H: a V × d array, made only when a stop needs it.
        lazy var normalScale = theoryNorm(synthesize(weighted(b)))
        var u = start ?? [Double](repeating: 0, count: n), r = b
        var nr = [Double](repeating: 0, count: n), p = r, np = nr
        var gamma = 0.0, gamma0 = 0.0
        func restart(from residual: [Double]) {
            r = residual
            gamma = applyN(r, &nr); gamma0 = gamma
            p = r; np = nr
        }
        if start == nil {
            restart(from: b)
        } else {
            let fitted = adjoint(synthesize(u))
            restart(from: (0..<n).map { c[$0] - fitted[$0] })
        }
        var it = 0, restarts = 0, checkedAt = -1, stopped = false, converged = false
        var w: [Double], ownResidual: Double
        while true {
            let timeUp = monotonicSeconds() >= deadline
            let npnp = theoryDot(np, np)
            let ended = theoryNorm(r) <= tolerance * bNorm || gamma <= tolerance * tolerance * gamma0 || npnp <= 0
            if ended || timeUp || it >= maxIterations {
                w = synthesize(weighted(u))
                let fitted = weighted(adjoint(w))
                let trueResidual = (0..<n).map { b[$0] - fitted[$0] }
                ownResidual = theoryNorm(trueResidual) / bNorm
                // Past the time limit the normal equations are not checked: two more V × d arrays, seconds each
                // on a whole corpus with positional one-hot features.
                converged = ownResidual <= tolerance
                    || (!timeUp && theoryNorm(synthesize(weighted(trueResidual))) <= 1e-6 * normalScale)
                stopped = timeUp && !converged
                if converged || timeUp || it >= maxIterations || !matrixFree || restarts == Self.maxRestarts || it == checkedAt { break }
                // On near-duplicate contexts (1e-8 apart) the recurrences ended at a residual of 4e-5 while W's was
                // 0.027 (QA round 16b), and the data were called "not compatible".
                restarts += 1; checkedAt = it
                restart(from: trueResidual)
                continue
            }
            let a = gamma / npnp
            for i in 0..<n { u[i] += a * p[i]; r[i] -= a * np[i] }
            let g2 = applyN(r, &nr)
            let beta = g2 / gamma
            gamma = g2
            for i in 0..<n { p[i] = r[i] + beta * p[i]; np[i] = nr[i] + beta * np[i] }
            it += 1
        }
        let solution = FinitePartSolution(weights: w, relativeResidual: compatibilityResidual(w), iterations: it,
                                          stoppedAtDeadline: stopped, converged: converged)
        return (Self.boundedByZero(solution, weighted: weights != nil), ownResidual, weighted(u))
    }

    /// `solution`, or W = 0 when `solution`'s residual is worse than W = 0's ‖c‖/‖c‖ = 1: the recurrences
    /// drifted (QA round 16b: H's columns scaled by 1e6 and 1e-6 ended at 6.8e8 after the iteration cap), or a
    /// weighted optimum fits the short columns at the long ones' expense. A weighted solve's convergence
    /// stands, for its lower bound.
    private static func boundedByZero(_ solution: FinitePartSolution, weighted: Bool) -> FinitePartSolution {
        guard solution.relativeResidual > 1 else { return solution }
        return FinitePartSolution(weights: [Double](repeating: 0, count: solution.weights.count), relativeResidual: 1,
                                  iterations: solution.iterations, stoppedAtDeadline: solution.stoppedAtDeadline,
                                  converged: solution.converged && weighted)
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
    /// A lower bound on the least-squares relative residual from the solve weighted by 1/‖h̄_j‖, or 0.
    public var weightedLowerBound = 0.0
    /// A lower bound on the least-squares relative residual: the residual itself when it is the least-squares
    /// one, else `weightedLowerBound`. Above `compatibilityTolerance` it proves the data not compatible.
    public var residualLowerBound: Double { isLeastSquaresResidual ? relativeResidual : weightedLowerBound }
    /// Residual at or below which the data are called NTP_𝓗-compatible.
    public static let compatibilityTolerance = 1e-8
    /// `relativeResidual ≤ compatibilityTolerance`.
    public var isCompatible: Bool { relativeResidual <= FinitePartSolution.compatibilityTolerance }
    /// The re-checkable proof that no W of moderate norm fits, when a caller built one
    /// (`DataSubspace.incompatibilityCertificate`).
    public var refutation: IncompatibilityCertificate? = nil
    /// A bound on the rounding error of `relativeResidual` when a caller computed one (`DataSubspace.residualRoundOff`).
    public var residualRoundOff = 0.0
    /// Whether W* came from the direct token elimination (`DataSubspace.finitePartByElimination`), not CGLS.
    public var byElimination = false
}

@inline(__always) func theoryDot(_ a: [Double], _ b: [Double]) -> Double {
    var s = 0.0
    for i in 0..<a.count { s += a[i] * b[i] }
    return s
}
@inline(__always) func theoryNorm(_ a: [Double]) -> Double { theoryDot(a, a).squareRoot() }
