/// The nonzero entries of every context embedding h̄_j, as one CSR structure.
///
/// The separability LP and its certificate checks only ever need the nonzeros of h̄_j; for
/// identity and positional one-hot features these are one or two entries, so working from this
/// list keeps every row of the LP (and every margin evaluation) proportional to nnz(h̄_j) instead of d.
struct SparseContextColumns {
    /// Embedding dimension d.
    let dimension: Int
    /// `offsets[j] ..< offsets[j+1]` indexes the nonzeros of h̄_j.
    let offsets: [Int]
    /// Feature ids, increasing within a context, duplicates summed.
    let indices: [Int]
    /// Values aligned with `indices`.
    let values: [Double]

    /// The nonzeros of every context, or only of `rows` (the other contexts get empty ranges): a
    /// certificate check on a whole corpus with dense features needs a few thousand of its columns,
    /// and all of them would be 16 bytes per entry of H (2.4 GB for the KJV at d = 1,024).
    init(_ features: ContextFeatures, rows: Set<Int>? = nil) {
        dimension = features.dimension
        let m = features.contextCount
        var offsets = [0], indices: [Int] = [], values: [Double] = []
        offsets.reserveCapacity(m + 1)
        switch features.storage {
        case .identity:
            for j in 0..<m {
                if rows?.contains(j) ?? true { indices.append(j); values.append(1) }
                offsets.append(indices.count)
            }
        case .dense(let h):
            let d = features.dimension
            for j in 0..<m {
                if rows?.contains(j) ?? true {
                    for f in 0..<d where h[j * d + f] != 0 { indices.append(f); values.append(h[j * d + f]) }
                }
                offsets.append(indices.count)
            }
        case .sparse(let r, let idx, let vals):
            for j in 0..<m {
                defer { offsets.append(indices.count) }
                guard rows?.contains(j) ?? true else { continue }
                // Sum duplicates (a sparse spec may repeat a feature id) and keep ids increasing.
                var pairs: [(Int, Double)] = (0..<r).map { (Int(idx[j * r + $0]), vals?[j * r + $0] ?? 1) }
                pairs.sort { $0.0 < $1.0 }
                var t = 0
                while t < pairs.count {
                    var s = pairs[t].1, u = t + 1
                    while u < pairs.count && pairs[u].0 == pairs[t].0 { s += pairs[u].1; u += 1 }
                    if s != 0 { indices.append(pairs[t].0); values.append(s) }
                    t = u
                }
            }
        }
        self.offsets = offsets
        self.indices = indices
        self.values = values
    }

    /// max_j ‖h̄_j‖₂ over every context, read from the features without building the columns.
    static func largestNorm(_ features: ContextFeatures) -> Double {
        switch features.storage {
        case .identity:
            return features.contextCount > 0 ? 1 : 0
        case .dense(let h):
            let d = features.dimension
            var largest = 0.0
            for j in 0..<features.contextCount {
                var s = 0.0
                for f in 0..<d { s += h[j * d + f] * h[j * d + f] }
                largest = max(largest, s)
            }
            return largest.squareRoot()
        case .sparse:
            let cols = SparseContextColumns(features)
            var largest = 0.0
            for j in 0..<features.contextCount { largest = max(largest, cols.norm(j)) }
            return largest
        }
    }

    /// ‖h̄_j‖₂.
    func norm(_ j: Int) -> Double {
        var s = 0.0
        for e in offsets[j]..<offsets[j + 1] { s += values[e] * values[e] }
        return s.squareRoot()
    }

    /// (W h̄_j)_r for a row-major V × d matrix W.
    @inline(__always)
    func logit(_ w: UnsafeBufferPointer<Double>, row r: Int, context j: Int) -> Double {
        var s = 0.0
        let base = r * dimension
        for e in offsets[j]..<offsets[j + 1] { s += w[base + indices[e]] * values[e] }
        return s
    }

    /// The LP column slot of every feature some context uses (−1 for the others, which cannot change
    /// a margin and stay out of the LPs), and how many are used.
    func usedFeatureSlots() -> (slots: [Int], count: Int) {
        var slots = [Int](repeating: -1, count: dimension)
        for f in indices { slots[f] = 0 }
        var n = 0
        for f in 0..<dimension where slots[f] == 0 { slots[f] = n; n += 1 }
        return (slots, n)
    }
}
