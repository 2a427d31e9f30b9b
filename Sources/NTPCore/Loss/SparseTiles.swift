import CKernels
import Dispatch
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

    /// CE (scaled) and, if `gradient`, its gradient, overwriting all V · d entries.
    func evaluate(loss: NTPLoss, w: UnsafePointer<Double>, gradient: UnsafeMutablePointer<Double>?, r: Int,
                  indices: UnsafePointer<Int32>, values: UnsafePointer<Double>?, scale: Double) -> Double {
        let v = vocabulary, m = contexts, d = loss.dimension
        let k = chunks.count
        let workers = max(1, min(loss.threads, k))
        prepare(workers: workers, dimension: d)
        let st = stats!
        colPtr.withUnsafeBufferPointer { cp in
        colCtx.withUnsafeBufferPointer { cc in
        colProb.withUnsafeBufferPointer { pr in
            let run: (Int) -> Void = { worker in
                var c = worker
                while c < k {
                    let base = st + c * 3 * m
                    ck_sparse_stats(w, Int64(v), Int64(d), Int64(m), Int64(r), indices, values,
                                    cp.baseAddress, cc.baseAddress, pr.baseAddress,
                                    Int64(self.chunks[c].0), Int64(self.chunks[c].1), self.tileBuffer(worker),
                                    base, base + m, base + 2 * m)
                    c += workers
                }
            }
            if workers == 1 { run(0) } else { DispatchQueue.concurrentPerform(iterations: workers, execute: run) }
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
        let tile = Int(CK_TILE)
        let tileCount = (v + tile - 1) / tile
        let gw = max(1, min(loss.threads, tileCount))
        prepare(workers: gw, dimension: d)
        colPtr.withUnsafeBufferPointer { cp in
        colCtx.withUnsafeBufferPointer { cc in
        scaledProb.withUnsafeBufferPointer { sp in
        mx.withUnsafeBufferPointer { mxp in
        coef.withUnsafeBufferPointer { cf in
            let run: (Int) -> Void = { worker in
                let t0 = worker * tileCount / gw * tile, t1 = min(v, (worker + 1) * tileCount / gw * tile)
                ck_sparse_grad(w, gradient, Int64(v), Int64(d), Int64(m), Int64(r), indices, values,
                               cp.baseAddress, cc.baseAddress, sp.baseAddress, mxp.baseAddress, cf.baseAddress,
                               Int64(t0), Int64(t1), self.tileBuffer(2 * worker), self.tileBuffer(2 * worker + 1))
            }
            if gw == 1 { run(0) } else { DispatchQueue.concurrentPerform(iterations: gw, execute: run) }
        }}}}}
        return total
    }
}

/// `body` with the buffer of `a`, or nil.
@inline(__always)
func withOptionalBuffer<R>(_ a: [Double]?, _ body: (UnsafePointer<Double>?) -> R) -> R {
    guard let a else { return body(nil) }
    return a.withUnsafeBufferPointer { body($0.baseAddress) }
}
