import COpenBLAS
import NTPFormats

/// The geometry behind NTP-separability in the rank-one form Wolfe's method needs.
///
/// Constraint vectors C_{j,v} = (e_{a_j} − e_v) h̄_jᵀ (v ∉ S_j) and tie vectors T_{j,z} = (e_z − e_{a_j}) h̄_jᵀ
/// (z ∈ S_j, z ≠ a_j) are never formed: their inner products are a token overlap times h̄_iᵀ h̄_j
/// (theory.md §7). 𝓕 = span{T} is represented by a basis B of linearly independent ties, chosen by a
/// pivoted Cholesky factorisation G_BB = L Lᵀ of their Gram matrix: P_𝓕 C = T_B c with G_BB c = T_Bᵀ C, so
/// the projected constraint vectors A = P_⊥ C have Gram ⟨A, A'⟩ = ⟨C, C'⟩ − ⟨C, T_B c'⟩, and T_Bᵀ C touches
/// only the ties that share a token with C.
///
/// Memory: the r₀ × r₀ tie Gram (r₀ = Σ_j (k_j − 1)), whose storage then holds L (r × r); the context
/// Gram HᵀH (m × m). `init` returns nil past `maxTies` (the LP then decides).
final class TieBasis {
    /// V, m, d.
    let vocabularySize: Int, contextCount: Int, dimension: Int
    /// The nonzeros of every h̄_j.
    let columns: SparseContextColumns
    /// a_j = smallest token of S_j (−1 for an empty context).
    let anchors: [Int]
    /// G = HᵀH, row-major m × m.
    let contextGram: [Double]
    /// Basis ties (context, token z), in pivot order.
    let ties: [(context: Int, token: Int)]
    /// L, column-major r × r lower triangular: G_BB = L Lᵀ.
    let factor: [Double]
    /// Per token, the basis ties whose z or anchor is that token.
    private let tiesByToken: [[Int32]]
    /// Ties Σ_j (k_j − 1) before the rank was taken.
    let tieCount: Int

    /// r = dim 𝓕 (numerical rank of the tie Gram).
    var rank: Int { ties.count }

    init?(data: DataSet, features: ContextFeatures, maxTies: Int = 6_000, maxContexts: Int = 8_000) {
        let m = data.contextCount, V = data.vocabularySize
        guard m <= maxContexts else { return nil }
        var all: [(context: Int, token: Int)] = []
        for j in 0..<m where data.supportSize(j) > 1 {
            for e in (data.rowOffsets[j] + 1)..<data.rowOffsets[j + 1] { all.append((j, Int(data.columns[e]))) }
        }
        guard all.count <= maxTies else { return nil }
        vocabularySize = V; contextCount = m; dimension = features.dimension
        columns = SparseContextColumns(features)
        anchors = Separability.anchors(data)
        contextGram = TheoryKernels.gram(features) ?? TieBasis.identityGram(m)
        tieCount = all.count

        let r0 = all.count
        var chosen: [(context: Int, token: Int)] = []
        var l: [Double] = []
        if r0 > 0 {
            var g = [Double](repeating: 0, count: r0 * r0)
            let anchorsCopy = anchors, gram = contextGram
            for t in 0..<r0 {
                let (jt, zt) = all[t], at = anchorsCopy[jt]
                for u in t..<r0 {
                    let (ju, zu) = all[u], au = anchorsCopy[ju]
                    let o = TieBasis.overlap(zt, at, zu, au)
                    if o != 0 {
                        let x = o * gram[jt * m + ju]
                        g[t * r0 + u] = x; g[u * r0 + t] = x
                    }
                }
            }
            var n = Int32(r0), lda = Int32(r0), rank: Int32 = 0, info: Int32 = 0
            var piv = [Int32](repeating: 0, count: r0)
            var work = [Double](repeating: 0, count: 2 * r0)
            // LAPACK's default tolerance n·u·max G_tt: ties whose component outside the span of the
            // earlier pivots is at round-off level are dependent.
            var tol = -1.0
            var uplo = Int8(UInt8(ascii: "L"))
            dpstrf_(&uplo, &n, &g, &lda, &piv, &rank, &tol, &work, &info)
            let r = Int(rank)
            chosen = (0..<r).map { all[Int(piv[$0]) - 1] }
            // L moves to the front of g in place (every entry lands at or before where it is read), so
            // the peak stays one r₀ × r₀ array: 0.94 GB at 10,855 ties, not twice that.
            for c in 0..<r {
                for i in 0..<c { g[c * r + i] = 0 }
                for i in c..<r { g[c * r + i] = g[c * r0 + i] }
            }
            g.removeLast(r0 * r0 - r * r)
            l = g
        }
        ties = chosen
        factor = l
        var byToken = [[Int32]](repeating: [], count: V)
        for (t, tie) in chosen.enumerated() {
            byToken[tie.token].append(Int32(t))
            byToken[anchors[tie.context]].append(Int32(t))
        }
        tiesByToken = byToken
    }

    private static func identityGram(_ m: Int) -> [Double] {
        var g = [Double](repeating: 0, count: m * m)
        for j in 0..<m { g[j * m + j] = 1 }
        return g
    }

    /// (e_p − e_q)ᵀ(e_r − e_s).
    @inline(__always)
    static func overlap(_ p: Int, _ q: Int, _ r: Int, _ s: Int) -> Double {
        var o = 0.0
        if p == r { o += 1 }
        if p == s { o -= 1 }
        if q == r { o -= 1 }
        if q == s { o += 1 }
        return o
    }

    /// h̄_iᵀ h̄_j.
    @inline(__always)
    func contextDot(_ i: Int, _ j: Int) -> Double { contextGram[i * contextCount + j] }

    /// ⟨C_{i,v}, C_{j,w}⟩.
    @inline(__always)
    func constraintDot(_ i: Int, _ v: Int, _ j: Int, _ w: Int) -> Double {
        let o = TieBasis.overlap(anchors[i], v, anchors[j], w)
        return o == 0 ? 0 : o * contextDot(i, j)
    }

    /// Calls `body(t, ⟨T_t, C_{j,v}⟩)` for every basis tie t that can be nonzero against C_{j,v}: those whose
    /// tokens meet {a_j, v}. A handful per pair on sparse supports, so products with T_B never cost r.
    @inline(__always)
    func forEachTieProduct(context j: Int, token v: Int, _ body: (Int, Double) -> Void) {
        let a = anchors[j]
        for t in tiesByToken[a] {
            let tie = ties[Int(t)]
            let o = TieBasis.overlap(tie.token, anchors[tie.context], a, v)
            if o != 0 { body(Int(t), o * contextDot(tie.context, j)) }
        }
        for t in tiesByToken[v] {
            let tie = ties[Int(t)]
            // Ties touching both a and v were already visited above.
            if tie.token == a || anchors[tie.context] == a { continue }
            let o = TieBasis.overlap(tie.token, anchors[tie.context], a, v)
            if o != 0 { body(Int(t), o * contextDot(tie.context, j)) }
        }
    }

    /// Y ← G_BB⁻¹ Y = L⁻ᵀ L⁻¹ Y in place for `count` vectors of length r stored one after another: the
    /// coefficients of P_𝓕 X on the basis ties from y = T_Bᵀ X.
    func solveGram(_ y: UnsafeMutablePointer<Double>, count: Int) {
        let r = rank
        guard r > 0, count > 0 else { return }
        factor.withUnsafeBufferPointer { lp in
            cblas_dtrsm(CblasColMajor, CblasLeft, CblasLower, CblasNoTrans, CblasNonUnit, Int32(r), Int32(count), 1,
                        lp.baseAddress!, Int32(r), y, Int32(r))
            cblas_dtrsm(CblasColMajor, CblasLeft, CblasLower, CblasTrans, CblasNonUnit, Int32(r), Int32(count), 1,
                        lp.baseAddress!, Int32(r), y, Int32(r))
        }
    }

    /// W += w · (e_p − e_q) h̄_jᵀ for a row-major V × d W.
    @inline(__always)
    func addRankOne(_ w: UnsafeMutablePointer<Double>, context j: Int, plus p: Int, minus q: Int, weight: Double) {
        let d = dimension
        for e in columns.offsets[j]..<columns.offsets[j + 1] {
            let f = columns.indices[e], x = weight * columns.values[e]
            w[p * d + f] += x
            w[q * d + f] -= x
        }
    }
}
