import NTPCore
import NTPFormats
import XCTest

/// Independent, explicit (dense, tiny-problem) implementations used to check the theory solvers:
/// an orthonormal basis Q of 𝓕 built by Gram–Schmidt over vec((e_z − e_{a_j}) h̄_jᵀ), the
/// projection Q Qᵀ, W* by least squares over the basis, and W^mm by coordinate descent on the
/// plain α-dual with the explicit projector (a different parametrisation from the solver's).
struct TheoryReference {
    let v: Int, d: Int, m: Int
    let h: [Double]          // d × m column-major
    let supports: [[Int]]
    let c: [[Double]]        // centred log-probabilities per context, aligned with supports
    var basis: [[Double]] = []   // orthonormal vectors of length V·d (row-major W)

    init(data: DataSet, h: [Double], d: Int) {
        v = data.vocabularySize; m = data.contextCount; self.d = d; self.h = h
        var s = [[Int]](), cc = [[Double]]()
        for j in 0..<m {
            let idx = Array(data.rowOffsets[j]..<data.rowOffsets[j + 1])
            s.append(idx.map { Int(data.columns[$0]) })
            let t = idx.reduce(0.0) { $0 + data.counts[$1] }
            let logs = idx.map { Foundation.log(data.counts[$0] / t) }
            let mean = logs.reduce(0, +) / Double(logs.count)
            cc.append(logs.map { $0 - mean })
        }
        supports = s; c = cc
        for j in 0..<m where supports[j].count > 1 {
            for z in supports[j].dropFirst() {
                var x = [Double](repeating: 0, count: v * d)
                for i in 0..<d { x[z * d + i] += h[j * d + i]; x[supports[j][0] * d + i] -= h[j * d + i] }
                let n0 = refNorm(x)
                for _ in 0..<2 { for q in basis { let a = refDot(q, x); for i in 0..<x.count { x[i] -= a * q[i] } } }
                let n1 = refNorm(x)
                if n1 > 1e-9 * n0 { basis.append(x.map { $0 / n1 }) }
            }
        }
    }

    func projectF(_ w: [Double]) -> [Double] {
        var r = [Double](repeating: 0, count: w.count)
        for q in basis { let a = refDot(q, w); for i in 0..<r.count { r[i] += a * q[i] } }
        return r
    }
    func projectPerp(_ w: [Double]) -> [Double] { zip(w, projectF(w)).map { $0 - $1 } }

    /// P_U(W h̄_j) on S_j for every j, flattened.
    func logOdds(_ w: [Double]) -> [Double] {
        var out = [Double]()
        for j in 0..<m {
            let l = supports[j].map { z in (0..<d).reduce(0.0) { $0 + w[z * d + $1] * h[j * d + $1] } }
            let mean = l.reduce(0, +) / Double(l.count)
            out += l.map { $0 - mean }
        }
        return out
    }

    /// Min-norm least-squares W* over the basis of 𝓕 (normal equations, Gaussian elimination).
    func finitePart() -> [Double] {
        let r = basis.count
        let cols = basis.map { logOdds($0) }
        let target = c.flatMap { $0 }
        var a = [[Double]](repeating: [Double](repeating: 0, count: r + 1), count: r)
        for p in 0..<r {
            for q in 0..<r { a[p][q] = refDot(cols[p], cols[q]) }
            a[p][r] = refDot(cols[p], target)
        }
        let y = solve(a)
        var w = [Double](repeating: 0, count: v * d)
        for p in 0..<r { for i in 0..<w.count { w[i] += y[p] * basis[p][i] } }
        return w
    }

    /// W^mm by exact coordinate descent on max Σα − ½‖Σα c̃‖², c̃ = P_⊥ vec((e_{a_j} − e_u) h̄_jᵀ).
    /// Returns nil if Σα exceeds `blowUp` (the dual is unbounded: not separable).
    func maxMargin(sweeps: Int = 400_000, blowUp: Double = 1e7) -> [Double]? {
        var ct = [[Double]]()
        for j in 0..<m {
            for u in 0..<v where !supports[j].contains(u) {
                var x = [Double](repeating: 0, count: v * d)
                for i in 0..<d { x[supports[j][0] * d + i] += h[j * d + i]; x[u * d + i] -= h[j * d + i] }
                ct.append(projectPerp(x))
            }
        }
        let n = ct.count
        var k = [[Double]](repeating: [Double](repeating: 0, count: n), count: n)
        for p in 0..<n { for q in p..<n { k[p][q] = refDot(ct[p], ct[q]); k[q][p] = k[p][q] } }
        var alpha = [Double](repeating: 0, count: n)
        var ka = [Double](repeating: 0, count: n)
        for _ in 0..<sweeps {
            var change = 0.0
            for p in 0..<n where k[p][p] > 0 {
                let new = max(0, alpha[p] + (1 - ka[p]) / k[p][p])
                let delta = new - alpha[p]
                if delta != 0 {
                    alpha[p] = new
                    for q in 0..<n { ka[q] += delta * k[q][p] }
                    change = max(change, abs(delta))
                }
            }
            if alpha.reduce(0, +) > blowUp { return nil }
            if change < 1e-15 { break }
        }
        var w = [Double](repeating: 0, count: v * d)
        for p in 0..<n { for i in 0..<w.count { w[i] += alpha[p] * ct[p][i] } }
        // Self-check: only a feasible (margins ≥ 1) limit counts as a solution.
        return minMargin(w) >= 1 - 1e-9 ? w : nil
    }

    /// min over j, z ∈ S_j, u ∉ S_j of (e_z − e_u)ᵀ W h̄_j.
    func minMargin(_ w: [Double]) -> Double {
        var best = Double.infinity
        for j in 0..<m {
            let l = (0..<v).map { a in (0..<d).reduce(0.0) { $0 + w[a * d + $1] * h[j * d + $1] } }
            for z in supports[j] { for u in 0..<v where !supports[j].contains(u) { best = min(best, l[z] - l[u]) } }
        }
        return best
    }

    private func solve(_ aIn: [[Double]]) -> [Double] {
        var a = aIn
        let n = a.count
        for col in 0..<n {
            let piv = (col..<n).max { abs(a[$0][col]) < abs(a[$1][col]) }!
            a.swapAt(col, piv)
            for r in (col + 1)..<max(col + 1, n) {
                let f = a[r][col] / a[col][col]
                for cc in col...n { a[r][cc] -= f * a[col][cc] }
            }
        }
        var x = [Double](repeating: 0, count: n)
        for r in stride(from: n - 1, through: 0, by: -1) {
            var s = a[r][n]
            for cc in (r + 1)..<max(r + 1, n) { s -= a[r][cc] * x[cc] }
            x[r] = s / a[r][r]
        }
        return x
    }
}

func refDot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }
func refNorm(_ a: [Double]) -> Double { refDot(a, a).squareRoot() }
func maxAbsDiff(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) } }

/// d × m column-major matrix with orthonormal columns (modified Gram–Schmidt of Gaussian draws).
func orthonormalColumns(d: Int, m: Int, seed: UInt64) -> [Double] {
    var rng = SeededGenerator(seed: seed)
    var h = (0..<(d * m)).map { _ in rng.nextGaussian() }
    for j in 0..<m {
        for _ in 0..<2 {
            for p in 0..<j {
                var a = 0.0
                for i in 0..<d { a += h[p * d + i] * h[j * d + i] }
                for i in 0..<d { h[j * d + i] -= a * h[p * d + i] }
            }
        }
        var n = 0.0
        for i in 0..<d { n += h[j * d + i] * h[j * d + i] }
        n = n.squareRoot()
        for i in 0..<d { h[j * d + i] /= n }
    }
    return h
}
