import COpenBLAS
import Foundation
import NTPFormats

extension DataSubspace {
    /// Default of `directSolveWork`: a few seconds of dgelsd (numpy's lstsq took 1.6 s at 9.2e9, 1,363 × 4,950).
    public static let defaultDirectSolveWork = 2e10
    /// Largest rows × columns (doubles) of that system: 200 MB.
    static let directSolveEntries = 25_000_000.0

    /// W* by the SVD of the explicit log-odds system 𝓐* (one row per support entry, one column per weight of a
    /// support token), for systems CGLS could not finish: on contexts 1e-6 apart (A's condition near 1e6)
    /// 20,000 CGLS iterations ended at 2e-3 where the SVD reaches 6e-10. Singular values below ε·max(n, N)·σ₁
    /// count as zero, as in numpy's `lstsq`; one step of iterative refinement follows when the residual is
    /// above the tolerance. nil when the system is larger than `directSolveWork` or than the available memory
    /// allows, or when LAPACK fails.
    ///
    /// The residual proves compatibility when small. When not, it is called the least-squares one only when
    /// - it exceeds 1000·ε·κ (κ = σ₁ over the smallest kept singular value), well above the float64 error of a
    ///   least-squares residual: on contexts 1e-8 apart (κ near 1e8) the SVD's 5.7e-8 is that error, not a
    ///   proof, since the system is consistent in exact arithmetic;
    /// - and every singular value the cut dropped is at round-off: at most 100·ε·σ₁, or a tenth of the cut-off
    ///   (0.1·ε·max(n, N)·σ₁) on larger systems, since round-off grows with the size. With contexts scaled by
    ///   1e6 and 1e-6 the cut dropped real ones (2e-13·σ₁ against a cut-off of 1.1e-12·σ₁) and left 0.19 on a
    ///   consistent system.
    func finitePartBySVD() -> FinitePartSolution? {
        let d = features.dimension, n = layout.entryCount
        var tokenColumn = [Int](repeating: -1, count: vocabularySize)
        var tokens: [Int] = []
        for v in layout.columns.sorted() where tokenColumn[v] < 0 { tokenColumn[v] = tokens.count; tokens.append(v) }
        let columns = tokens.count * d
        let entries = Double(n) * Double(columns)
        // A, its copy inside dgelsd and dgelsd's workspace: skipped, not failed, where they do not fit.
        let free = AvailableMemory.bytes().map { Double($0) } ?? .infinity
        guard entries <= Self.directSolveEntries, entries * Double(min(n, columns)) <= directSolveWork,
              3 * 8 * entries <= free else { return nil }
        // Row e (context j, token v): Σ_{v' ∈ S_j} ([v' = v] − 1/k_j) h̄_jᵀ in the block of v'; column-major.
        var a = [Double](repeating: 0, count: n * columns)
        var h = [Double](repeating: 0, count: d)
        for j in 0..<contextCount {
            h.withUnsafeMutableBufferPointer { features.column(j, into: $0.baseAddress!) }
            let entries = layout.rowOffsets[j]..<layout.rowOffsets[j + 1]
            let share = 1 / Double(entries.count)
            for e in entries {
                for e2 in entries {
                    let coefficient = (e == e2 ? 1 : 0) - share, block = tokenColumn[layout.columns[e2]] * d
                    for i in 0..<d { a[(block + i) * n + e] = coefficient * h[i] }
                }
            }
        }
        let rcond = Double.ulpOfOne * Double(max(n, columns)), c = layout.centredLogProbabilities
        var spectrum: (singularValues: [Double], rank: Int) = ([], 0)
        guard var x = MinimumNormLeastSquares.solve(a, rows: n, cols: columns, b: c, rcond: rcond, spectrum: &spectrum),
              let largest = spectrum.singularValues.first, spectrum.rank > 0 else { return nil }
        func weights(_ x: [Double]) -> [Double] {
            var w = [Double](repeating: 0, count: vocabularySize * d)
            for (t, v) in tokens.enumerated() { for i in 0..<d { w[v * d + i] = x[t * d + i] } }
            return w
        }
        var w = weights(x), residual = compatibilityResidual(w)
        if residual > FinitePartSolution.compatibilityTolerance {
            // One step of iterative refinement, x += A⁺(c − A x): near-duplicates 1e-8 apart (κ near 1e8) ended at
            // 1.2e-8, where QA's QR-then-SVD W reached 8.6e-9.
            var r = c
            cblas_dgemv(CblasColMajor, CblasNoTrans, Int32(n), Int32(columns), -1, a, Int32(n), x, 1, 1, &r, 1)
            var ignored: (singularValues: [Double], rank: Int) = ([], 0)
            if let step = MinimumNormLeastSquares.solve(a, rows: n, cols: columns, b: r, rcond: rcond, spectrum: &ignored) {
                let refined = zip(x, step).map { $0 + $1 }, refinedW = weights(refined), refinedResidual = compatibilityResidual(refinedW)
                if refinedResidual < residual { (x, w, residual) = (refined, refinedW, refinedResidual) }
            }
        }
        let condition = largest / spectrum.singularValues[spectrum.rank - 1]
        let cleanCut = spectrum.singularValues.dropFirst(spectrum.rank).allSatisfy { $0 <= max(100 * .ulpOfOne, 0.1 * rcond) * largest }
        var solution = FinitePartSolution(weights: w, relativeResidual: residual, iterations: 0)
        solution.converged = solution.isCompatible || (cleanCut && solution.relativeResidual > 1000 * .ulpOfOne * condition)
        return solution
    }
}

extension DataSubspace {
    /// Singular values of a token's normalised contexts below this fraction of the largest (and above round-off)
    /// count as nearly parallel.
    static let nearlyParallel = 1e-5

    /// `solution` without its claim to be the least-squares residual, or to the weighted lower bound, when some
    /// token's contexts are nearly parallel: CGLS's stop tests (the normal equations to 1e-6) cannot see a fit
    /// along their difference. QA round 18: 50 KJV contexts with pairs 1e-9 apart (d = 64) were called "not
    /// compatible" at 0.261, where numpy's lstsq reaches 2.9e-7 with a W of norm 7e9; the SVD that settles such
    /// systems (`finitePartBySVD`) was over its size limit.
    func withoutHiddenFit(_ solution: FinitePartSolution) -> FinitePartSolution {
        guard solution.residualLowerBound > 0, hasNearlyParallelContexts() != false else { return solution }
        var unsettled = solution
        unsettled.converged = false
        unsettled.weightedLowerBound = 0
        return unsettled
    }

    /// Whether, for some token v, the directions h̄_j/‖h̄_j‖ of the contexts j whose support holds v have a
    /// singular value that float64 resolves (above 1000·ε·max(d, n_v) of the largest) but below
    /// `nearlyParallel` of it. Normalised, because contexts far apart in norm alone are what the weighted solve
    /// handles. false for one-hot and per-position one-hot features (distinct 0/1 columns); nil (cannot tell)
    /// when the SVDs (Σ_v d·n_v·min(d, n_v)) are not affordable (`affordsFactorWork`) or reach the deadline.
    func hasNearlyParallelContexts() -> Bool? {
        guard case .dense(let h) = features.storage else { return false }
        let d = features.dimension
        let lists = tokenEntries.filter { $0.count > 1 }
        let work = lists.reduce(0.0) { $0 + Double(d) * Double($1.count) * Double(min(d, $1.count)) }
        guard affordsFactorWork(work) else { return nil }
        for list in lists {
            guard monotonicSeconds() < deadline else { return nil }
            var block = [Double](repeating: 0, count: d * list.count)
            for (k, e) in list.enumerated() {
                let j = layout.entryContext[e]
                let column = h[(j * d)..<((j + 1) * d)]
                let norm = column.reduce(0) { $0 + $1 * $1 }.squareRoot()
                guard norm > 0 else { continue }
                for (i, x) in column.enumerated() { block[k * d + i] = x / norm }
            }
            guard let sigma = SingularValues.of(block, rows: d, columns: list.count) else { continue }
            if TokenFactor.isAmbiguous(sigma, rows: d, columns: list.count, nearlyParallel: Self.nearlyParallel) { return true }
        }
        return false
    }
}
