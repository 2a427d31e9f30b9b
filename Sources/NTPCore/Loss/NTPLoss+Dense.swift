import Dispatch

/// How the dense path cuts `count` contexts: blocks of `blockSize` contexts, and groups of
/// consecutive blocks. Each group's gradient Σ_{b ∈ group} R_bᵀ H_b is formed on its own (one
/// worker, single-threaded GEMMs) and the groups' gradients are added in group order. Blocks and
/// groups depend on `count` and the block size only, never on the thread count, so the result
/// is the same bits for any number of workers.
struct DenseReductionPlan {
    let count: Int, blockSize: Int
    let blocksPerGroup: Int, groupCount: Int

    /// At most 8 blocks per group, and 8 or more groups once there are 8 blocks: each extra group
    /// costs one V × d addition (≈ 1/2000 of a 512-context block's GEMM work per entry), and
    /// 8 groups keep 2–4 workers evenly busy.
    init(count: Int, blockSize: Int) {
        self.count = count; self.blockSize = blockSize
        let blocks = (count + blockSize - 1) / blockSize
        blocksPerGroup = min(8, max(1, blocks / 8))
        groupCount = (blocks + blocksPerGroup - 1) / blocksPerGroup
    }

    /// The contexts of group `k` (positions in the evaluated list).
    func contexts(ofGroup k: Int) -> Range<Int> {
        let span = blocksPerGroup * blockSize
        return (k * span)..<min(count, (k + 1) * span)
    }
}

extension NTPLoss {
    /// Dense features: per block, logits H_bᵀ Wᵀ, softmax, and the gradient R_bᵀ H_b (see
    /// `DenseReductionPlan` for why the result does not depend on `threads`). Groups run in waves
    /// of up to `threads` workers; after a wave its groups' gradients are added to `g` in group
    /// order (group 0 writes `g` itself). Leaves per-context loss terms in `contextTerms`.
    /// Extra memory: one V × d accumulator and one block workspace per worker.
    func denseTerms<T: LossScalar>(_ ws: Workspace<T>, w: UnsafePointer<T>, g: UnsafeMutablePointer<T>?,
                                   h: UnsafePointer<T>, contexts: UnsafeBufferPointer<Int>?, count: Int, scale: Double) {
        let plan = DenseReductionPlan(count: count, blockSize: blockSize)
        let workers = max(1, min(threads, plan.groupCount))
        ws.ensureHelpers(workers - 1, accumulators: g == nil ? 0 : (plan.groupCount > workers ? workers : workers - 1))
        if plan.groupCount == 0, let g { g.initialize(repeating: 0, count: vocabularySize * dimension) }
        // Every GEMM single-threaded: OpenBLAS's threaded kernels may split sums differently.
        let blasThreads = blasThreadCount()
        setBLASThreads(1)
        defer { setBLASThreads(blasThreads) }
        var first = 0
        while first < plan.groupCount {
            let wave = min(workers, plan.groupCount - first)
            let run: (Int) -> Void = { t in
                let group = first + t
                let target: UnsafeMutablePointer<T>? = g == nil ? nil : (group == 0 ? g : ws.accumulator(first == 0 ? t - 1 : t))
                self.denseGroup(t == 0 ? ws : ws.helpers[t - 1], target, w: w, h: h, contexts: contexts,
                                range: plan.contexts(ofGroup: group), scale: scale, softmaxWorkers: wave == 1 ? self.threads : 1)
            }
            if wave == 1 { run(0) } else { DispatchQueue.concurrentPerform(iterations: wave, execute: run) }
            if let g {
                let slots = first == 0 ? 0..<(wave - 1) : 0..<wave
                if !slots.isEmpty { addInOrder(ws, slots: slots, into: g) }
            }
            first += wave
        }
    }

    /// One group of blocks into `gradient` (overwritten: the first block's GEMM has β = 0).
    private func denseGroup<T: LossScalar>(_ ws: Workspace<T>, _ gradient: UnsafeMutablePointer<T>?, w: UnsafePointer<T>,
                                           h: UnsafePointer<T>, contexts: UnsafeBufferPointer<Int>?, range: Range<Int>,
                                           scale: Double, softmaxWorkers: Int) {
        let v = vocabularySize, d = dimension
        var start = range.lowerBound
        while start < range.upperBound {
            let b = min(blockSize, range.upperBound - start)
            let hb: UnsafePointer<T>
            if let contexts {
                for i in 0..<b { (ws.hBlock + i * d).update(from: h + contexts[start + i] * d, count: d) }
                hb = UnsafePointer(ws.hBlock)
            } else {
                hb = h + start * d
            }
            // logits (b × V) = H_bᵀ (b × d, the columns are contiguous) · Wᵀ
            T.gemm(transA: false, transB: true, m: b, n: v, k: d, a: hb, lda: d, b: w, ldb: d, beta: 0, c: ws.logits, ldc: v)
            softmaxPass(ws, contexts: contexts, start: start, count: b, scale: scale, gradient: gradient != nil,
                        workers: softmaxWorkers)
            (contextTerms + start).update(from: ws.terms, count: b)
            if let gradient {
                // G (V × d) (+)= Rᵀ (V × b) · H_bᵀ (b × d)
                T.gemm(transA: true, transB: false, m: v, n: d, k: b, a: ws.logits, lda: v, b: hb, ldb: d,
                       beta: start == range.lowerBound ? 0 : 1, c: gradient, ldc: d)
            }
            start += b
        }
    }

    /// g += accumulator[s] for s in `slots`, in that order for every entry; the entries are split
    /// over the workers in fixed chunks, which changes no sum.
    private func addInOrder<T: LossScalar>(_ ws: Workspace<T>, slots: Range<Int>, into g: UnsafeMutablePointer<T>) {
        let n = vocabularySize * dimension
        let chunk = 1 << 14
        let chunks = (n + chunk - 1) / chunk
        let parts = max(1, min(threads, chunks))
        let add: (Int) -> Void = { part in
            var c = part
            while c < chunks {
                let lo = c * chunk, hi = min(n, lo + chunk)
                for s in slots {
                    let src = ws.accumulator(s)
                    for i in lo..<hi { g[i] += src[i] }
                }
                c += parts
            }
        }
        if parts == 1 { add(0) } else { DispatchQueue.concurrentPerform(iterations: parts, execute: add) }
    }
}
