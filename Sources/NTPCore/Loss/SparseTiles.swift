import CKernels
import Dispatch
import NTPFormats
#if canImport(Glibc)
import Glibc
#endif

/// Token-major CE and gradient for sparse context features (positional one-hot), Float64, all
/// contexts.
///
/// W (V × d, row-major) is read 16 vocabulary rows at a time, transposed into a d × 16 tile that
/// stays in L2; context j's 16 logits are then the sum of its r feature rows of the tile. Two
/// sweeps over W:
///  1. statistics: per context an online max and Σ exp(z − max) (the sum is rescaled when the
///     max grows), plus the target dot product Σ_{z∈S_j} p̂ z from the support transposed to
///     token-major order. The vocabulary is cut into a FIXED number of chunks (a function of V
///     only); each chunk keeps its own statistics, merged afterwards in chunk order, so results
///     do not depend on the thread count or the scheduling.
///  2. gradient: G[t, :] = Σ_j π̂_j e^{z_tj − max_j}/s_j h̄_j − Σ_{j: t∈S_j} π̂_j p̂_{jt} h̄_j, accumulated in
///     a d × 16 tile in context order and written back as 16 rows of G; rows are independent,
///     so any split over threads gives the same bits.
/// No transpose of the whole W or G and no random access to V × d data: memory traffic is
/// three sequential passes over V·d doubles. Extra memory: O(m + nnz + threads · d · 16).
///
/// Unit-valued features (positional one-hot) skip the per-(token, context) exponentials: with
/// c_f = max_t W[t, f] and E[t, f] = exp(W[t, f] − c_f) (one exp per entry of W, formed tile by
/// tile), exp(z_tj − Σ_p c_{f_p}) = Π_p E[t, f_p], so the sweeps multiply instead of
/// exponentiating and need no running max; the shift Σ_p c_{f_p} ≥ max_t z_tj cancels in the
/// softmax and the loss adds it back. If for some context the sum s_j falls below 2^−600 (its
/// row max would sit more than ~416 nats under the shift, where products could lose range),
/// the evaluation is redone with the exact online-max sweeps above; the choice depends only on
/// W and the data, so results stay deterministic.
final class SparseTiles {
    static let chunkLimit = 8
    let vocabulary: Int
    let contexts: Int
    let colPtr: [Int64]           // V + 1
    let colCtx: [Int32]           // nnz, context ids in context order within a token
    let colProb: [Double]         // p̂ aligned with colCtx
    let chunks: [(Int, Int)]      // vocabulary ranges, multiples of CK_TILE except the end
    // Work buffers, allocated on first use.
    private var stats: UnsafeMutablePointer<Double>? = nil   // chunks × 3 × m
    private var mx: [Double] = [], coef: [Double] = [], scaledProb: [Double] = []
    private var tiles: UnsafeMutableRawPointer? = nil
    private var colMax: UnsafeMutablePointer<Double>? = nil   // (workers + 1) × d
    private var colMaxSlots = 0
    // Product path: contexts in a cache-friendly order (see `sortContexts`).
    private var sortedIndices: [Int32] = []   // m × r, rows in sorted order
    private var position: [Int32] = []        // context → sorted position
    private var colPosition: [Int32] = []     // colCtx mapped to sorted positions

    /// Rows of the last feature per block of the sort key: 256 rows of an 8- or 16-wide tile
    /// (16–32 KiB, with the gradient tile) stay in L1 while the contexts of a block run.
    static let sortBlock = 256

    /// Orders the contexts by (last feature / 256, first feature): within a block the last
    /// features' tile rows stay in L1 and the first features sweep the tile in order. Only the
    /// order in which contexts are visited changes (fixed by the data: deterministic).
    private func sortContexts(r: Int, indices: UnsafePointer<Int32>) {
        let m = contexts
        var order = Array(0..<m)
        order.sort { a, b in
            let ka = (Int(indices[a * r + r - 1]) / SparseTiles.sortBlock, Int(indices[a * r]), a)
            let kb = (Int(indices[b * r + r - 1]) / SparseTiles.sortBlock, Int(indices[b * r]), b)
            return ka < kb
        }
        sortedIndices = [Int32](repeating: 0, count: m * r)
        position = [Int32](repeating: 0, count: m)
        for (p, j) in order.enumerated() {
            position[j] = Int32(p)
            for q in 0..<r { sortedIndices[p * r + q] = indices[j * r + q] }
        }
        colPosition = colCtx.map { position[Int($0)] }
    }
    private var tileSlots = 0, tileDimension = 0

    init(vocabulary v: Int, contexts m: Int, rowOffsets: [Int], tokens: [Int32], probabilities: [Double]) {
        vocabulary = v; contexts = m
        var ptr = [Int64](repeating: 0, count: v + 1)
        for e in 0..<rowOffsets[m] { ptr[Int(tokens[e]) + 1] += 1 }
        for t in 0..<v { ptr[t + 1] += ptr[t] }
        var fill = ptr
        var ctx = [Int32](repeating: 0, count: rowOffsets[m])
        var prob = [Double](repeating: 0, count: rowOffsets[m])
        for j in 0..<m {
            for e in rowOffsets[j]..<rowOffsets[j + 1] {
                let t = Int(tokens[e])
                let at = Int(fill[t])
                ctx[at] = Int32(j); prob[at] = probabilities[e]
                fill[t] += 1
            }
        }
        colPtr = ptr; colCtx = ctx; colProb = prob
        let tile = Int(CK_TILE)
        let tileCount = (v + tile - 1) / tile
        let k = max(1, min(SparseTiles.chunkLimit, tileCount))
        chunks = (0..<k).map { c in (c * tileCount / k * tile, min(v, (c + 1) * tileCount / k * tile)) }
    }

    deinit {
        stats?.deallocate()
        tiles?.deallocate()
        colMax?.deallocate()
    }

    private func tileBuffer(_ slot: Int) -> UnsafeMutablePointer<Double> {
        (tiles! + slot * tileDimension * Int(CK_TILE) * 8).assumingMemoryBound(to: Double.self)
    }

    private func prepare(workers: Int, dimension d: Int) {
        let m = contexts
        if stats == nil {
            stats = .allocate(capacity: max(1, chunks.count * 3 * m))
            mx = [Double](repeating: 0, count: m)
            coef = [Double](repeating: 0, count: m)
            scaledProb = [Double](repeating: 0, count: colCtx.count)
        }
        if tileSlots < 2 * workers || tileDimension != d {
            tiles?.deallocate()
            tileSlots = 2 * workers; tileDimension = d
            tiles = .allocate(byteCount: max(64, tileSlots * d * Int(CK_TILE) * 8), alignment: 64)
        }
    }

    /// Smallest per-context sum the product path accepts (see the type's comment).
    static let productFloor = 0x1p-600

    /// CE (scaled) and, if `gradient`, its gradient, overwriting all V · d entries.
    func evaluate(loss: NTPLoss, w: UnsafePointer<Double>, gradient: UnsafeMutablePointer<Double>?, r: Int,
                  indices: UnsafePointer<Int32>, values: UnsafePointer<Double>?, scale: Double) -> Double {
        if values == nil, let ce = evaluateProducts(loss: loss, w: w, gradient: gradient, r: r, indices: indices, scale: scale) {
            return ce
        }
        return evaluateExact(loss: loss, w: w, gradient: gradient, r: r, indices: indices, values: values, scale: scale)
    }

    /// The unit-value path; nil when some context's sum fell under `productFloor`.
    func evaluateProducts(loss: NTPLoss, w: UnsafePointer<Double>, gradient: UnsafeMutablePointer<Double>?, r: Int,
                          indices: UnsafePointer<Int32>, scale: Double) -> Double? {
        let v = vocabulary, m = contexts, d = loss.dimension
        let k = chunks.count
        let workers = max(1, min(loss.threads, k))
        prepare(workers: workers, dimension: d)
        let st = stats!, cm = columnMaxima(w, dimension: d, workers: workers)
        if position.count != m { sortContexts(r: r, indices: indices) }
        colPtr.withUnsafeBufferPointer { cp in
        colPosition.withUnsafeBufferPointer { cc in
        colProb.withUnsafeBufferPointer { pr in
        sortedIndices.withUnsafeBufferPointer { sorted in
            // Read only, except chunk c's statistics block st + c·3m.
            let shared = WorkerShared((w: w, indices: sorted.baseAddress!, cp: cp.baseAddress, cc: cc.baseAddress,
                                       pr: pr.baseAddress, cm: UnsafePointer(cm), st: st))
            forEachChunk(workers: workers) { c, lo, hi, tile in
                let s = shared.value, base = s.st + c * 3 * m
                ck_onehot_stats(s.w, Int64(v), Int64(d), Int64(m), Int64(r), s.indices, s.cp, s.cc, s.pr, s.cm,
                                Int64(lo), Int64(hi), tile, base, base + m)
            }
        }}}}
        // Merge the chunks in order; per-context terms are added in context order.
        var total = 0.0
        let ok = loss.contextWeights.withUnsafeBufferPointer { pis -> Bool in
            for j in 0..<m {
                let at = Int(position[j])
                var s = 0.0, dot = 0.0
                for c in 0..<k {
                    s += st[c * 3 * m + at]
                    dot += st[c * 3 * m + m + at]
                }
                if s < SparseTiles.productFloor { return false }
                var shift = 0.0
                for p in 0..<r { shift += cm[Int(indices[j * r + p])] }
                let pi = pis[j] * scale
                total += pi * (shift + log(s) - dot)
                coef[at] = pi / s
            }
            guard gradient != nil else { return true }
            for e in colCtx.indices { scaledProb[e] = (pis[Int(colCtx[e])] * scale) * colProb[e] }
            return true
        }
        guard ok else { return nil }
        guard let gradient else { return total }
        colPtr.withUnsafeBufferPointer { cp in
        colPosition.withUnsafeBufferPointer { cc in
        scaledProb.withUnsafeBufferPointer { sp in
        coef.withUnsafeBufferPointer { cf in
        sortedIndices.withUnsafeBufferPointer { sorted in
            // Read only, except rows t0..<t1 of the gradient, which belong to one worker.
            let shared = WorkerShared((w: w, gradient: gradient, indices: sorted.baseAddress!, cp: cp.baseAddress,
                                       cc: cc.baseAddress, sp: sp.baseAddress, cm: UnsafePointer(cm), cf: cf.baseAddress))
            forEachTileRange(threads: loss.threads, dimension: d) { t0, t1, tile, gradientTile in
                let s = shared.value
                ck_onehot_grad(s.w, s.gradient, Int64(v), Int64(d), Int64(m), Int64(r), s.indices,
                               s.cp, s.cc, s.sp, s.cm, s.cf, Int64(t0), Int64(t1), tile, gradientTile)
            }
        }}}}}
        return total
    }

    /// c_f = max_t W[t, f], from partial maxima over row ranges, one per worker, combined (max is
    /// exact: any split). The result is the first d entries of `colMax`.
    private func columnMaxima(_ w: UnsafePointer<Double>, dimension d: Int, workers: Int) -> UnsafeMutablePointer<Double> {
        let v = vocabulary
        if colMaxSlots < workers + 1 || tileDimension != d {
            colMax?.deallocate()
            colMaxSlots = workers + 1
            colMax = .allocate(capacity: max(1, colMaxSlots * d))
        }
        let cm = colMax!
        let rowWorkers = max(1, min(workers, v))
        // Worker t writes only its slot t + 1 of `colMax`; W is read only.
        let shared = WorkerShared((w: w, cm: cm))
        let colRun: @Sendable (Int) -> Void = { t in
            let part = shared.value.cm + (t + 1) * d
            part.initialize(repeating: -.infinity, count: d)
            ck_colmax(shared.value.w, Int64(d), Int64(t * v / rowWorkers), Int64((t + 1) * v / rowWorkers), part)
        }
        if rowWorkers == 1 { colRun(0) } else { DispatchQueue.concurrentPerform(iterations: rowWorkers, execute: colRun) }
        cm.update(from: cm + d, count: d)
        for t in 1..<rowWorkers {
            let part = cm + (t + 1) * d
            for f in 0..<d { cm[f] = part[f] > cm[f] ? part[f] : cm[f] }
        }
        return cm
    }

    /// The general path: online max and exponentials per (token, context).
    func evaluateExact(loss: NTPLoss, w: UnsafePointer<Double>, gradient: UnsafeMutablePointer<Double>?, r: Int,
                  indices: UnsafePointer<Int32>, values: UnsafePointer<Double>?, scale: Double) -> Double {
        let v = vocabulary, m = contexts, d = loss.dimension
        let k = chunks.count
        let workers = max(1, min(loss.threads, k))
        prepare(workers: workers, dimension: d)
        let st = stats!
        colPtr.withUnsafeBufferPointer { cp in
        colCtx.withUnsafeBufferPointer { cc in
        colProb.withUnsafeBufferPointer { pr in
            // Read only, except chunk c's statistics block st + c·3m.
            let shared = WorkerShared((w: w, indices: indices, values: values, cp: cp.baseAddress, cc: cc.baseAddress,
                                       pr: pr.baseAddress, st: st))
            forEachChunk(workers: workers) { c, lo, hi, tile in
                let s = shared.value, base = s.st + c * 3 * m
                ck_sparse_stats(s.w, Int64(v), Int64(d), Int64(m), Int64(r), s.indices, s.values, s.cp, s.cc, s.pr,
                                Int64(lo), Int64(hi), tile, base, base + m, base + 2 * m)
            }
        }}}
        // Merge the chunks in order; per-context terms are added in context order.
        var total = 0.0
        loss.contextWeights.withUnsafeBufferPointer { pis in
            for j in 0..<m {
                var top = -Double.infinity
                for c in 0..<k { let x = st[c * 3 * m + j]; top = x > top ? x : top }
                var s = 0.0, dot = 0.0
                for c in 0..<k {
                    let x = st[c * 3 * m + j], sc = st[c * 3 * m + m + j]
                    s += x == top ? sc : sc * exp(x - top)
                    dot += st[c * 3 * m + 2 * m + j]
                }
                let pi = pis[j] * scale
                total += pi * (top + log(s) - dot)
                mx[j] = top
                coef[j] = pi / s
            }
            guard gradient != nil else { return }
            for e in colCtx.indices { scaledProb[e] = (pis[Int(colCtx[e])] * scale) * colProb[e] }
        }
        guard let gradient else { return total }
        colPtr.withUnsafeBufferPointer { cp in
        colCtx.withUnsafeBufferPointer { cc in
        scaledProb.withUnsafeBufferPointer { sp in
        mx.withUnsafeBufferPointer { mxp in
        coef.withUnsafeBufferPointer { cf in
            // Read only, except rows t0..<t1 of the gradient, which belong to one worker.
            let shared = WorkerShared((w: w, gradient: gradient, indices: indices, values: values, cp: cp.baseAddress,
                                       cc: cc.baseAddress, sp: sp.baseAddress, mx: mxp.baseAddress, cf: cf.baseAddress))
            forEachTileRange(threads: loss.threads, dimension: d) { t0, t1, tile, gradientTile in
                let s = shared.value
                ck_sparse_grad(s.w, s.gradient, Int64(v), Int64(d), Int64(m), Int64(r), s.indices, s.values,
                               s.cp, s.cc, s.sp, s.mx, s.cf, Int64(t0), Int64(t1), tile, gradientTile)
            }
        }}}}}
        return total
    }
}

extension SparseTiles {
    /// Calls `body(c, firstRow, endRow, tile)` for every vocabulary chunk c, on `workers` workers in
    /// parallel (chunk c on worker c mod `workers`, `tile` that worker's tile buffer).
    func forEachChunk(workers: Int, _ body: @Sendable (Int, Int, Int, UnsafeMutablePointer<Double>) -> Void) {
        let chunks = self.chunks
        // Worker t uses only tile buffer t.
        let tiles = SharedPointer(base: tileBuffer(0)), tileSize = tileDimension * Int(CK_TILE)
        @Sendable func run(_ worker: Int) {
            var c = worker
            while c < chunks.count {
                body(c, chunks[c].0, chunks[c].1, tiles.base + worker * tileSize)
                c += workers
            }
        }
        if workers == 1 { run(0) } else { DispatchQueue.concurrentPerform(iterations: workers, execute: run) }
    }

    /// Splits the V gradient rows into CK_TILE-row tiles, gives each worker a contiguous run of
    /// them, and calls `body(firstRow, endRow, tile, gradientTile)` on the workers in parallel
    /// (the two tile buffers are the worker's own).
    func forEachTileRange(threads: Int, dimension d: Int,
                          _ body: @Sendable (Int, Int, UnsafeMutablePointer<Double>, UnsafeMutablePointer<Double>) -> Void) {
        let v = vocabulary, tile = Int(CK_TILE)
        let tileCount = (v + tile - 1) / tile
        let workers = max(1, min(threads, tileCount))
        prepare(workers: workers, dimension: d)
        // Worker t uses only tile buffers 2t and 2t + 1.
        let tiles = SharedPointer(base: tileBuffer(0)), tileSize = tileDimension * tile
        @Sendable func run(_ worker: Int) {
            let t0 = worker * tileCount / workers * tile, t1 = min(v, (worker + 1) * tileCount / workers * tile)
            body(t0, t1, tiles.base + 2 * worker * tileSize, tiles.base + (2 * worker + 1) * tileSize)
        }
        if workers == 1 { run(0) } else { DispatchQueue.concurrentPerform(iterations: workers, execute: run) }
    }
}

/// `body` with the buffer of `a`, or nil.
@inline(__always)
func withOptionalBuffer<R>(_ a: [Double]?, _ body: (UnsafePointer<Double>?) -> R) -> R {
    guard let a else { return body(nil) }
    return a.withUnsafeBufferPointer { body($0.baseAddress) }
}
