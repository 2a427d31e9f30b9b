import CGLPK
import COpenBLAS
import NTPFormats

/// NTP-separability decided in logit space, through the null space of H̄ (theory.md §7).
///
/// Every W gives logits L = W H̄ (V × m) whose rows lie in the row space of H̄, and every such L
/// comes from a W (W = L H̄⁺). With N (m × k) an orthonormal basis of null(H̄), the data are
/// separable iff some L with L N = 0 has tied support logits T_j and margins s_{v,j} = T_j − L_{v,j} ≥ 1
/// off the supports. Writing u = Nᵀ T, token v's row is then
///     Σ_{j ∉ supports of v} s_{v,j} N_j = u        (k equations per token),
/// so the LP has V·k rows, one column per off-support pair, k + 1 more, and no tie rows at all.
/// Its duals Y (V × k) give R = Y Nᵀ, whose rows lie in null(H̄) and whose columns sum to zero: that
/// is a Farkas pair (α off the supports, β on them).
///
/// Why: near the threshold of random features (d close to m) k = m − rank H̄ is small while the
/// number of ties Σ_j (k_j − 1) of real supports is large, the regime where the tie basis of the
/// minimum-norm point and the W-space LP (V·d columns, every tie a row) are out of reach.
struct NullSpaceSeparability {
    /// Contexts with a nonempty support (the others constrain nothing), in input order.
    let contexts: [Int]
    let data: DataSet
    let features: ContextFeatures
    let options: SeparabilityOptions
    let d, V: Int
    /// The singular value decomposition H̄_J = U Σ Vᵀ (d × m'): U's first min(d, m') columns and all of
    /// Vᵀ (m' × m'), column-major.
    let leftVectors: [Double], sigma: [Double], vt: [Double]
    /// rank H̄_J and the null-space dimension k = m' − rank.
    let rank: Int
    var nullity: Int { contexts.count - rank }

    /// nil when the problem is outside this route's reach: features not stored dense, too many contexts
    /// for the m' × m' SVD, a null space larger than `maxNullityShare` of the rank even at full rank,
    /// or an SVD failure.
    init?(data: DataSet, features: ContextFeatures, options: SeparabilityOptions, maxNullityShare: Double) {
        let contexts = (0..<data.contextCount).filter { data.supportSize($0) > 0 }
        let m = contexts.count, d = features.dimension
        // Dense features only: one-hot features have closed forms, and the SVD of a wide sparse
        // positional one-hot H̄ would cost more than the other routes. rank ≤ min(d, m), so k ≥ m − d:
        // skip the SVD when the route would be declined anyway.
        guard case .dense = features.storage, m > 0, m <= options.maxNullSpaceContexts, d * m <= 64_000_000,
              Double(m - min(d, m)) <= maxNullityShare * Double(min(d, m)) else { return nil }
        var h = [Double](repeating: 0, count: d * m)
        h.withUnsafeMutableBufferPointer { p in
            for (c, j) in contexts.enumerated() { features.column(j, into: p.baseAddress! + c * d) }
        }
        guard let svd = Self.fullSVD(&h, rows: d, columns: m) else { return nil }
        let sMax = svd.sigma.first ?? 0
        // numpy.linalg.matrix_rank's cut: σ_max · max(d, m) · ε.
        let cut = sMax * Double(max(d, m)) * Double.ulpOfOne
        self.rank = svd.sigma.filter { $0 > cut }.count
        self.contexts = contexts
        self.data = data
        self.features = features
        self.options = options
        self.d = d
        self.V = data.vocabularySize
        (leftVectors, sigma, vt) = (svd.u, svd.sigma, svd.vt)
    }

    /// N[j, c]: entry j of the c-th null-space basis vector (row rank + c of Vᵀ).
    @inline(__always) func null(_ j: Int, _ c: Int) -> Double { vt[(rank + c) + j * contexts.count] }

    /// Nonzeros of the LP's off-support block, k · Σ_j (V − k_j): what the route costs.
    var marginNonzeros: Int { Self.offSupportPairs(data, contexts) * nullity }

    /// Whether the cutting planes can hold their depth LPs: one per token within
    /// `maxNullSpaceNonzeros`, or the shared one (k × m') within `maxSharedDepthNonzeros`.
    var fitsCuttingPlanes: Bool {
        marginNonzeros <= options.maxNullSpaceNonzeros || nullity * contexts.count <= options.maxSharedDepthNonzeros
    }

    /// Whether the depth LPs are too large for any k the SVD could find (k ≥ m' − d), so that the
    /// SVD is not worth computing.
    static func depthLPsOutOfReach(_ data: DataSet, features: ContextFeatures, options: SeparabilityOptions) -> Bool {
        let live = (0..<data.contextCount).filter { data.supportSize($0) > 0 }
        let k = max(live.count - features.dimension, 0)
        return offSupportPairs(data, live) * k > options.maxNullSpaceNonzeros && k * live.count > options.maxSharedDepthNonzeros
    }

    /// Σ_j (V − k_j) over `contexts`.
    static func offSupportPairs(_ data: DataSet, _ contexts: [Int]) -> Int {
        contexts.reduce(0) { $0 + data.vocabularySize - data.supportSize($1) }
    }

    /// Decides, or returns nil when the LP fails or runs out of time (the caller falls back).
    func decide(deadline: Double) -> SeparabilityResult? {
        let k = nullity
        guard k > 0 else { return nil }
        let (holds, offPairs) = tokenPairs()
        glp_term_out(GLP_OFF)
        let lp = glp_create_prob()!
        defer { glp_delete_prob(lp) }
        glp_set_obj_dir(lp, GLP_MAX)
        let rows = V * k
        glp_add_rows(lp, Int32(rows))
        for r in 1...rows { glp_set_row_bnds(lp, Int32(r), GLP_FX, 0, 0) }
        // Columns 1…k: u; k + 1: t; then σ_{v,j} ≥ 0 per off-support pair. t is the common part of
        // every margin (s = t + σ), so its coefficient in row (v, c) is Σ_{j off v} N[j, c].
        glp_add_cols(lp, Int32(k + 1 + offPairs.count))
        var ind = [Int32](repeating: 0, count: max(V, k) + 1), val = [Double](repeating: 0, count: max(V, k) + 1)
        for c in 0..<k {
            glp_set_col_bnds(lp, Int32(c + 1), GLP_FR, 0, 0)
            for v in 0..<V { ind[v + 1] = Int32(v * k + c + 1); val[v + 1] = -1 }
            glp_set_mat_col(lp, Int32(c + 1), Int32(V), ind, val)
        }
        let tColumn = Int32(k + 1)
        glp_set_col_bnds(lp, tColumn, GLP_DB, 0, 1)
        glp_set_obj_coef(lp, tColumn, 1)
        var tCoefficient = [Double](repeating: 0, count: rows)
        for pair in offPairs { for c in 0..<k { tCoefficient[pair.token * k + c] += null(pair.context, c) } }
        var tRows: [Int32] = [0], tValues: [Double] = [0]
        for (r, x) in tCoefficient.enumerated() where x != 0 { tRows.append(Int32(r + 1)); tValues.append(x) }
        glp_set_mat_col(lp, tColumn, Int32(tRows.count - 1), tRows, tValues)

        for (i, pair) in offPairs.enumerated() {
            let col = Int32(k + 2 + i)
            var nz = 0
            for c in 0..<k where null(pair.context, c) != 0 {
                nz += 1; ind[nz] = Int32(pair.token * k + c + 1); val[nz] = null(pair.context, c)
            }
            glp_set_col_bnds(lp, col, GLP_LO, 0, 0)
            glp_set_mat_col(lp, col, Int32(nz), ind, val)
        }
        // Column generation over the pairs was tried: the LP is highly degenerate and the restricted
        // re-solves took longer than one solve of the whole LP.
        var parm = glp_smcp()
        glp_init_smcp(&parm)
        parm.msg_lev = GLP_MSG_OFF
        parm.presolve = GLP_OFF
        // The all-zero point is feasible, so primal simplex starts from the standard basis.
        parm.meth = GLP_PRIMAL
        var simplexSeconds = 0.0
        if solveSimplexRound(lp, &parm, deadline: deadline, round: 1, seconds: &simplexSeconds) != nil { return nil }
        let t = glp_get_obj_val(lp)
        // No seconds here: the method goes into `check --json`, whose only varying part is `timing`.
        let method = "null-space LP (GLPK): dim null(H̄) = \(k), \(counted(rows, "row")), \(counted(offPairs.count + k + 1, "column"))"
        var result: SeparabilityResult?
        if t > 0.5 {
            var s = offPairs.indices.map { (glp_get_col_prim(lp, Int32(k + 2 + $0)) + t) / t }
            let uVector = (0..<k).map { glp_get_col_prim(lp, Int32($0 + 1)) / t }
            result = separable(offPairs: offPairs, margins: &s, u: uVector, holds: holds)
        } else if t < 1e-9 {
            result = farkas(duals: (0..<rows).map { glp_get_row_dual(lp, Int32($0 + 1)) })
        }
        result?.method = method
        return result
    }

    /// Per token v, the context positions whose support holds v, and every off-support pair (v, c),
    /// grouped by token and ascending in c: the order of the LP columns and of `separable`'s margins.
    func tokenPairs() -> (holds: [[Int]], offPairs: [(token: Int, context: Int)]) {
        let m = contexts.count
        var holds = [[Int]](repeating: [], count: V)
        for (c, j) in contexts.enumerated() {
            for e in data.rowOffsets[j]..<data.rowOffsets[j + 1] { holds[Int(data.columns[e])].append(c) }
        }
        var offPairs: [(token: Int, context: Int)] = []
        var isHeld = [Bool](repeating: false, count: m)
        for v in 0..<V {
            for c in holds[v] { isHeld[c] = true }
            for c in 0..<m where !isHeld[c] { offPairs.append((v, c)) }
            for c in holds[v] { isHeld[c] = false }
        }
        return (holds, offPairs)
    }

    /// W from the LP's margins: exact null-space rows per token, the logits L, then W = L H̄⁺.
    func separable(offPairs: [(token: Int, context: Int)], margins s: inout [Double], u: [Double],
                           holds: [[Int]]) -> SeparabilityResult? {
        let m = contexts.count, k = nullity
        // The simplex meets L N = 0 only to its feasibility tolerance, and a residual e_v shows up as
        // tie violations of W. Remove it per token by the smallest change of its margins (N_Oᵀ δ = e_v,
        // N_O the off-support rows of N); margins ≥ 1 move by about 1e-7, so they stay positive.
        var first = 0
        var gram = [Double](repeating: 0, count: k * k), e = [Double](repeating: 0, count: k)
        while first < offPairs.count {
            let v = offPairs[first].token
            var end = first
            while end < offPairs.count && offPairs[end].token == v { end += 1 }
            for c in 0..<k { e[c] = -u[c] }
            for i in first..<end { for c in 0..<k { e[c] += s[i] * null(offPairs[i].context, c) } }
            // N_OᵀN_O = I − N_Hᵀ N_H over the contexts H that hold v (Nᵀ N = I).
            for a in 0..<k { for b in 0..<k { gram[a * k + b] = a == b ? 1 : 0 } }
            for j in holds[v] { for a in 0..<k { for b in 0..<k { gram[a * k + b] -= null(j, a) * null(j, b) } } }
            var n = Int32(k), one = Int32(1), info: Int32 = 0
            var uplo = Int8(UInt8(ascii: "L"))
            dpotrf_(&uplo, &n, &gram, &n, &info)
            if info == 0 { dpotrs_(&uplo, &n, &one, gram, &n, &e, &n, &info) }
            if info == 0 {
                for i in first..<end {
                    var delta = 0.0
                    for c in 0..<k { delta += null(offPairs[i].context, c) * e[c] }
                    s[i] -= delta
                }
            }
            first = end
        }
        // L (V × m', column-major): T_j = (N u)_j on the supports, T_j − s off them.
        var anchorLogit = [Double](repeating: 0, count: m)
        for j in 0..<m { for c in 0..<k { anchorLogit[j] += null(j, c) * u[c] } }
        var logits = [Double](repeating: 0, count: V * m)
        for j in 0..<m { for v in 0..<V { logits[v + j * V] = anchorLogit[j] } }
        for (i, pair) in offPairs.enumerated() { logits[pair.token + pair.context * V] -= s[i] }
        // W = L H̄⁺ = L V_r Σ_r⁻¹ U_rᵀ; Wᵀ (d × V column-major) is W row-major.
        let r = rank
        var lv = [Double](repeating: 0, count: V * r)
        cblas_dgemm(CblasColMajor, CblasNoTrans, CblasTrans, Int32(V), Int32(r), Int32(m), 1, logits, Int32(V),
                    vt, Int32(m), 0, &lv, Int32(V))
        for c in 0..<r { for v in 0..<V { lv[v + c * V] /= sigma[c] } }
        var w = [Double](repeating: 0, count: d * V)
        cblas_dgemm(CblasColMajor, CblasNoTrans, CblasTrans, Int32(d), Int32(V), Int32(r), 1, leftVectors, Int32(d),
                    lv, Int32(V), 0, &w, Int32(d))
        guard w.allSatisfy(\.isFinite) else { return nil }
        let cert = SeparatingCertificate(weights: w, anchors: Separability.anchors(data))
        let check = Separability.verify(cert, data: data, features: features, tolerance: options.tolerance)
        guard check.valid else { return nil }
        return Separability.separableResult(cert, check, features: features, options: options, lp: nil)
    }

    /// The Farkas pair from the duals: R = Y Nᵀ, α = R off the supports, β = −R on them (anchors excluded).
    func farkas(duals y: [Double]) -> SeparabilityResult? {
        let m = contexts.count, k = nullity
        // R (V × m', column-major) = Y Nᵀ: Y is V × k row-major (k × V column-major, transposed), and
        // rows rank… of Vᵀ are Nᵀ (k × m', leading dimension m').
        var rMatrix = [Double](repeating: 0, count: V * m)
        vt.withUnsafeBufferPointer { p in
            cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, Int32(V), Int32(m), Int32(k), 1, y, Int32(k),
                        p.baseAddress! + rank, Int32(m), 0, &rMatrix, Int32(V))
        }
        var inSupport = [Bool](repeating: false, count: V)
        var offSum = 0.0
        for (c, j) in contexts.enumerated() {
            for e in data.rowOffsets[j]..<data.rowOffsets[j + 1] { inSupport[Int(data.columns[e])] = true }
            for v in 0..<V where !inSupport[v] { offSum += rMatrix[v + c * V] }
            for e in data.rowOffsets[j]..<data.rowOffsets[j + 1] { inSupport[Int(data.columns[e])] = false }
        }
        // The dual's sign convention is GLPK's; the off-support part must sum to a positive total.
        guard offSum != 0, offSum.isFinite else { return nil }
        let sign = offSum > 0 ? 1.0 : -1.0
        var alpha: [ConstraintMultiplier] = [], beta: [ConstraintMultiplier] = []
        var alphaSum = 0.0
        for (c, j) in contexts.enumerated() {
            let range = data.rowOffsets[j]..<data.rowOffsets[j + 1]
            for e in range { inSupport[Int(data.columns[e])] = true }
            for v in 0..<V {
                let x = sign * rMatrix[v + c * V]
                if inSupport[v] {
                    if v != Int(data.columns[range.lowerBound]), x != 0 { beta.append(ConstraintMultiplier(context: j, token: v, weight: -x)) }
                } else if x > 0 {
                    alpha.append(ConstraintMultiplier(context: j, token: v, weight: x)); alphaSum += x
                }
            }
            for e in range { inSupport[Int(data.columns[e])] = false }
        }
        guard alphaSum > 0 else { return nil }
        for i in alpha.indices { alpha[i].weight /= alphaSum }
        for i in beta.indices { beta[i].weight /= alphaSum }
        let (cert, check) = Separability.refinedFarkas(FarkasCertificate(marginMultipliers: alpha, tieMultipliers: beta,
                                                                         anchors: Separability.anchors(data)),
                                                       data: data, features: features, options: options)
        guard check.valid else { return nil }
        return Separability.notSeparableResult(cert, check, upper: check.residualNorm,
                                               scale: Separability.constraintScale(features))
    }

    /// H = U Σ Vᵀ with dgesdd: all of Vᵀ (columns × columns, the null space needs every right vector)
    /// and the first min(rows, columns) columns of U, so that a tall H never costs a rows × rows U.
    /// `h` (rows × columns, column-major) is destroyed.
    private static func fullSVD(_ h: inout [Double], rows: Int, columns: Int) -> (u: [Double], sigma: [Double], vt: [Double])? {
        let economy = rows >= columns
        var u = [Double](repeating: 0, count: rows * (economy ? columns : rows)), vt = [Double](repeating: 0, count: columns * columns)
        guard let sigma = SingularValues.dgesdd(economy ? "S" : "A", &h, rows: rows, columns: columns,
                                                u: &u, ldu: rows, vt: &vt, ldvt: columns) else { return nil }
        return (u, sigma, vt)
    }
}
