import COpenBLAS
import NTPFormats

/// Products of V × d matrices with the context embeddings H, one block of contexts at a time, so that
/// a pass over all m contexts never holds more than `block` × V numbers: the block's logits
/// L_B = (W h̄_j)_{j ∈ B} (context-major, row j − lowerBound holds W h̄_j) and the accumulation
/// G += Σ_{j ∈ B} x_j h̄_jᵀ (or with h̄_j ∘ h̄_j). Blocks are visited in order and each adds into the
/// same V × d sum, so a pass is deterministic for a fixed BLAS thread count.
///
/// Dense H goes through BLAS per block. Sparse H (positional one-hot; one-hot as one unit entry) goes
/// through its nonzeros, never densified: against a staged feature-major copy Wᵀ (d × V) each nonzero is
/// one contiguous axpy over V, and the sparse accumulator is feature-major too (`finish` transposes).
struct ContextBlockProducts {
    let features: ContextFeatures
    let vocabulary: Int
    var dimension: Int { features.dimension }
    var contextCount: Int { features.contextCount }
    /// Contexts per block.
    let block: Int
    /// The nonzeros of H for sparse and identity storage; nil for dense H.
    let sparse: SparseContextColumns?

    /// Contexts per block when the caller names none: about 2²⁰ logits (8 MB) per block buffer,
    /// large enough for BLAS to run at full speed. A function of V and m only, so results do not
    /// depend on the machine.
    static func automaticBlock(vocabulary v: Int, contexts m: Int) -> Int {
        max(1, min(max(m, 1), (1 << 20) / max(v, 1)))
    }

    init(_ features: ContextFeatures, vocabulary v: Int, blockContexts: Int = 0) {
        self.features = features
        vocabulary = v
        block = blockContexts > 0 ? blockContexts : Self.automaticBlock(vocabulary: v, contexts: features.contextCount)
        if case .dense = features.storage { sparse = nil } else { sparse = SparseContextColumns(features) }
    }

    /// The blocks, in the order every pass visits them.
    var blocks: [Range<Int>] {
        stride(from: 0, to: contextCount, by: block).map { $0..<min($0 + block, contextCount) }
    }

    /// Whether `stage` and `finish` transpose (sparse H).
    var isFeatureMajor: Bool { sparse != nil }

    /// ‖h̄_j‖₂.
    func norm(_ j: Int) -> Double {
        if let sparse { return sparse.norm(j) }
        guard case .dense(let h) = features.storage else { return 0 }
        var s = 0.0
        for i in 0..<dimension { s += h[j * dimension + i] * h[j * dimension + i] }
        return s.squareRoot()
    }

    /// W (V × d) in the layout `logits` reads: W itself for dense H, Wᵀ (d × V) written to
    /// `staging` for sparse H.
    func stage(_ w: UnsafePointer<Double>, into staging: UnsafeMutablePointer<Double>) -> UnsafePointer<Double> {
        guard isFeatureMajor else { return w }
        Self.transpose(w, rows: vocabulary, columns: dimension, into: staging)
        return UnsafePointer(staging)
    }

    /// out (|B| × V, context-major) = the logits W h̄_j of the contexts in `range`, from `staged` (see `stage`).
    /// `staged` nil with sparse H reads W (V × d) itself, strided: for a single pass, no staging copy.
    func logits(_ staged: UnsafePointer<Double>?, original w: UnsafePointer<Double>, contexts range: Range<Int>,
                into out: UnsafeMutablePointer<Double>) {
        let v = vocabulary, d = dimension
        guard let sparse else {
            guard case .dense(let h) = features.storage else { return }
            // H column-major d × m: the block is the row-major |B| × d matrix H_Bᵀ; out = H_Bᵀ Wᵀ.
            h.withUnsafeBufferPointer { hp in
                cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(range.count), Int32(v), Int32(d),
                            1, hp.baseAddress! + range.lowerBound * d, Int32(d), w, Int32(d), 0, out, Int32(v))
            }
            return
        }
        Self.withNonzeros(sparse) { off, idx, val in
            for j in range {
                let row = out + (j - range.lowerBound) * v
                row.initialize(repeating: 0, count: v)
                if let staged {
                    for e in off[j]..<off[j + 1] {
                        let x = val[e], col = staged + idx[e] * v
                        for a in 0..<v { row[a] += col[a] * x }
                    }
                } else {
                    for a in 0..<v {
                        var s = 0.0
                        for e in off[j]..<off[j + 1] { s += w[a * d + idx[e]] * val[e] }
                        row[a] = s
                    }
                }
            }
        }
    }

    /// `body(j, W h̄_j)` for every context in order, the logits a block at a time from W (V × d, unstaged).
    /// Sparse H stages Wᵀ when the copy fits in half the available memory. Read in place, W costs a cache
    /// miss per logit once d is large: 36 % of a 20,000-context positional one-hot `check` (d = 27,492), and
    /// most of the 7 minutes QA round 16b took for one Adam step on the whole KJV. The same bits either way.
    /// Returns whether it staged.
    @discardableResult
    func forEachContextLogits(_ w: UnsafePointer<Double>, _ body: (Int, UnsafePointer<Double>) -> Void) -> Bool {
        let block = UnsafeMutablePointer<Double>.allocate(capacity: max(1, self.block * vocabulary))
        defer { block.deallocate() }
        let copyBytes = 8 * Double(vocabulary) * Double(dimension)
        let free = AvailableMemory.bytes().map { Double($0) } ?? .infinity
        let staging = isFeatureMajor && 2 * copyBytes <= free ? UnsafeMutablePointer<Double>.allocate(capacity: vocabulary * dimension) : nil
        defer { staging?.deallocate() }
        let staged = isFeatureMajor ? staging.map { stage(w, into: $0) } : w
        for range in blocks {
            logits(staged, original: w, contexts: range, into: block)
            for j in range { body(j, block + (j - range.lowerBound) * vocabulary) }
        }
        return staging != nil
    }

    /// acc += Σ_{j ∈ range} x_j h̄_jᵀ (h̄_j ∘ h̄_j when `squared`), x context-major |B| × V. acc is V × d for
    /// dense H and d × V (feature-major, see `finish`) for sparse H. `scratch` holds |B| × d numbers
    /// (the squared block of a dense H).
    func accumulate(_ x: UnsafePointer<Double>, contexts range: Range<Int>, squared: Bool,
                    into acc: UnsafeMutablePointer<Double>, scratch: UnsafeMutablePointer<Double>) {
        let v = vocabulary, d = dimension
        guard let sparse else {
            guard case .dense(let h) = features.storage else { return }
            h.withUnsafeBufferPointer { hp in
                var hb = hp.baseAddress! + range.lowerBound * d
                if squared {
                    for i in 0..<(range.count * d) { scratch[i] = hb[i] * hb[i] }
                    hb = UnsafePointer(scratch)
                }
                cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(v), Int32(d), Int32(range.count),
                            1, x, Int32(v), hb, Int32(d), 1, acc, Int32(d))
            }
            return
        }
        Self.withNonzeros(sparse) { off, idx, val in
            for j in range {
                let row = x + (j - range.lowerBound) * v
                for e in off[j]..<off[j + 1] {
                    let c = squared ? val[e] * val[e] : val[e], col = acc + idx[e] * v
                    for a in 0..<v { col[a] += row[a] * c }
                }
            }
        }
    }

    /// Runs `body` with the CSR arrays of `sparse` (offsets, feature ids, values).
    private static func withNonzeros(_ sparse: SparseContextColumns,
                                     _ body: (UnsafeBufferPointer<Int>, UnsafeBufferPointer<Int>, UnsafeBufferPointer<Double>) -> Void) {
        sparse.offsets.withUnsafeBufferPointer { off in
            sparse.indices.withUnsafeBufferPointer { idx in
                sparse.values.withUnsafeBufferPointer { val in body(off, idx, val) }
            }
        }
    }

    /// The V × d result of a pass from its accumulator (a transpose for sparse H).
    func finish(_ acc: UnsafePointer<Double>, into g: UnsafeMutablePointer<Double>) {
        if isFeatureMajor {
            Self.transpose(acc, rows: dimension, columns: vocabulary, into: g)
        } else {
            g.update(from: acc, count: vocabulary * dimension)
        }
    }

    /// out (columns × rows) = xᵀ, x row-major rows × columns, in 32 × 32 tiles: element by element, one
    /// side strides by a whole row per step, a cache miss each (a tenth of the entropy-gap search on
    /// positional one-hot features over V × d = 7.6 M).
    static func transpose(_ x: UnsafePointer<Double>, rows: Int, columns: Int, into out: UnsafeMutablePointer<Double>) {
        let tile = 32
        for r0 in stride(from: 0, to: rows, by: tile) {
            let r1 = min(r0 + tile, rows)
            for c0 in stride(from: 0, to: columns, by: tile) {
                let c1 = min(c0 + tile, columns)
                for r in r0..<r1 { for c in c0..<c1 { out[c * rows + r] = x[r * columns + c] } }
            }
        }
    }
}
