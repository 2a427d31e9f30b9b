import CKernels
import COpenBLAS
import Dispatch
import NTPFormats
#if canImport(Glibc)
import Glibc
#endif

/// Errors of the loss engine and the trainers (one-line descriptions).
public enum LossError: Error, CustomStringConvertible, Equatable {
    case shapeMismatch(String)
    case emptyData
    public var description: String {
        switch self {
        case .shapeMismatch(let s): return "shape mismatch: \(s)"
        case .emptyData: return "the data set has no events (all counts are zero)"
        }
    }
}

/// The NTP cross-entropy of a linear decoder (theory.md §1) and its gradient.
///
///     CE(W) = Σ_j π̂_j [ logsumexp(W h̄_j) − Σ_{z∈S_j} p̂_{j,z} (W h̄_j)_z ],   ∇CE(W) = R Hᵀ
///
/// W is V × d, row-major `[Double]`. Contexts are processed `blockSize` at a time so memory is
/// O(V·d + V·blockSize) whatever m is: dense features go through two GEMMs per block (logits
/// Hᵀ_b Wᵀ and gradient R_bᵀ H_b), one-hot contexts (H = I) copy columns of W directly, and
/// sparse (positional one-hot) features in Float64 over all contexts run token-major
/// (`SparseTiles`: tiles of 16 rows of W, per-context softmax statistics; unit-valued features
/// multiply column exponentials instead of exponentiating every logit; memory
/// O(V·d + threads·16·d + 24·m + nnz)); sparse Float32 or context subsets gather/scatter rows
/// of a transposed copy of W (allocated on first use). Work is split over `threads` workers
/// only in ways that leave every sum in the same order: by context for the softmax pass, by
/// vocabulary range for scatters, and for dense features by fixed groups of blocks whose
/// gradients are added in group order (`DenseReductionPlan`), each GEMM on one BLAS thread. So
/// CE and the gradient are the same bits for any `threads`; per-context loss terms are added in
/// context order, so CE does not depend on the block size either (the token-major path merges
/// fixed vocabulary chunks in order: also independent of both). Float64 element kernels are the
/// C ones of `CKernels` (results can differ in the last bits between its CPU variants).
///
/// Not reentrant: an instance owns its work buffers; use one per thread.
public final class NTPLoss {
    /// Vocabulary size V.
    public let vocabularySize: Int
    /// Embedding dimension d (W is V × d).
    public let dimension: Int
    /// Number of distinct contexts m.
    public let contextCount: Int
    /// π̂_j = count(x̄_j) / n.
    public let contextWeights: [Double]
    /// CSR row pointer of the supports (m + 1 entries), as in the DataSet.
    public let rowOffsets: [Int]
    /// Support token ids, aligned with `targetProbabilities`.
    public let supportTokens: [Int32]
    /// p̂_{j,z} aligned with `supportTokens`.
    public let targetProbabilities: [Double]
    /// The entropy lower bound 𝓗 (nats).
    public let entropy: Double
    /// The context features H.
    public let features: ContextFeatures
    /// Arithmetic precision of the kernels.
    public let precision: Precision
    /// Contexts per block.
    public let blockSize: Int
    /// Workers (results do not depend on it; every GEMM runs on one BLAS thread).
    public let threads: Int

    let hFloat: [Float]            // dense H in Float when precision == .float32
    let sparseTiles: SparseTiles?  // token-major state for sparse features (Float64)
    let work64: Workspace<Double>
    let work32: Workspace<Float>?
    /// Loss term of each evaluated context (m entries), added up in context order at the end.
    let contextTerms: UnsafeMutablePointer<Double>

    /// Precomputes π̂, p̂ and 𝓗 from `data`; `features` must have `contextCount == data.contextCount`.
    /// `blockSize` nil picks `defaultBlockSize(for:)`.
    public init(data: DataSet, features: ContextFeatures, precision: Precision = .float64,
                blockSize: Int? = nil, threads: Int = 2) throws {
        guard features.contextCount == data.contextCount else {
            throw LossError.shapeMismatch("features have \(counted(features.contextCount, "context")), data has \(data.contextCount)")
        }
        guard data.eventCount > 0 else { throw LossError.emptyData }
        // The workspaces are allocated here, and V comes from the file: the block × V logits, and for
        // Float32 its own logits and up to four V × d Float copies of W and the gradient.
        let block = max(1, blockSize ?? NTPLoss.defaultBlockSize(for: features))
        let b = Double(block), v = Double(data.vocabularySize), d = Double(features.dimension)
        try AvailableMemory.require(approximately: 8 * b * v + (precision == .float32 ? 4 * b * v + 16 * v * d : 0),
                                    for: "the loss's workspace (logits of \(counted(block, "context")) × V = \(data.vocabularySize))",
                                    advice: "keep fewer tokens (ingest --max-vocab) or use a smaller --block-size")
        vocabularySize = data.vocabularySize
        dimension = features.dimension
        contextCount = data.contextCount
        contextWeights = data.contextFrequencies()
        rowOffsets = data.rowOffsets
        supportTokens = data.columns
        targetProbabilities = data.conditionalProbabilities()
        entropy = data.entropy()
        self.features = features
        self.precision = precision
        self.blockSize = block
        self.threads = max(1, threads)
        if precision == .float32, case .dense(let h) = features.storage {
            hFloat = h.map { Float($0) }
        } else {
            hFloat = []
        }
        let needsTranspose: Bool
        if case .sparse = features.storage { needsTranspose = true } else { needsTranspose = false }
        sparseTiles = needsTranspose && precision == .float64
            ? SparseTiles(vocabulary: data.vocabularySize, contexts: data.contextCount, rowOffsets: data.rowOffsets,
                          tokens: data.columns, probabilities: targetProbabilities)
            : nil
        let vd = vocabularySize * dimension
        contextTerms = .allocate(capacity: max(1, contextCount))
        work64 = Workspace(block: self.blockSize, vocabulary: vocabularySize, dimension: dimension,
                           transposed: false, converted: false)
        work32 = precision == .float32
            ? Workspace(block: self.blockSize, vocabulary: vocabularySize, dimension: dimension,
                        transposed: needsTranspose, converted: vd > 0)
            : nil
    }

    deinit { contextTerms.deallocate() }

    /// Contexts per block when none is given: 512 for dense features (amortises GEMM packing of
    /// W), 64 otherwise (keeps the V × block logits in L2 for the gather/scatter and copy paths).
    public static func defaultBlockSize(for features: ContextFeatures) -> Int {
        if case .dense = features.storage { return 512 }
        return 64
    }

    /// Number of parameters V · d.
    public var parameterCount: Int { vocabularySize * dimension }

    /// CE(W).
    public func loss(_ w: [Double]) -> Double {
        w.withUnsafeBufferPointer { evaluate($0.baseAddress!, gradient: nil, contexts: nil, scale: 1) }
    }

    /// CE(W), writing ∇CE(W) into `gradient` (resized to V · d if needed).
    public func lossAndGradient(_ w: [Double], gradient: inout [Double]) -> Double {
        if gradient.count != parameterCount { gradient = [Double](repeating: 0, count: parameterCount) }
        return w.withUnsafeBufferPointer { wp in
            gradient.withUnsafeMutableBufferPointer { gp in
                evaluate(wp.baseAddress!, gradient: gp.baseAddress!, contexts: nil, scale: 1)
            }
        }
    }

    /// The core entry point. Evaluates `scale · Σ_{j ∈ contexts} π̂_j ℓ_j(W)` (all contexts when
    /// `contexts` is nil) and, if `gradient` is non-nil, overwrites it with the gradient of that
    /// sum. A stochastic step over B of m contexts passes `scale = m / B` so that the expected
    /// value equals the full loss and gradient. `w` and `gradient` hold V · d Doubles.
    public func evaluate(_ w: UnsafePointer<Double>, gradient: UnsafeMutablePointer<Double>?,
                         contexts: UnsafeBufferPointer<Int>?, scale: Double) -> Double {
        if let work32 {
            return run(work32, w: w, gradient: gradient, contexts: contexts, scale: scale, hLow: hFloat)
        }
        return run(work64, w: w, gradient: gradient, contexts: contexts, scale: scale, hLow: [])
    }

    // MARK: - Kernels

    /// Buffers for one precision; allocated once.
    final class Workspace<T: LossScalar> {
        let logits: UnsafeMutablePointer<T>       // block × V, context-major
        let terms: UnsafeMutablePointer<Double>   // per-context loss terms of a block
        let hBlock: UnsafeMutablePointer<T>       // block × d, gathered H columns (subset steps)
        private(set) var wT: UnsafeMutablePointer<T>?   // d × V (sparse features, allocated on first use)
        private(set) var gT: UnsafeMutablePointer<T>?   // d × V
        let wConv: UnsafeMutablePointer<T>?       // V × d copy of W in T (Float only)
        let gConv: UnsafeMutablePointer<T>?
        let sizes: (block: Int, v: Int, d: Int)
        init(block: Int, vocabulary v: Int, dimension d: Int, transposed: Bool, converted: Bool) {
            sizes = (block, v, d)
            logits = .allocate(capacity: max(1, block * v))
            terms = .allocate(capacity: block)
            hBlock = .allocate(capacity: max(1, block * d))
            wT = transposed ? .allocate(capacity: max(1, v * d)) : nil
            gT = transposed ? .allocate(capacity: max(1, v * d)) : nil
            wConv = converted ? .allocate(capacity: max(1, v * d)) : nil
            gConv = converted ? .allocate(capacity: max(1, v * d)) : nil
        }
        /// Allocates the transposed copies of W and the gradient (the gather/scatter sparse path).
        func ensureTransposed() {
            if wT == nil { wT = .allocate(capacity: max(1, sizes.v * sizes.d)) }
            if gT == nil { gT = .allocate(capacity: max(1, sizes.v * sizes.d)) }
        }
        /// Extra workspaces (one per extra worker) and V × d gradient accumulators (at most one
        /// per worker, see `OrderedGroups`) for the dense path.
        var helpers: [Workspace<T>] = []
        private var accumulators: [UnsafeMutablePointer<T>] = []
        func ensureHelpers(_ n: Int, accumulators count: Int) {
            while helpers.count < n {
                helpers.append(Workspace(block: sizes.block, vocabulary: sizes.v, dimension: sizes.d, transposed: false, converted: false))
            }
            while accumulators.count < count {
                accumulators.append(.allocate(capacity: max(1, sizes.v * sizes.d)))
            }
        }
        /// The dense path's group scheduler (reused by every evaluation).
        let groups = OrderedGroups()
        /// Accumulator `i` (see `ensureHelpers`).
        func accumulator(_ i: Int) -> UnsafeMutablePointer<T> { accumulators[i] }
        deinit {
            for p in accumulators { p.deallocate() }
            logits.deallocate(); terms.deallocate(); hBlock.deallocate()
            wT?.deallocate(); gT?.deallocate(); wConv?.deallocate(); gConv?.deallocate()
        }
    }

    private func run<T: LossScalar>(_ ws: Workspace<T>, w wIn: UnsafePointer<Double>,
                                    gradient gOut: UnsafeMutablePointer<Double>?,
                                    contexts: UnsafeBufferPointer<Int>?, scale: Double, hLow: [Float]) -> Double {
        let vd = vocabularySize * dimension
        // W and the gradient in T: the Double buffers themselves, or converted copies.
        let w: UnsafePointer<T>
        let g: UnsafeMutablePointer<T>?
        if let conv = ws.wConv {
            for i in 0..<vd { conv[i] = T(wIn[i]) }
            w = UnsafePointer(conv)
            g = gOut == nil ? nil : ws.gConv
        } else {
            w = UnsafeRawPointer(wIn).assumingMemoryBound(to: T.self)
            g = gOut.map { UnsafeMutableRawPointer($0).assumingMemoryBound(to: T.self) }
        }
        let count = contexts?.count ?? contextCount
        switch features.storage {
        case .sparse(let r, let indices, let values):
            if T.self == Double.self, contexts == nil, let tiles = sparseTiles {
                // Token-major path: writes every entry of the gradient and adds CE up itself.
                return indices.withUnsafeBufferPointer { idx in
                    withOptionalBuffer(values) { val in
                        tiles.evaluate(loss: self, w: UnsafeRawPointer(w).assumingMemoryBound(to: Double.self),
                                       gradient: g.map { UnsafeMutableRawPointer($0).assumingMemoryBound(to: Double.self) },
                                       r: r, indices: idx.baseAddress!, values: val, scale: scale)
                    }
                }
            }
            if let g { g.initialize(repeating: 0, count: vd) }
            indices.withUnsafeBufferPointer { idx in
                sparseTerms(ws, w: w, g: g, r: r, indices: idx.baseAddress!, values: values, contexts: contexts,
                            count: count, scale: scale)
            }
        case .identity:
            if let g { g.initialize(repeating: 0, count: vd) }
            identityTerms(ws, w: w, g: g, contexts: contexts, count: count, scale: scale)
        case .dense(let hDouble):
            withDenseH(hDouble, hLow) { (h: UnsafePointer<T>) in
                denseTerms(ws, w: w, g: g, h: h, contexts: contexts, count: count, scale: scale)
            }
        }
        if let gOut, let gc = ws.gConv, g != nil {
            for i in 0..<vd { gOut[i] = gc[i].asDouble }
        }
        // Per-context terms in context order: CE depends on neither the blocks nor the workers.
        var total = 0.0
        for j in 0..<count { total += contextTerms[j] }
        return total
    }

    /// One-hot contexts (H = I): context j's logits are column j of W, and its gradient column
    /// is its row of R.
    private func identityTerms<T: LossScalar>(_ ws: Workspace<T>, w: UnsafePointer<T>, g: UnsafeMutablePointer<T>?,
                                              contexts: UnsafeBufferPointer<Int>?, count: Int, scale: Double) {
        let v = vocabularySize, d = dimension
        forEachBlock(ws, count: count) { start, b in
            for i in 0..<b {
                let j = contexts?[start + i] ?? (start + i)
                let row = ws.logits + i * v
                for t in 0..<v { row[t] = w[t * d + j] }
            }
            softmaxPass(ws, contexts: contexts, start: start, count: b, scale: scale, gradient: g != nil)
            if let g {
                for i in 0..<b {
                    let j = contexts?[start + i] ?? (start + i)
                    let row = ws.logits + i * v
                    for t in 0..<v { g[t * d + j] = row[t] }
                }
            }
        }
    }

    /// Sparse features (Float32, or a subset of contexts): logits gathered from rows of a
    /// transposed copy of W, the gradient scattered into a transposed accumulator (`g` zeroed).
    private func sparseTerms<T: LossScalar>(_ ws: Workspace<T>, w: UnsafePointer<T>, g: UnsafeMutablePointer<T>?,
                                            r: Int, indices idx: UnsafePointer<Int32>, values: [Double]?,
                                            contexts: UnsafeBufferPointer<Int>?, count: Int, scale: Double) {
        let v = vocabularySize, d = dimension
        ws.ensureTransposed()
        let wT = ws.wT!, gT = ws.gT!
        T.transpose(w, rows: v, cols: d, into: wT)
        if g != nil { gT.initialize(repeating: 0, count: v * d) }
        forEachBlock(ws, count: count) { start, b in
            // Rows are independent: any split over workers gives the same bits.
            let parts = (threads > 1 && b >= 8) ? min(threads, b) : 1
            // Each part writes only its own rows of ws.logits; W and the indices are read only.
            let shared = WorkerShared((contexts, ws, wT, idx))
            DispatchQueue.concurrentPerform(iterations: parts) { part in
                let (contexts, ws, wT, idx) = shared.value
                for i in (part * b / parts)..<((part + 1) * b / parts) {
                    let j = contexts?[start + i] ?? (start + i)
                    let row = ws.logits + i * v
                    row.initialize(repeating: 0, count: v)
                    for p in 0..<r {
                        let src = wT + Int(idx[j * r + p]) * v
                        if let values {
                            let val = T(values[j * r + p])
                            for t in 0..<v { row[t] += val * src[t] }
                        } else {
                            for t in 0..<v { row[t] += src[t] }     // one-hot features: no multiply
                        }
                    }
                }
            }
            softmaxPass(ws, contexts: contexts, start: start, count: b, scale: scale, gradient: g != nil)
            if g != nil { scatter(ws, into: gT, r: r, indices: idx, values: values, contexts: contexts, start: start, count: b) }
        }
        if let g { T.transpose(UnsafePointer(gT), rows: d, cols: v, into: g) }
    }

    /// gT[f, :] += value · R row, for each feature f of each context of the block. Split by
    /// vocabulary range: conflict-free across workers, and the additions into each entry happen
    /// in context order (deterministic).
    private func scatter<T: LossScalar>(_ ws: Workspace<T>, into gT: UnsafeMutablePointer<T>, r: Int,
                                        indices idx: UnsafePointer<Int32>, values: [Double]?,
                                        contexts: UnsafeBufferPointer<Int>?, start: Int, count b: Int) {
        let v = vocabularySize
        let parts = min(threads, max(1, v / 64))
        // Each part writes only its own vocabulary range lo..<hi of every gT row.
        let shared = WorkerShared((contexts, ws, gT, idx))
        DispatchQueue.concurrentPerform(iterations: parts) { part in
            let (contexts, ws, gT, idx) = shared.value
            let lo = part * v / parts, hi = (part + 1) * v / parts
            for i in 0..<b {
                let j = contexts?[start + i] ?? (start + i)
                let row = ws.logits + i * v
                for p in 0..<r {
                    let dst = gT + Int(idx[j * r + p]) * v
                    if let values {
                        let val = T(values[j * r + p])
                        for t in lo..<hi { dst[t] += val * row[t] }
                    } else {
                        for t in lo..<hi { dst[t] += row[t] }
                    }
                }
            }
        }
    }

    /// Runs `body(start, count)` over consecutive blocks of the evaluated contexts and copies the
    /// per-context loss terms the body leaves in `ws.terms` to `contextTerms`.
    @inline(__always)
    private func forEachBlock<T: LossScalar>(_ ws: Workspace<T>, count: Int, _ body: (Int, Int) -> Void) {
        var start = 0
        while start < count {
            let b = min(blockSize, count - start)
            body(start, b)
            (contextTerms + start).update(from: ws.terms, count: b)
            start += b
        }
    }

    private func withDenseH<T: LossScalar, R>(_ h: [Double], _ hLow: [Float], _ body: (UnsafePointer<T>) -> R) -> R {
        if T.self == Float.self {
            return hLow.withUnsafeBufferPointer { body(UnsafeRawPointer($0.baseAddress!).assumingMemoryBound(to: T.self)) }
        }
        return h.withUnsafeBufferPointer { body(UnsafeRawPointer($0.baseAddress!).assumingMemoryBound(to: T.self)) }
    }

    /// Softmax rows of the block in place: leaves per-context loss terms in `ws.terms` and, when
    /// `gradient`, overwrites each row with scale · π̂_j (softmax − p̂_j) (the block of R).
    func softmaxPass<T: LossScalar>(_ ws: Workspace<T>, contexts: UnsafeBufferPointer<Int>?,
                                     start: Int, count b: Int, scale: Double, gradient: Bool, workers: Int? = nil) {
        let w = workers ?? threads
        let parts = (w > 1 && b >= 8) ? min(w, b) : 1
        let v = vocabularySize
        rowOffsets.withUnsafeBufferPointer { offsets in
        supportTokens.withUnsafeBufferPointer { tokens in
        targetProbabilities.withUnsafeBufferPointer { probs in
        contextWeights.withUnsafeBufferPointer { pis in
            let work: (Int) -> Void = { part in
                let lo = part * b / parts, hi = (part + 1) * b / parts
                for i in lo..<hi {
                    let j = contexts?[start + i] ?? (start + i)
                    let row = ws.logits + i * v
                    var dot = 0.0
                    for e in offsets[j]..<offsets[j + 1] { dot += probs[e] * row[Int(tokens[e])].asDouble }
                    let mx = T.maxOf(row, count: v)
                    let s = T.expShiftedSum(row, count: v, shift: mx)
                    let pi = pis[j] * scale
                    ws.terms[i] = pi * (mx.asDouble + log(s) - dot)
                    if gradient {
                        T.scaleInPlace(row, count: v, by: T(pi / s))
                        for e in offsets[j]..<offsets[j + 1] { row[Int(tokens[e])] -= T(pi * probs[e]) }
                    }
                }
            }
            // Part p writes only rows lo..<hi of ws.logits and ws.terms.
            let shared = WorkerShared(work)
            if parts == 1 { work(0) } else { DispatchQueue.concurrentPerform(iterations: parts) { shared.value($0) } }
        }}}}
    }

    // MARK: - Smoothness

    /// λ_max(H diag(π̂) Hᵀ) by matrix-free power iteration (exact `max π̂_j` for one-hot contexts).
    /// 1/λ_max is the default GD step (theory.md §1). Deterministic: fixed seed start vector.
    public func curvatureBound(maxIterations: Int = 500, tolerance: Double = 1e-10) -> Double {
        let d = dimension, m = contextCount
        if case .identity = features.storage { return contextWeights.max() ?? 0 }
        var rng = SeededGenerator(seed: 0x5EED)
        var x = (0..<d).map { _ in rng.nextGaussian() }
        var u = [Double](repeating: 0, count: m)
        var y = [Double](repeating: 0, count: d)
        var lambda = 0.0
        // One BLAS thread: a threaded dgemv may split its sums by the thread count.
        let blasThreads = blasThreadCount()
        setBLASThreads(1)
        defer { setBLASThreads(blasThreads) }
        func normalize(_ a: inout [Double]) -> Double {
            var s = 0.0
            for t in a { s += t * t }
            let n = s.squareRoot()
            if n > 0 { for i in a.indices { a[i] /= n } }
            return n
        }
        _ = normalize(&x)
        for _ in 0..<maxIterations {
            // y = H (π̂ ⊙ (Hᵀ x))
            switch features.storage {
            case .identity: break
            case .dense(let h):
                h.withUnsafeBufferPointer { hp in
                    cblas_dgemv(CblasRowMajor, CblasNoTrans, Int32(m), Int32(d), 1, hp.baseAddress, Int32(d), x, 1, 0, &u, 1)
                    for j in 0..<m { u[j] *= contextWeights[j] }
                    cblas_dgemv(CblasRowMajor, CblasTrans, Int32(m), Int32(d), 1, hp.baseAddress, Int32(d), u, 1, 0, &y, 1)
                }
            case .sparse(let r, let idx, let vals):
                for i in 0..<d { y[i] = 0 }
                for j in 0..<m {
                    var s = 0.0
                    for p in 0..<r { s += (vals?[j * r + p] ?? 1) * x[Int(idx[j * r + p])] }
                    s *= contextWeights[j]
                    for p in 0..<r { y[Int(idx[j * r + p])] += (vals?[j * r + p] ?? 1) * s }
                }
            }
            var rq = 0.0
            for i in 0..<d { rq += x[i] * y[i] }   // Rayleigh quotient (x has unit norm)
            x = y
            _ = normalize(&x)
            if abs(rq - lambda) <= tolerance * abs(rq) { lambda = rq; break }
            lambda = rq
        }
        return lambda
    }
}
