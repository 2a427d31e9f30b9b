import COpenBLAS
import NTPFormats

/// The null-space route by cutting planes in k = dim null(H̄) dimensions (theory.md §7).
///
/// With u = Nᵀ T the LP of `decide` asks for one point u that lies, for every token v, in
/// a_v + cone{N_j : j ∈ O_v} (O_v: the contexts whose support lacks v, a_v = Σ_{j ∈ O_v} N_j). a_v lies
/// inside that cone, so — cones being invariant under scaling — the data are separable iff the V cones
/// have a common interior point. This decides that in R^k instead of solving the V·k-row LP:
/// a master LP proposes c, every token's small depth LP (`TokenDepthLP`, k rows) either places c
/// strictly inside its cone or returns a cut, and the master learns the cut. It ends with
///   * every depth t_v(c) > 0: margins λ_v/t_min and u = c/t_min are the LP's solution, and
///     `separable` turns them into a verified W (γ*'s lower end; `HullPointMarginBound` adds the upper end);
///   * master value 0: its duals combine cuts of each token into Y_v (each in token v's dual cone) with
///     Σ_v Y_v = 0, the Farkas pair R = Y Nᵀ of `farkas`.
/// Why: random supports of real sizes put the threshold far from d = m (k ≈ 0.43 m on the 200 most
/// frequent KJV contexts), where the V·k-row LP is degenerate and slow, while the cones of most tokens
/// already contain every c (they need no cut). The "cuts" the method reports are the master's rows:
/// cuts and the equalities of missing directions.
extension NullSpaceSeparability {
    /// Decides, or returns nil when an LP fails, the deadline passes, or a certificate fails to verify.
    func decideByCuttingPlanes(deadline: Double) -> SeparabilityResult? {
        cuttingPlaneSearch(deadline: deadline).map { withUpperEnd($0, deadline: deadline) }
    }

    /// The verified W gives γ*'s lower end; a point of the constraint vectors' hull near W's active
    /// pairs gives its upper end (`HullPointMarginBound`), once, for the result returned. Its rounds
    /// (each a few V × m × d products) are capped by a count of work, so that the bound does not depend
    /// on the machine when the deadline leaves the time: 1,000 rounds up to V·m·(d + 32) = 10⁷, fewer above
    /// (on 100 KJV contexts over 6,244 token classes at d = 60, 1,000 rounds took 30 s).
    private func withUpperEnd(_ result: SeparabilityResult, deadline: Double) -> SeparabilityResult {
        var result = result
        // Rounds by work, so that the bound does not depend on the machine when it has the time: each
        // costs a few V × m × d products and some 30 passes over V × m, which counting only the products
        // missed. Rounds stop at the deadline: 324 of them ran 3–4 s past --time-limit at V = 32,469,
        // m = 50, d = 19 (QA round 14); a "yes" found after it (the search ends its round) gets one.
        let rounds = min(1_000, 10_000_000_000 / max(V * contexts.count * (d + 32), 1))
        if options.boundMarginAfterYes, rounds > 0, let w = result.separating?.weights, var bracket = result.marginBracket,
           let upper = HullPointMarginBound(data: data, features: features)?.bound(weights: w, iterations: rounds, stopAt: deadline) {
            bracket.upper = max(bracket.lower, upper)
            result.marginBracket = bracket
        }
        return result
    }

    /// The cutting-plane loop: a verified W, a Farkas pair, or nil (see the extension's comment).
    private func cuttingPlaneSearch(deadline: Double) -> SeparabilityResult? {
        let k = nullity
        guard k > 0 else { return nil }
        let (holds, offPairs) = tokenPairs()
        let (master, tokens, firstPoint, shared) = cuttingPlaneStart(holds: holds, offPairs: offPairs)
        var point = firstPoint
        var iterations = 0, tokenSolves = 0
        var depths = [Double](repeating: 0, count: V)
        // A point barely inside every cone gives a W whose margin is within round-off of 0 ("at the
        // threshold") even when γ* is far from 0. Then the tokens with the shallowest depths are cut
        // too (the depth LP's duals are valid cuts wherever c lies), for a deeper point; the
        // shallow result stands if `deepeningRounds` more rounds find none.
        var cutDepth = Self.cutDepth, shallow: SeparabilityResult? = nil, deepened = 0
        // With the shared depth LP every token solve costs a basis switch: after a pass over all tokens,
        // the next points are checked against the shallow tokens only (depth ≤ `lazyDepth` at their
        // last solve), and all tokens again once none of those is cut. Only a pass over all tokens at
        // one point can end the search with a W.
        var complete = true
        while monotonicSeconds() < deadline {
            iterations += 1
            var violated = 0
            let all = complete
            for v in 0..<V {
                guard let lp = tokens[v] else { depths[v] = 1; continue }
                if !all && depths[v] > Self.lazyDepth { continue }
                guard let t = lp.depth(at: point, deadline: deadline) else { return shallow }
                tokenSolves += 1
                depths[v] = t
                if t <= cutDepth { master.add(token: v, normal: lp.cut()); violated += 1 }
            }
            if !all && violated == 0 { complete = true; continue }
            complete = !shared
            // No seconds here: the method goes into `check --json`, whose only varying part is `timing`.
            let method = { "null-space cutting planes (GLPK): dim null(H̄) = \(k), \(iterations) iterations, "
                + "\(master.rows.count) cuts, \(tokenSolves) token LPs" }
            if violated == 0 || (shallow != nil && depths.allSatisfy({ $0 > Self.cutDepth })) {
                var result = separable(at: point, depths: depths, tokens: tokens, offPairs: offPairs, holds: holds, deadline: deadline)
                result?.method = method()
                guard let r = result, r.verdict == .atThreshold else { return result ?? shallow }
                if shallow == nil || (r.normalizedMargin ?? 0) > (shallow!.normalizedMargin ?? 0) { shallow = r }
                guard deepened < Self.deepeningRounds else { return shallow }
                deepened += 1
                let cutBefore = cutDepth
                cutDepth = max(cutDepth, 1e3 * (depths.min() ?? 0))
                for v in 0..<V where depths[v] > cutBefore && depths[v] <= cutDepth {
                    if let lp = tokens[v] { master.add(token: v, normal: lp.cut()) }
                }
            }
            guard let (value, next) = master.solve(deadline: deadline) else { return shallow }
            if value <= Self.masterZero {
                // A verified W within round-off of 0 and a Farkas pair are both true to τ: at the threshold.
                if shallow != nil { return shallow }
                var result = farkas(fromCutDuals: master.duals(), rows: master.rows)
                result?.method = method()
                return result ?? shallow
            }
            point = next
        }
        return shallow
    }

    /// The cutting planes' start: the master with every token's missing directions as equalities, a
    /// depth LP per token (nil for a token in every support), whether they share one GLPK problem, and
    /// the first point.
    private func cuttingPlaneStart(holds: [[Int]], offPairs: [(token: Int, context: Int)])
        -> (master: CutMaster, tokens: [DepthLP?], point: [Double], shared: Bool) {
        let k = nullity
        var firstPair = [Int](repeating: offPairs.count, count: V + 1)
        for (i, pair) in offPairs.enumerated().reversed() { firstPair[pair.token] = i }
        for v in stride(from: V - 1, through: 0, by: -1) { firstPair[v] = min(firstPair[v], firstPair[v + 1]) }

        let master = CutMaster(k: k)
        // One GLPK problem per token while their k·Σ(off pairs) numbers fit `maxNullSpaceNonzeros`,
        // else one problem that every token borrows in turn, in row-space or null-space form.
        let useShared = marginNonzeros > options.maxNullSpaceNonzeros
        let inRowSpace = useShared && (options.sharedDepthLPInRowSpace ?? (rank <= k))
        let m = contexts.count
        let nullRows = contexts.indices.flatMap { j in (0..<k).map { null(j, $0) } }
        // Row j of R is context j's entries in the first r right singular vectors (rows of Vᵀ).
        let rowSpace = inRowSpace ? RowSpaceDepthProblem(rowBasis: (0..<m).flatMap { j in (0..<rank).map { vt[$0 + j * m] } },
                                                         nullRows: nullRows, contexts: m, rank: rank) : nil
        let shared = useShared && !inRowSpace ? SharedDepthProblem(nullRows: nullRows, contexts: m, k: k) : nil
        var tokens: [DepthLP?] = []
        var center = [Double](repeating: 0, count: k)
        var missing: [[Double]] = []
        for v in 0..<V {
            let pairs = firstPair[v]..<firstPair[v + 1]
            for i in pairs { for c in 0..<k { center[c] += null(offPairs[i].context, c) } }
            for z in missingDirections(holding: holds[v]) { master.add(token: v, normal: z, isEquality: true); missing.append(z) }
            if pairs.isEmpty { tokens.append(nil) }
            else if let rowSpace { tokens.append(BorrowedDepthLP(problem: rowSpace, holding: holds[v])) }
            else if let shared { tokens.append(BorrowedDepthLP(problem: shared, holding: holds[v])) }
            else { tokens.append(TokenDepthLP(offRows: pairs.map { i in (0..<k).map { null(offPairs[i].context, $0) } }, k: k)) }
        }
        // Start at the sum of the a_v (central for the cones), on the subspace every cone spans, in the box.
        let before = center.map(abs).max() ?? 0
        Self.removeComponents(along: missing, from: &center)
        let scale = center.map(abs).max() ?? 0
        // The missing directions may span R^k: then c = 0 is the only point, and every cone gets its cut.
        let point = scale > 1e-9 * before ? center.map { $0 / scale } : [Double](repeating: 0, count: k)
        return (master, tokens, point, useShared)
    }

    /// With the shared depth LP, the tokens re-solved at a new point between passes over all tokens.
    static var lazyDepth: Double { 0.1 }

    /// Rounds of deeper cuts after a point whose W is at the threshold.
    static var deepeningRounds: Int { 20 }

    /// A token is cut when its depth is at most this (c on or outside its cone, to round-off).
    static var cutDepth: Double { 1e-9 }
    /// The master's value counts as 0 (no point strictly inside every cut) below this.
    static var masterZero: Double { 1e-11 }

    /// The separating W from a point inside every cone: margins λ_v/t_min, u = c/t_min. When the depth
    /// LPs' margins give a W within 10³ of the threshold (normalized margin below 10⁴τ·scale), each
    /// token's margins ≥ t_min of least total give another (`DepthLP.smallestMargins`), and the one with
    /// the larger normalized margin is returned. Why 10³: lifting a W over token classes to the tokens
    /// divides its normalized margin by up to √(largest class) (Devil's Dictionary, 50 contexts,
    /// d = 30: 3.9·10⁻⁸ over 676 classes, 1.7·10⁻⁸ on the tokens, below 10τ·scale = 1.9·10⁻⁸).
    private func separable(at point: [Double], depths: [Double], tokens: [DepthLP?],
                           offPairs: [(token: Int, context: Int)], holds: [[Int]], deadline: Double) -> SeparabilityResult? {
        let tMin = depths.min() ?? 0
        guard tMin > 0 else { return nil }
        func result(polished: Bool) -> SeparabilityResult? {
            var margins: [Double] = []
            margins.reserveCapacity(offPairs.count)
            for v in 0..<V {
                guard let lp = tokens[v] else { continue }
                guard let own = polished ? lp.smallestMargins(at: point, floor: tMin, deadline: deadline) : lp.margins(depth: depths[v]) else { return nil }
                margins += own.map { $0 / tMin }
            }
            guard margins.count == offPairs.count else { return nil }
            return separable(offPairs: offPairs, margins: &margins, u: point.map { $0 / tMin }, holds: holds)
        }
        let plain = result(polished: false)
        let near = 1e4 * options.tolerance * Separability.constraintScale(features)
        guard (plain?.normalizedMargin ?? 0) < near, let polished = result(polished: true) else { return plain }
        return (polished.normalizedMargin ?? 0) > (plain?.normalizedMargin ?? 0) ? polished : plain
    }

    /// The Farkas pair from the master's duals: Y_v = Σ over v's rows of dual · normal (V × k row-major).
    private func farkas(fromCutDuals duals: [Double], rows: [(token: Int, normal: [Double])]) -> SeparabilityResult? {
        let k = nullity
        var y = [Double](repeating: 0, count: V * k)
        for (i, row) in rows.enumerated() where duals[i] != 0 {
            for c in 0..<k { y[row.token * k + c] += duals[i] * row.normal[c] }
        }
        return farkas(duals: y)
    }

    /// x minus its projection on span(directions) (modified Gram–Schmidt on the directions).
    static func removeComponents(along directions: [[Double]], from x: inout [Double]) {
        var basis: [[Double]] = []
        for z in directions {
            var q = z
            for b in basis { let p = zip(q, b).reduce(0) { $0 + $1.0 * $1.1 }; for i in q.indices { q[i] -= p * b[i] } }
            let norm = q.reduce(0) { $0 + $1 * $1 }.squareRoot()
            guard norm > 1e-8 else { continue }
            basis.append(q.map { $0 / norm })
        }
        for b in basis { let p = zip(x, b).reduce(0) { $0 + $1.0 * $1.1 }; for i in x.indices { x[i] -= p * b[i] } }
    }

    /// Unit directions z ⊥ every N_j with j ∉ `holding` (the token's cone lacks them, so every point
    /// must have z·c = 0): the eigenvectors of P = Σ_{j ∈ holding} N_j N_jᵀ with eigenvalue ≈ 1, since
    /// N_Oᵀ N_O = I − P. With C = `holding`, P = N_Cᵀ N_C shares its nonzero eigenvalues with the |C| × |C|
    /// Gram G = N_C N_Cᵀ, and G u = λ u gives P's eigenvector N_Cᵀ u / √λ: the smaller of the two is
    /// decomposed (a few contexts hold most tokens, and there are thousands of tokens).
    private func missingDirections(holding: [Int]) -> [[Double]] {
        let k = nullity, c = holding.count
        guard c > 0 else { return [] }
        let small = c < k
        let n = small ? c : k
        var gram = [Double](repeating: 0, count: n * n)
        if small {
            for (a, i) in holding.enumerated() {
                for (b, j) in holding.enumerated() { var dot = 0.0; for r in 0..<k { dot += null(i, r) * null(j, r) }; gram[a * n + b] = dot }
            }
        } else {
            for j in holding { for a in 0..<k { let x = null(j, a); for b in 0..<k { gram[a * k + b] += x * null(j, b) } } }
        }
        guard let eigen = SymmetricEigen.decompose(&gram, n: n) else { return [] }
        // The Gram's entries are O(1), so 1e-9 separates round-off from a direction.
        return eigen.indices.filter { eigen[$0] > 1 - 1e-9 }.map { i in
            let u = gram[(i * n)..<(i * n + n)]
            guard small else { return Array(u) }
            let norm = eigen[i].squareRoot()
            return (0..<k).map { r in zip(holding, u).reduce(0) { $0 + null($1.0, r) * $1.1 } / norm }
        }
    }
}
