import Dispatch
import Foundation
import NTPFormats

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

/// Hands the groups of a `DenseReductionPlan` to workers in order and adds their gradients to
/// the result in group order, without barriers: group 0 writes the result itself; every other
/// group gets a free accumulator, and whichever worker finishes the next group due adds it
/// (and any finished ones after it) and frees their accumulators. A worker waits only for a free
/// accumulator, which a group already running will release, so it cannot deadlock.
/// Sendable by hand: every stored property is read and written only under `condition`'s lock.
final class OrderedGroups: @unchecked Sendable {
    private let condition = NSCondition()
    private var groupCount = 0, next = 0, merged = 0, merging = false, accumulating = false
    private var free: [Int] = []
    private var finished: [Int] = []   // accumulator of each finished, not yet added group (−1: none)

    /// Starts an evaluation with `groups` groups and accumulators 0..<accumulators (none: no
    /// gradient, nothing to add up).
    func reset(groups: Int, accumulators: Int) {
        groupCount = groups; next = 0; merged = 0; merging = false; accumulating = accumulators > 0
        free.removeAll(keepingCapacity: true)
        free.append(contentsOf: (0..<accumulators).reversed())
        finished.removeAll(keepingCapacity: true)
        finished.append(contentsOf: repeatElement(-1, count: groups))
    }

    /// The next group and its accumulator (−1: the result itself), or nil when all are taken.
    func take() -> (group: Int, accumulator: Int)? {
        condition.lock()
        defer { condition.unlock() }
        while accumulating && next > 0 && next < groupCount && free.isEmpty { condition.wait() }
        guard next < groupCount else { return nil }
        next += 1
        return (next - 1, next == 1 || !accumulating ? -1 : free.removeLast())
    }

    /// Reports group `k` finished in `accumulator`; adds every group now due with `add(accumulator)`.
    func finish(_ k: Int, accumulator: Int, add: (Int) -> Void) {
        condition.lock()
        defer { condition.unlock() }
        guard accumulating else { return }
        if k == 0 { merged = 1 } else { finished[k] = accumulator }
        while !merging && merged < groupCount && finished[merged] >= 0 {
            let a = finished[merged]
            merging = true
            condition.unlock()
            add(a)
            condition.lock()
            merging = false
            merged += 1
            free.append(a)
            condition.broadcast()
        }
    }
}

extension NTPLoss {
    /// Dense features: per block, logits H_bᵀ Wᵀ, softmax, and the gradient R_bᵀ H_b, by groups
    /// of blocks (`DenseReductionPlan`: the result does not depend on `threads`) that up to
    /// `threads` workers take in order (`OrderedGroups`). Leaves per-context loss terms in
    /// `contextTerms`. Extra memory: one V × d accumulator and one block workspace per worker.
    func denseTerms<T: LossScalar>(_ ws: Workspace<T>, w: UnsafePointer<T>, g: UnsafeMutablePointer<T>?,
                                   h: UnsafePointer<T>, contexts: UnsafeBufferPointer<Int>?, count: Int, scale: Double) {
        let plan = DenseReductionPlan(count: count, blockSize: blockSize)
        let workers = max(1, min(threads, plan.groupCount))
        let accumulators = g == nil ? 0 : min(workers, plan.groupCount - 1)
        ws.ensureHelpers(workers - 1, accumulators: accumulators)
        if plan.groupCount == 0, let g { g.initialize(repeating: 0, count: vocabularySize * dimension) }
        ws.groups.reset(groups: plan.groupCount, accumulators: accumulators)
        // Every GEMM single-threaded: OpenBLAS's threaded kernels may split sums differently.
        let blasThreads = blasThreadCount()
        setBLASThreads(1)
        defer { setBLASThreads(blasThreads) }
        let n = vocabularySize * dimension
        let run: (Int) -> Void = { worker in
            let wsw = worker == 0 ? ws : ws.helpers[worker - 1]
            while let taken = ws.groups.take() {
                let k = taken.group, a = taken.accumulator
                let target: UnsafeMutablePointer<T>? = g == nil ? nil : (a < 0 ? g : ws.accumulator(a))
                self.denseGroup(wsw, target, w: w, h: h, contexts: contexts, range: plan.contexts(ofGroup: k), scale: scale,
                                softmaxWorkers: workers == 1 ? self.threads : 1)
                ws.groups.finish(k, accumulator: a) { a in
                    guard let g else { return }
                    let src = ws.accumulator(a)
                    for i in 0..<n { g[i] += src[i] }
                }
            }
        }
        // A worker writes only its own workspace, the accumulator it took and the contextTerms of
        // its groups; g is written by group 0 and by the merges, which OrderedGroups serializes.
        let shared = WorkerShared(run)
        if workers == 1 { run(0) } else { DispatchQueue.concurrentPerform(iterations: workers) { shared.value($0) } }
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
}
