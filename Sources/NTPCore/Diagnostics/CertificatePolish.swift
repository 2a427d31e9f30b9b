import NTPFormats

extension Separability {
    /// Refines a Farkas certificate by least squares: starting from the solver's α (on its support)
    /// and β (on every tie pair), CGLS minimises ‖Σ α C + Σ β T‖² + (Σα − 1)², then clips α ≥ 0 and
    /// rescales to Σα = 1.
    ///
    /// Why: GLPK's duals are accurate only to about its dual feasibility tolerance (1e-7), which on
    /// dense features leaves relative residuals near 1e-8; a few CGLS steps in double precision
    /// bring them to round-off. The result is re-verified by the caller like any certificate.
    static func polish(_ cert: FarkasCertificate, data: DataSet, features: ContextFeatures,
                       iterations: Int = 50) -> FarkasCertificate? {
        let cols = SparseContextColumns(features)
        let V = data.vocabularySize, d = cols.dimension
        guard V * d <= 50_000_000, !cert.marginMultipliers.isEmpty else { return nil }
        // Columns of the least-squares matrix: (context, plus token, minus token, isAlpha).
        var columns: [(j: Int, plus: Int, minus: Int, alpha: Bool)] = []
        var x: [Double] = []
        for a in cert.marginMultipliers {
            let anchor = Int(data.columns[data.rowOffsets[a.context]])
            columns.append((a.context, anchor, a.token, true)); x.append(a.weight)
        }
        var betaIndex: [Int: Int] = [:]
        for j in 0..<data.contextCount where data.supportSize(j) > 1 {
            let range = data.rowOffsets[j]..<data.rowOffsets[j + 1]
            let anchor = Int(data.columns[range.lowerBound])
            for e in range.dropFirst() {
                betaIndex[j * V + Int(data.columns[e])] = columns.count
                columns.append((j, Int(data.columns[e]), anchor, false)); x.append(0)
            }
        }
        for b in cert.tieMultipliers { if let i = betaIndex[b.context * V + b.token] { x[i] = b.weight } }
        let n = columns.count
        // y = M x: the V × d residual block followed by one entry for Σα − 1 (without the −1).
        func apply(_ x: [Double], into y: inout [Double]) {
            for i in 0..<y.count { y[i] = 0 }
            for (i, c) in columns.enumerated() where x[i] != 0 {
                for e in cols.offsets[c.j]..<cols.offsets[c.j + 1] {
                    let v = cols.values[e] * x[i], f = cols.indices[e]
                    y[c.plus * d + f] += v; y[c.minus * d + f] -= v
                }
                if c.alpha { y[V * d] += x[i] }
            }
        }
        func applyTransposed(_ r: [Double], into s: inout [Double]) {
            for (i, c) in columns.enumerated() {
                var t = 0.0
                for e in cols.offsets[c.j]..<cols.offsets[c.j + 1] {
                    let f = cols.indices[e]
                    t += cols.values[e] * (r[c.plus * d + f] - r[c.minus * d + f])
                }
                s[i] = t + (c.alpha ? r[V * d] : 0)
            }
        }
        var r = [Double](repeating: 0, count: V * d + 1)
        apply(x, into: &r)
        for i in 0..<r.count { r[i] = -r[i] }
        r[V * d] += 1
        var s = [Double](repeating: 0, count: n)
        applyTransposed(r, into: &s)
        var p = s
        var gamma = s.reduce(0) { $0 + $1 * $1 }
        var q = [Double](repeating: 0, count: V * d + 1)
        for _ in 0..<iterations where gamma > 0 {
            apply(p, into: &q)
            let qq = q.reduce(0) { $0 + $1 * $1 }
            guard qq > 0 else { break }
            let step = gamma / qq
            for i in 0..<n { x[i] += step * p[i] }
            for i in 0..<r.count { r[i] -= step * q[i] }
            applyTransposed(r, into: &s)
            let next = s.reduce(0) { $0 + $1 * $1 }
            for i in 0..<n { p[i] = s[i] + next / gamma * p[i] }
            gamma = next
        }
        var alpha: [ConstraintMultiplier] = [], beta: [ConstraintMultiplier] = []
        var sum = 0.0
        for (i, c) in columns.enumerated() where c.alpha && x[i] > 0 { sum += x[i] }
        guard sum > 0 else { return nil }
        for (i, c) in columns.enumerated() {
            if c.alpha { if x[i] > 0 { alpha.append(ConstraintMultiplier(context: c.j, token: c.minus, weight: x[i] / sum)) } }
            else if x[i] != 0 { beta.append(ConstraintMultiplier(context: c.j, token: c.plus, weight: x[i] / sum)) }
        }
        return FarkasCertificate(marginMultipliers: alpha, tieMultipliers: beta, anchors: cert.anchors)
    }
}
