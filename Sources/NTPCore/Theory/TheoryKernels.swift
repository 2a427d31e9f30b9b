import COpenBLAS
import Foundation
import NTPFormats

/// Products with the context embeddings H (d × m) for every `ContextFeatures` storage, plus the
/// support bookkeeping the theory solvers share. Internal: names are namespaced to stay clear of
/// other NTPCore components.
enum TheoryKernels {
    /// Which product with H a kernel computes.
    enum Product {
        /// L = W H: V × d in, V × m out (the logits of W).
        case logits
        /// W = U Hᵀ: V × m in, V × d out (the weights whose logits a U on the contexts gives).
        case weights

        /// Columns of the result: m for `.logits`, d for `.weights`.
        func outputColumns(_ f: ContextFeatures) -> Int { self == .logits ? f.contextCount : f.dimension }
    }

    /// `out` = x H (`.logits`) or x Hᵀ (`.weights`), row-major, with V rows. The direction is decided
    /// once per call, outside the loops.
    static func product(_ x: UnsafePointer<Double>, _ product: Product, vocab v: Int, features f: ContextFeatures,
                        into out: UnsafeMutablePointer<Double>) {
        let d = f.dimension, m = f.contextCount
        switch f.storage {
        case .identity:
            out.initialize(from: x, count: v * m)
        case .dense(let h):
            // H column-major d × m is the same memory as Hᵀ row-major m × d.
            let forward = product == .logits
            let inner = forward ? d : m, outer = forward ? m : d
            h.withUnsafeBufferPointer { hp in
                cblas_dgemm(CblasRowMajor, CblasNoTrans, forward ? CblasTrans : CblasNoTrans, Int32(v), Int32(outer), Int32(inner),
                            1, x, Int32(inner), hp.baseAddress!, Int32(d), 0, out, Int32(outer))
            }
        case .sparse(let r, let idx, let vals) where product == .logits:
            for a in 0..<v {
                let row = x + a * d, o = out + a * m
                for j in 0..<m {
                    var s = 0.0
                    for t in 0..<r { s += row[Int(idx[j * r + t])] * (vals?[j * r + t] ?? 1) }
                    o[j] = s
                }
            }
        case .sparse(let r, let idx, let vals):
            out.initialize(repeating: 0, count: v * d)
            for a in 0..<v {
                let row = out + a * d, ur = x + a * m
                for j in 0..<m where ur[j] != 0 {
                    for t in 0..<r { row[Int(idx[j * r + t])] += ur[j] * (vals?[j * r + t] ?? 1) }
                }
            }
        }
    }

    /// `product` into a new array (V × m for `.logits`, V × d for `.weights`).
    static func product(_ x: [Double], _ product: Product, vocab v: Int, features f: ContextFeatures) -> [Double] {
        // Every storage writes all of `out` (the sparse `.weights` zeroes it first): one pass, not two.
        let count = v * product.outputColumns(f)
        guard count > 0 else { return [] }
        return [Double](unsafeUninitializedCapacity: count) { out, written in
            x.withUnsafeBufferPointer { TheoryKernels.product($0.baseAddress!, product, vocab: v, features: f, into: out.baseAddress!) }
            written = count
        }
    }

    /// The Gram matrix G = HᵀH (m × m, full symmetric), or nil for the identity (G = I).
    static func gram(_ f: ContextFeatures) -> [Double]? {
        let d = f.dimension, m = f.contextCount
        switch f.storage {
        case .identity:
            return nil
        case .dense(let h):
            var g = [Double](repeating: 0, count: m * m)
            h.withUnsafeBufferPointer { hp in
                g.withUnsafeMutableBufferPointer { gp in
                    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, Int32(m), Int32(d),
                                1, hp.baseAddress!, Int32(d), 0, gp.baseAddress!, Int32(m))
                    for i in 0..<m { for j in (i + 1)..<max(i + 1, m) { gp[j * m + i] = gp[i * m + j] } }
                }
            }
            return g
        case .sparse(let r, let idx, let vals):
            // Inverted lists feature -> (context, value); G = Σ_f x_f x_fᵀ.
            var lists = [[(Int, Double)]](repeating: [], count: d)
            for j in 0..<m { for t in 0..<r { lists[Int(idx[j * r + t])].append((j, vals?[j * r + t] ?? 1)) } }
            var g = [Double](repeating: 0, count: m * m)
            for l in lists { for (a, x) in l { for (b, y) in l { g[a * m + b] += x * y } } }
            return g
        }
    }

    /// Squared column norms ‖h̄_j‖².
    static func columnNormsSquared(_ f: ContextFeatures) -> [Double] {
        let d = f.dimension, m = f.contextCount
        switch f.storage {
        case .identity: return [Double](repeating: 1, count: m)
        case .dense(let h):
            return (0..<m).map { j in
                var s = 0.0
                for i in 0..<d { s += h[j * d + i] * h[j * d + i] }
                return s
            }
        case .sparse:
            var col = [Double](repeating: 0, count: d)
            return (0..<m).map { j in
                col.withUnsafeMutableBufferPointer { f.column(j, into: $0.baseAddress!) }
                return col.reduce(0) { $0 + $1 * $1 }
            }
        }
    }
}

/// The supports S_j of a data set in the layout the theory solvers use: entry `e` of the CSR
/// (context `entryContext[e]`, token `columns[e]`) is one coordinate of U = ⊕_j U_j.
struct SupportLayout {
    let m: Int, v: Int
    let rowOffsets: [Int]
    let columns: [Int]
    let entryContext: [Int]
    /// Centred log-probabilities c (aligned with entries); zero-count entries are not support.
    let centredLogProbabilities: [Double]

    /// Builds the layout; zero-count entries are dropped (they are not in the support).
    init(_ data: DataSet) throws {
        try data.validate()
        m = data.contextCount; v = data.vocabularySize
        var offs = [0], cols = [Int](), ctx = [Int](), c = [Double]()
        for j in 0..<m {
            let t = data.rowTotal(j)
            guard t > 0 else { throw DataSetError.invalid("context \(j) has no events") }
            let start = cols.count
            var meanLog = 0.0, uniform = true
            for e in data.rowOffsets[j]..<data.rowOffsets[j + 1] where data.counts[e] > 0 {
                cols.append(Int(data.columns[e])); ctx.append(j)
                let l = log(data.counts[e] / t)
                c.append(l); meanLog += l
                uniform = uniform && data.counts[e] == data.counts[data.rowOffsets[j]]
            }
            meanLog /= Double(cols.count - start)
            // Equal counts centre to exactly 0; the mean's round-off would leave 1e-16 everywhere, and a
            // data set of such rows then looked incompatible relative to that noise (QA round 8).
            for e in start..<cols.count { c[e] = uniform ? 0 : c[e] - meanLog }
            offs.append(cols.count)
        }
        rowOffsets = offs; columns = cols; entryContext = ctx; centredLogProbabilities = c
    }

    var entryCount: Int { columns.count }
    func supportSize(_ j: Int) -> Int { rowOffsets[j + 1] - rowOffsets[j] }

    /// Centres `x` over each support in place (the projection onto U).
    func centre(_ x: UnsafeMutablePointer<Double>) {
        for j in 0..<m {
            let a = rowOffsets[j], b = rowOffsets[j + 1]
            var s = 0.0
            for e in a..<b { s += x[e] }
            s /= Double(b - a)
            for e in a..<b { x[e] -= s }
        }
    }
}

/// The theory's two maps between support coordinates and weights, entry by entry: no V × m array,
/// which on a whole corpus is out of reach (the KJV: V × m = 13,746 × 148,464, 16 GB a copy).
extension TheoryKernels {
    /// `out`_e = (W h_{j(e)})_{v(e)}, the logit of each support entry (W V × d row-major; not centred).
    /// Sparse H sums its nonzeros in the order the full `.logits` product does, so the same bits.
    static func entryLogits(_ w: UnsafePointer<Double>, layout: SupportLayout, features f: ContextFeatures,
                            into out: UnsafeMutablePointer<Double>) {
        let d = f.dimension, m = f.contextCount, tokens = layout.columns, contexts = layout.entryContext
        switch f.storage {
        case .identity:
            for e in 0..<layout.entryCount { out[e] = w[tokens[e] * m + contexts[e]] }
        case .dense(let h):
            h.withUnsafeBufferPointer { hp in
                for e in 0..<layout.entryCount {
                    out[e] = cblas_ddot(Int32(d), w + tokens[e] * d, 1, hp.baseAddress! + contexts[e] * d, 1)
                }
            }
        case .sparse(let r, let idx, let vals):
            for e in 0..<layout.entryCount {
                let row = w + tokens[e] * d, j = contexts[e]
                var s = 0.0
                for t in 0..<r { s += row[Int(idx[j * r + t])] * (vals?[j * r + t] ?? 1) }
                out[e] = s
            }
        }
    }

    /// `out` += scale · Σ_e x_e e_{v(e)} h_{j(e)}ᵀ (V × d row-major), skipping x_e = 0. Each weight gathers its
    /// terms context by context, as the sparse `.weights` product does: the same bits for sparse H.
    static func addEntryWeights(_ x: UnsafePointer<Double>, scale: Double, layout: SupportLayout, features f: ContextFeatures,
                                into out: UnsafeMutablePointer<Double>) {
        let d = f.dimension, m = f.contextCount, tokens = layout.columns, contexts = layout.entryContext
        switch f.storage {
        case .identity:
            for e in 0..<layout.entryCount where x[e] != 0 { out[tokens[e] * m + contexts[e]] += scale * x[e] }
        case .dense(let h):
            h.withUnsafeBufferPointer { hp in
                for e in 0..<layout.entryCount where x[e] != 0 {
                    cblas_daxpy(Int32(d), scale * x[e], hp.baseAddress! + contexts[e] * d, 1, out + tokens[e] * d, 1)
                }
            }
        case .sparse(let r, let idx, let vals):
            for e in 0..<layout.entryCount where x[e] != 0 {
                let row = out + tokens[e] * d, j = contexts[e]
                for t in 0..<r { row[Int(idx[j * r + t])] += x[e] * (vals?[j * r + t] ?? 1) * scale }
            }
        }
    }

    /// Zeroes what `addEntryWeights` wrote into `out`: the rows of the support tokens (dense H), their
    /// entries (sparse H, H = I). A scratch W stays zero between uses without a V × d pass.
    static func clearEntryWeights(layout: SupportLayout, features f: ContextFeatures, in out: UnsafeMutablePointer<Double>) {
        let d = f.dimension, m = f.contextCount, tokens = layout.columns, contexts = layout.entryContext
        switch f.storage {
        case .identity:
            for e in 0..<layout.entryCount { out[tokens[e] * m + contexts[e]] = 0 }
        case .dense:
            for e in 0..<layout.entryCount { (out + tokens[e] * d).update(repeating: 0, count: d) }
        case .sparse(let r, let idx, _):
            for e in 0..<layout.entryCount {
                let row = out + tokens[e] * d, j = contexts[e]
                for t in 0..<r { row[Int(idx[j * r + t])] = 0 }
            }
        }
    }
}
