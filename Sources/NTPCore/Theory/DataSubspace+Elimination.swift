import COpenBLAS
import Foundation
import NTPFormats
import Synchronization

extension DataSubspace {
    /// Default of `eliminationContextLimit`: `finitePartByElimination` forms up to three m × m matrices (216 MB
    /// at 3,000).
    public static let defaultEliminationContextLimit = 3_000
    /// Per-token SVD work (Σ_v n_v·d_v·min(n_v, d_v)) done in a second on one core here, rounded down (two threads
    /// do about twice that): 13,013 KJV contexts over 203 tokens took 7.5 s at gaussian:512 (1.9e10), 13 s at
    /// gaussian:768 and 46 s at gaussian:1536 (1.0e11) on one core.
    static let factorWorkPerSecond = 2e9
    /// The most per-token SVD work taken on without a deadline (`solve`, the trainer): about 100 s here.
    static let unboundedFactorWork = 2e11

    /// Whether per-token SVDs of this `work` should run: always up to `factorWorkLimit`; past it, when at
    /// `factorWorkPerSecond` they take at most half the time left before `deadline` (up to `unboundedFactorWork`
    /// without one). CGLS, the route without them, ran 258 s on those 13,013 contexts at gaussian:768 and ended
    /// "unknown"; with the factors (13 s) the check said "no" in 20 s.
    func affordsFactorWork(_ work: Double) -> Bool {
        guard work > factorWorkLimit else { return true }
        guard deadline.isFinite else { return work <= Self.unboundedFactorWork }
        return work / Self.factorWorkPerSecond <= (deadline - monotonicSeconds()) / 2
    }

    /// W* directly, without CGLS, by `TokenElimination` with the right-hand side c. On the 1,000 most frequent KJV
    /// contexts over the whole vocabulary (gaussian:16) CGLS took 127 s and 34,449 iterations; this takes 0.4 s.
    ///
    /// nil (CGLS then decides, as before) when there is no elimination (`makeElimination`), the time limit has
    /// passed, or the result does not satisfy the normal equations 𝓐(𝓐*W − c) = 0 to CGLS's own test (1e-6 of
    /// ‖𝓐c‖). One step of iterative refinement follows the first solve. The residual is always recomputed from W
    /// through H.
    func finitePartByElimination() -> FinitePartSolution? {
        guard monotonicSeconds() < deadline else { return nil }
        guard let elimination else { return leastSquaresPartByIterativeElimination() }
        let c = layout.centredLogProbabilities
        func residual(_ w: [Double]) -> [Double] {
            let fitted = adjoint(w)
            return (0..<c.count).map { c[$0] - fitted[$0] }
        }
        var w = synthesize(elimination.coordinates(c)), r = residual(w)
        // One step of iterative refinement, W += E(c − 𝓐*W): on contexts 1e-5 apart (token blocks conditioned
        // near 1e5, squared in G_v⁺) the first W left 4e-8 where numpy's lstsq reaches 6e-12 (QA round 19).
        var refined = w
        addSynthesized(elimination.coordinates(r), scale: 1, to: &refined)
        let refinedResidual = residual(refined)
        if theoryNorm(refinedResidual) < theoryNorm(r) { (w, r) = (refined, refinedResidual) }
        // ‖r‖/‖c‖ is `compatibilityResidual(w)` bit for bit, without a third pass through H.
        let cNorm = theoryNorm(c)
        var solution = FinitePartSolution(weights: w, relativeResidual: cNorm == 0 ? theoryNorm(r) : theoryNorm(r) / cNorm,
                                          iterations: 0)
        solution.byElimination = true
        if solution.isCompatible { return solution }
        guard elimination.factors.synthesizedNorm(r) <= 1e-6 * elimination.factors.synthesizedNorm(c) else { return nil }
        return solution
    }

    /// A least-squares W (not W*) past `eliminationContextLimit`, by `IterativeTokenElimination`, for callers that
    /// accept one (`acceptsLeastSquaresSolution`). On the whole KJV (m = 148,464, gaussian:64) CGLS stopped at its 60 s
    /// limit with the residual 0.787, an upper bound; this reaches the least-squares residual.
    ///
    /// nil (CGLS then decides) when it does not apply (`tokenFactors`), or when CG ends at its iteration cap without W
    /// meeting the normal equations to CGLS's own test. At the deadline W stands, its residual an upper bound.
    func leastSquaresPartByIterativeElimination() -> FinitePartSolution? {
        guard acceptsLeastSquaresSolution, !isIdentity, eliminationContextLimit > 0, contextCount > eliminationContextLimit,
              let factors = tokenFactors() else { return nil }
        let solver = IterativeTokenElimination(factors: factors, contextCount: contextCount, entryContext: layout.entryContext)
        let c = layout.centredLogProbabilities
        let outcome = solver.coordinates(c, tolerance: 1e-9, maxIterations: maxIterations, deadline: deadline)
        let w = synthesize(outcome.coordinates), fitted = adjoint(w)
        let r = (0..<c.count).map { c[$0] - fitted[$0] }, cNorm = theoryNorm(c)
        let meetsNormalEquations = factors.synthesizedNorm(r) <= 1e-6 * factors.synthesizedNorm(c)
        var solution = FinitePartSolution(weights: w, relativeResidual: cNorm == 0 ? theoryNorm(r) : theoryNorm(r) / cNorm,
                                          iterations: outcome.iterations, stoppedAtDeadline: outcome.stoppedAtDeadline && !meetsNormalEquations,
                                          converged: meetsNormalEquations)
        solution.byElimination = true
        return solution.isCompatible || meetsNormalEquations || solution.stoppedAtDeadline ? withCoveredResidual(solution) : nil
    }

    /// The token elimination of this subspace, or nil when the features are H = I (closed forms), m is above
    /// `eliminationContextLimit`, its m × m matrices do not fit in the available memory, the per-token SVDs are not
    /// affordable (`tokenFactors`), a singular value is neither round-off nor clearly resolved (`TokenFactor`:
    /// contexts nearly parallel, or norms far apart), or `TokenElimination` refuses A.
    func makeElimination() -> TokenElimination? {
        let m = Double(contextCount)
        guard !isIdentity, contextCount <= eliminationContextLimit,
              AvailableMemory.bytes().map({ Double($0) >= 5 * 8 * m * m }) ?? true,
              let factors = tokenFactors() else { return nil }
        return TokenElimination(factors: factors, contextCount: contextCount, entryContext: layout.entryContext)
    }

    /// Every support token's `TokenFactor`, or nil when one is ambiguous, LAPACK fails, the SVDs are not affordable
    /// (`affordsFactorWork`) or reach the deadline, or their bases (8 Σ_v n_v min(n_v, d_v) bytes) would take more than half the available
    /// memory.
    func tokenFactors() -> [TokenFactor]? {
        let lists = tokenEntries.filter { !$0.isEmpty }
        var r = features.dimension
        if case .sparse(let perContext, _, _) = features.storage { r = perContext }
        var work = 0.0, bytes = 0.0
        for list in lists {
            let n = Double(list.count), d = Double(min(features.dimension, r * list.count))
            work += n * d * min(n, d)
            bytes += 8 * n * min(n, d)
        }
        guard affordsFactorWork(work), AvailableMemory.bytes().map({ Double($0) >= 2 * bytes }) ?? true else { return nil }
        // Tokens are factored on two threads, each taking the next token: `check` runs BLAS on one thread, and an SVD
        // depends on its block alone, so the factors have the same bits whatever thread computes them (13,013 KJV
        // contexts at gaussian:768: 13 s on one core).
        let slots = Mutex([TokenFactor?](repeating: nil, count: lists.count))
        let next = Atomic<Int>(0), failed = Atomic<Bool>(false)
        // A worker reads H and the token lists, and writes only its slots (under the lock) and its own scratch.
        let subspace = WorkerShared(self)
        DispatchQueue.concurrentPerform(iterations: min(Self.factorThreads, lists.count)) { _ in
            let this = subspace.value, deadline = this.deadline
            var localColumn = [Int](repeating: -1, count: this.features.dimension)
            while !failed.load(ordering: .relaxed) {
                let i = next.wrappingAdd(1, ordering: .relaxed).oldValue
                guard i < lists.count else { return }
                var (block, columns) = this.tokenBlock(lists[i], localColumn: &localColumn)
                guard monotonicSeconds() < deadline,
                      let factor = TokenFactor(entries: lists[i], block: &block, columns: columns, nearlyParallel: Self.nearlyParallel) else {
                    failed.store(true, ordering: .relaxed)
                    return
                }
                slots.withLock { $0[i] = factor }
            }
        }
        return failed.load(ordering: .relaxed) ? nil : slots.withLock { $0.map { $0! } }
    }

    /// Threads that factor tokens at once.
    static let factorThreads = 2

    /// H_v of the token with these entries, column-major n × d_v: every feature (dense H), or only those its
    /// contexts use (sparse H; `localColumn` maps a feature to its block column, and is all −1 again on return).
    private func tokenBlock(_ list: [Int], localColumn: inout [Int]) -> (block: [Double], columns: Int) {
        let n = list.count, ctx = layout.entryContext
        switch features.storage {
        case .dense(let h):
            let d = features.dimension
            var block = [Double](repeating: 0, count: n * d)
            for (k, e) in list.enumerated() { for i in 0..<d { block[i * n + k] = h[ctx[e] * d + i] } }
            return (block, d)
        case .sparse(let r, let idx, let values):
            var used: [Int] = []
            for e in list {
                for t in 0..<r where localColumn[Int(idx[ctx[e] * r + t])] < 0 {
                    localColumn[Int(idx[ctx[e] * r + t])] = used.count
                    used.append(Int(idx[ctx[e] * r + t]))
                }
            }
            var block = [Double](repeating: 0, count: n * used.count)
            for (k, e) in list.enumerated() {
                for t in 0..<r { block[localColumn[Int(idx[ctx[e] * r + t])] * n + k] += values?[ctx[e] * r + t] ?? 1 }
            }
            for f in used { localColumn[f] = -1 }
            return (block, used.count)
        case .identity:
            var block = [Double](repeating: 0, count: n * contextCount)
            for (k, e) in list.enumerated() { block[ctx[e] * n + k] = 1 }
            return (block, contextCount)
        }
    }
}
