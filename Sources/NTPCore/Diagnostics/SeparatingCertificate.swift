import COpenBLAS
import NTPFormats

/// A "yes" certificate: W (V × d) whose in-support logits are tied and whose margins are ≥ 1.
public struct SeparatingCertificate: Sendable {
    /// The decoder, V × d row-major; empty when `sparse` holds it.
    public var weights: [Double]
    /// Anchor token a_j ∈ S_j per context (the smallest token id of S_j; −1 for empty rows).
    public var anchors: [Int]
    /// The decoder by feature column, when a dense V × d array would be too large (one-hot contexts
    /// on a whole corpus); `weights` is then empty.
    public var sparse: SparseDecoder? = nil

    /// ‖W‖_F.
    public var frobeniusNorm: Double {
        if let s = sparse { return s.frobeniusNorm }
        // One BLAS dot where it can take the count: the scalar loop took 0.3 s on a 1.3 GB W (positional
        // one-hot, V = 9,052), and a check measures each candidate's norm three times.
        guard weights.count <= Int(Int32.max) else { return weights.reduce(0) { $0 + $1 * $1 }.squareRoot() }
        return cblas_ddot(Int32(weights.count), weights, 1, weights, 1).squareRoot()
    }

    /// Whether W is V × d.
    func hasShape(rows: Int, columns: Int) -> Bool {
        if let s = sparse { return s.rows == rows && s.columns == columns }
        return weights.count == rows * columns
    }

    /// What the checks need of W h̄_j for one context: the anchor's logit, the largest |ℓ_z − ℓ_a| over
    /// the support, the smallest support logit, the largest off-support logit (−∞ when the support is
    /// the whole vocabulary) and the largest |ℓ_v| over all tokens.
    struct ContextLogits {
        var maxTie = 0.0, lowIn = Double.infinity, highOut = -Double.infinity, largest = 0.0
        var anchor = 0.0
    }

    /// Calls `body(j, summary)` for every context j with a nonempty support, in order. A sparse W costs
    /// O(nonzeros it touches) per context, not O(V): the tokens it does not touch have logit 0. With
    /// `features` dense (and W dense) the logits of a block of contexts come from one GEMM
    /// (`ContextBlockProducts`): the per-entry sums gather every product, about 10× slower at
    /// m = 2,000, d = 4,000.
    func forEachContext(_ data: DataSet, features: ContextFeatures, _ body: (Int, ContextLogits) -> Void) {
        let V = data.vocabularySize
        var products: ContextBlockProducts? = nil
        if sparse == nil, case .dense = features.storage { products = ContextBlockProducts(features, vocabulary: V) }
        // The per-context nonzeros only without the GEMM: for dense H they cost 16 bytes per entry.
        let cols = products == nil ? SparseContextColumns(features) : nil
        // A sparse W on a vocabulary far larger than its nonzeros: logits and marks by touched token.
        let compact = sparse.flatMap { CompactTokens(data, $0) }
        let tokens = compact?.supportTokens ?? data.columns, decoder = compact?.decoder ?? sparse
        var blockLogits = [Double](repeating: 0, count: (products?.block ?? 0) * V)
        var loadedBlock = -1
        var logits = [Double](repeating: 0, count: compact?.count ?? V)
        var mark = [UInt8](repeating: 0, count: compact?.count ?? V)   // 1: in S_j, 2: touched off the support
        var touched: [Int32] = []
        logits.withUnsafeMutableBufferPointer { l in
            weights.withUnsafeBufferPointer { w in
                for j in 0..<data.contextCount where data.supportSize(j) > 0 {
                    let support = data.rowOffsets[j]..<data.rowOffsets[j + 1]
                    let a = Int(tokens[support.lowerBound])
                    var s = ContextLogits()
                    for e in support { mark[Int(tokens[e])] = 1 }
                    if let sparse = decoder {
                        touched.removeAll(keepingCapacity: true)
                        let nonzeros = cols!.offsets[j]..<cols!.offsets[j + 1]
                        sparse.accumulate(features: cols!.indices[nonzeros], values: cols!.values[nonzeros], into: l, touched: &touched)
                        s.anchor = l[a]
                        var offTouched = 0
                        for t in touched where mark[Int(t)] == 0 {
                            mark[Int(t)] = 2; offTouched += 1
                            s.highOut = max(s.highOut, l[Int(t)]); s.largest = max(s.largest, abs(l[Int(t)]))
                        }
                        if offTouched < V - support.count { s.highOut = max(s.highOut, 0) }
                        for e in support { s.include(inSupport: l[Int(tokens[e])]) }
                        for t in touched { l[Int(t)] = 0; if mark[Int(t)] == 2 { mark[Int(t)] = 0 } }
                    } else {
                        if let products {
                            let b = j / products.block
                            if b != loadedBlock {
                                let range = (b * products.block)..<min((b + 1) * products.block, data.contextCount)
                                products.logits(w.baseAddress!, original: w.baseAddress!, contexts: range, into: &blockLogits)
                                loadedBlock = b
                            }
                            let base = (j - b * products.block) * V
                            for r in 0..<V { l[r] = blockLogits[base + r] }
                        } else {
                            for r in 0..<V { l[r] = cols!.logit(w, row: r, context: j) }
                        }
                        s.anchor = l[a]
                        for r in 0..<V {
                            if mark[r] == 1 { s.include(inSupport: l[r]) }
                            else { s.highOut = max(s.highOut, l[r]); s.largest = max(s.largest, abs(l[r])) }
                        }
                    }
                    for e in support { mark[Int(tokens[e])] = 0 }
                    body(j, s)
                }
            }
        }
    }
}

extension SeparatingCertificate.ContextLogits {
    /// Takes in a support logit (the anchor's must be set first).
    @inline(__always)
    mutating func include(inSupport x: Double) {
        maxTie = max(maxTie, abs(x - anchor)); lowIn = min(lowIn, x); largest = max(largest, abs(x))
    }
}
