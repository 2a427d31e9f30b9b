import COpenBLAS
import NTPFormats

/// `TokenElimination` past `DataSubspace.eliminationContextLimit`, where its m × m matrices do not fit: the shifts
/// solve A t = −g by conjugate gradients preconditioned with A's diagonal, each product with A = Σ_v E_vᵀ(I − P_v)E_v
/// taking two passes over the token bases (4 Σ_v n_v r_v flops) and no m × m array.
///
/// CG from t = 0 gives a least-squares solution, but not the one of least ‖W‖: that needs null(A), which only the
/// m × m eigendecomposition finds. So W here is a least-squares W, not W*. Its residual is the least-squares one, which
/// is what `check`'s compatibility verdict and its refutation need (`DataSubspace.acceptsLeastSquaresSolution`);
/// `solve`'s W* and the projections onto 𝓕 keep CGLS and CG.
struct IterativeTokenElimination {
    let factors: [TokenFactor]
    private let contextCount: Int
    private let entryContext: [Int]
    /// The factors that couple contexts (rank below their count: I − P_v ≠ 0), and each one's contexts.
    private let coupling: [(factor: TokenFactor, rows: [Int32])]
    /// 1/A_jj, or 0 where A's row is 0 (no token constrains context j's shift).
    private let inverseDiagonal: [Double]

    /// The iterations and whether they met the tolerance, after `coordinates`.
    struct Outcome {
        /// The coordinates of W (`[TokenFactor].coordinates` at the shifts found).
        var coordinates: [Double]
        var iterations: Int
        /// ‖A t + g‖ ≤ tolerance · ‖g‖ (false: the deadline or the iteration cap came first, or pᵀAp stopped being
        /// positive, which round-off does near A's null space; the best iterate stands in every case).
        var converged: Bool
        /// The deadline stopped it.
        var stoppedAtDeadline: Bool
    }

    init(factors: [TokenFactor], contextCount m: Int, entryContext: [Int]) {
        self.factors = factors
        contextCount = m
        self.entryContext = entryContext
        var diagonal = [Double](repeating: 0, count: m)
        var coupling: [(factor: TokenFactor, rows: [Int32])] = []
        for f in factors where f.rank < f.count {
            let rows = f.entries.map { Int32(entryContext[$0]) }
            for k in 0..<f.count {
                var leverage = 0.0
                for c in 0..<f.rank { leverage += f.basis[c * f.count + k] * f.basis[c * f.count + k] }
                diagonal[Int(rows[k])] += max(0, 1 - leverage)
            }
            coupling.append((f, rows))
        }
        self.coupling = coupling
        // A_jj below round-off of its k_j unit terms is a row float64 cannot tell from 0 (its shift is then free).
        inverseDiagonal = diagonal.map { $0 > 1e-12 ? 1 / $0 : 0 }
    }

    /// The least-squares coordinates for the right-hand side x: CG on A t = −g until ‖A t + g‖ ≤ tolerance · ‖g‖, the
    /// iteration cap, or the monotonic `deadline`.
    func coordinates(_ x: [Double], tolerance: Double, maxIterations: Int, deadline: Double) -> Outcome {
        let m = contextCount
        // r = −g at t = 0, where A's row is not 0 (elsewhere g is 0 up to round-off, and t_j stays 0).
        var r = zip(factors.unfittedSums(x, contexts: entryContext, contextCount: m), inverseDiagonal).map { $1 > 0 ? -$0 : 0 }
        let target = tolerance * theoryNorm(r)
        var t = [Double](repeating: 0, count: m), z = zip(r, inverseDiagonal).map { $0 * $1 }
        var p = z, q = [Double](repeating: 0, count: m), rz = theoryDot(r, z)
        var iterations = 0, converged = theoryNorm(r) <= target, stopped = false
        // The recurrences lose orthogonality near round-off (whole KJV, gaussian:64: 1e-9 of ‖g‖ after 1,000 steps,
        // then up and down by 100× until pᵀAp turned negative at 3,746): the best iterate is kept.
        var best = [Double](repeating: 0, count: m), bestResidual = theoryNorm(r)
        var scratch = ProductScratch(coupling)
        while !converged && iterations < maxIterations {
            if monotonicSeconds() >= deadline { stopped = true; break }
            apply(p, into: &q, scratch: &scratch)
            let pq = theoryDot(p, q)
            guard pq > 0 else { break }
            let step = rz / pq
            for j in 0..<m { t[j] += step * p[j]; r[j] -= step * q[j] }
            iterations += 1
            let residual = theoryNorm(r)
            if residual < bestResidual {
                bestResidual = residual
                for j in 0..<m { best[j] = t[j] }   // copied in place: no allocation per step
            }
            if residual <= target { converged = true; break }
            for j in 0..<m { z[j] = r[j] * inverseDiagonal[j] }
            let next = theoryDot(r, z), beta = next / rz
            rz = next
            for j in 0..<m { p[j] = z[j] + beta * p[j] }
        }
        return Outcome(coordinates: factors.coordinates(x, shifts: best, contexts: entryContext), iterations: iterations,
                       converged: converged, stoppedAtDeadline: stopped)
    }

    /// Buffers of one token's gathered shifts and basis coefficients, sized for the largest token.
    private struct ProductScratch {
        var gathered: [Double], coefficients: [Double]
        init(_ coupling: [(factor: TokenFactor, rows: [Int32])]) {
            gathered = [Double](repeating: 0, count: coupling.map(\.factor.count).max() ?? 0)
            coefficients = [Double](repeating: 0, count: coupling.map(\.factor.rank).max() ?? 0)
        }
    }

    /// out = A p = Σ_v E_vᵀ(p_v − U_v U_vᵀ p_v), tokens in order (the same bits on every run).
    private func apply(_ p: [Double], into out: inout [Double], scratch: inout ProductScratch) {
        for j in out.indices { out[j] = 0 }
        p.withUnsafeBufferPointer { pp in
            out.withUnsafeMutableBufferPointer { oo in
                scratch.gathered.withUnsafeMutableBufferPointer { xx in
                    scratch.coefficients.withUnsafeMutableBufferPointer { yy in
                        for (f, rows) in coupling {
                            let n = f.count
                            for k in 0..<n { xx[k] = pp[Int(rows[k])] }
                            if f.rank > 0 {
                                cblas_dgemv(CblasColMajor, CblasTrans, Int32(n), Int32(f.rank), 1, f.basis, Int32(n),
                                            xx.baseAddress, 1, 0, yy.baseAddress, 1)
                                cblas_dgemv(CblasColMajor, CblasNoTrans, Int32(n), Int32(f.rank), -1, f.basis, Int32(n),
                                            yy.baseAddress, 1, 1, xx.baseAddress, 1)
                            }
                            for k in 0..<n { oo[Int(rows[k])] += xx[k] }
                        }
                    }
                }
            }
        }
    }
}
