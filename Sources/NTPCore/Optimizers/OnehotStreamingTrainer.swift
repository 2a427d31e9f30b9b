import CKernels
import Dispatch
import NTPFormats
#if canImport(Glibc)
import Glibc
#endif

/// Training with one-hot contexts (H = I, d = m) without ever holding the V × m matrix W.
///
/// With H = I context j only sees column j of W, so GD and Adam decouple over contexts: each
/// context's column (V doubles, L1/L2-resident) is taken through ALL steps on its own, the
/// contexts split over `loss.threads` workers in batches (memory O(V · threads · batch)). Every
/// log quantity — CE, ‖W‖², ⟨W, W^mm⟩, ⟨W, W*⟩, ‖P_𝓕 W − W*‖² — is a sum over columns: each
/// column's share is computed on its own and the shares are added in context order (the
/// reference limits use their closed forms, theory.md §4).
///
/// Guarantees (Float64): CE values and the final W are bit-identical to a dense run of `Trainer`
/// with `TrainingReference.onehot` on the same machine (same per-entry expressions and the same
/// `CKernels` softmax kernels as `NTPLoss`, CE summed in context order); the norm/cosine columns
/// agree to rounding (column-wise shares here, row-wise sums there). All outputs are independent
/// of the thread count and byte-identical run to run. Float32 precision takes blocks of
/// `loss.blockSize` contexts through the steps with the generic kernels (same guarantees).
/// Normalized GD couples all columns through ‖∇‖ and stochastic batches couple them through the
/// sampling, so both are refused here.
public final class OnehotStreamingTrainer {
    /// The loss (identity features).
    public let loss: NTPLoss
    /// The run's options.
    public let options: TrainingOptions
    /// Whether to compute the W*/W^mm columns (closed forms).
    public let withReference: Bool

    /// A trainer; throws for non-identity features, NGD, or stochastic batches.
    public init(loss: NTPLoss, options: TrainingOptions, withReference: Bool = true) throws {
        guard case .identity = loss.features.storage else {
            throw TrainingError.invalidOption("the streaming trainer needs one-hot contexts (--embedding onehot)")
        }
        guard options.optimizer.kind != .ngd else {
            throw TrainingError.invalidOption("normalized GD couples all contexts through the global gradient norm; it cannot stream")
        }
        guard options.batchContexts == nil || options.batchContexts! >= loss.contextCount else {
            throw TrainingError.invalidOption("stochastic batches couple contexts through the sampling; they cannot stream")
        }
        self.loss = loss; self.options = options; self.withReference = withReference
    }

    /// Runs every block through all steps. `emit(first, count, columns)` receives the final
    /// columns first..<first+count of W, context-major (count × V): consecutive chunks of the
    /// column-major (Fortran-order) V × m matrix, ready for an `NPYStreamWriter`.
    /// `shouldStop` is polled between blocks; stopping throws (a streamed run cannot resume), and so
    /// does divergence (`DivergenceWatch` on the logged rows, after every column was emitted).
    public func run(shouldStop: () -> Bool = { false },
                    emit: (Int, Int, UnsafeBufferPointer<Double>) throws -> Void = { _, _, _ in }) throws -> [LogRow] {
        let rows = try loss.work32.map { try run($0, shouldStop: shouldStop, emit: emit) } ?? runColumns(shouldStop: shouldStop, emit: emit)
        // CE(W_k) is only known here, summed over all columns, and only at the logged steps: the
        // dense trainer's rule on those (the caller has the emitted columns and writes nothing).
        var watch = DivergenceWatch(options: options, fullBatch: true)
        for row in rows { try watch.observe(step: row.step, ce: row.ce) }
        return rows
    }

    /// Contexts per worker and batch in the Float64 path.
    static let columnsPerWorker = 16

    /// Float64: column by column through all steps (GD fused in one C kernel, Adam through the
    /// same softmax kernels as `NTPLoss.softmaxPass`), `columnsPerWorker` columns per worker and
    /// batch. Each column's shares are added in context order, so no result depends on the workers.
    private func runColumns(shouldStop: () -> Bool,
                            emit: (Int, Int, UnsafeBufferPointer<Double>) throws -> Void) throws -> [LogRow] {
        let v = loss.vocabularySize, m = loss.contextCount
        let logSteps = logSchedule()
        var sums = [LogSums](repeating: LogSums(), count: logSteps.count)
        var mm2 = 0.0, star2 = 0.0, starDotMM = 0.0
        let per = OnehotStreamingTrainer.columnsPerWorker
        let workers = max(1, min(loss.threads, (m + per - 1) / per))
        let maxSupport = (0..<m).reduce(1) { max($0, loss.rowOffsets[$1 + 1] - loss.rowOffsets[$1]) }
        // Columns of V entries each: V comes from the file and may be far larger than its nonzeros.
        let doubles = ColumnBuffers.scratchCount(vocabulary: v, maxSupport: maxSupport, adam: options.optimizer.kind == .adam,
                                                 reference: withReference) * workers + workers * per * v
        try AvailableMemory.require(product: [doubles, MemoryLayout<Double>.size],
                                    for: "streaming one-hot training (\(counted(workers * per, "column")) of V = \(v) at a time)",
                                    advice: "keep fewer tokens (ingest --max-vocab)")
        let buffers = ColumnBuffers(batch: workers * per, workers: workers, vocabulary: v, logCount: logSteps.count,
                                    maxSupport: maxSupport, adam: options.optimizer.kind == .adam, reference: withReference)
        defer { buffers.deallocate() }
        let adam = (0..<options.steps).map { Optimizer.AdamCoefficients(options.optimizer, step: $0 + 1) }
        var start = 0
        while start < m {
            if shouldStop() { throw TrainingError.invalidOption("interrupted; a streamed one-hot run cannot be resumed, rerun it") }
            let c = min(workers * per, m - start)
            adam.withUnsafeBufferPointer { adam in
                // Worker t writes only its own scratch and the batch slots t·per ..< (t + 1)·per of
                // `buffers`; everything else is read only.
                let work: (Int) -> Void = { worker in
                    for i in min(c, worker * per)..<min(c, (worker + 1) * per) {
                        self.trainColumn(start + i, slot: i, buffers, scratch: worker, logSteps: logSteps, adam: adam)
                    }
                }
                let shared = WorkerShared(work)
                DispatchQueue.concurrentPerform(iterations: workers) { shared.value($0) }
            }
            for i in 0..<c where buffers.failures[i].step >= 0 {
                throw TrainingError.diverged(step: buffers.failures[i].step, reason: "loss of context \(start + i) is \(buffers.failures[i].term)")
            }
            // Shares in context order.
            for i in 0..<c {
                if withReference {
                    mm2 += buffers.refShares[3 * i]; star2 += buffers.refShares[3 * i + 1]; starDotMM += buffers.refShares[3 * i + 2]
                }
                for li in 0..<logSteps.count {
                    let r = buffers.records[i * logSteps.count + li]
                    sums[li].ce += r.ce; sums[li].w2.add(r.w2); sums[li].wDotMM += r.wDotMM
                    sums[li].wDotStar += r.wDotStar; sums[li].proj2.add(r.proj2)
                }
            }
            try emit(start, c, UnsafeBufferPointer(start: buffers.w, count: c * v))
            start += c
        }
        return zip(logSteps, sums).map { step, s in
            s.row(step: step, entropy: loss.entropy, mm2: withReference ? mm2 : nil, star2: star2, starDotMM: starDotMM)
        }
    }

    /// The logged steps: every `logEvery`-th from 0, and the last.
    private func logSchedule() -> [Int] {
        var logSteps = Array(stride(from: 0, through: options.steps, by: options.logEvery))
        if logSteps.last != options.steps { logSteps.append(options.steps) }
        return logSteps
    }

    /// Context j from W_0 through all steps, in batch slot `slot`: its final column, log shares,
    /// reference shares and first failure go to that slot of `buffers`.
    private func trainColumn(_ j: Int, slot i: Int, _ buffers: ColumnBuffers, scratch worker: Int, logSteps: [Int],
                             adam: UnsafeBufferPointer<Optimizer.AdamCoefficients>) {
        let v = loss.vocabularySize, m = loss.contextCount
        let scratch = buffers.scratch(worker)
        let col = buffers.w + i * v
        if options.initialization == .zero {
            col.initialize(repeating: 0, count: v)
        } else {
            for t in 0..<v { col[t] = options.initialization.value(index: t * m + j, dimension: m) }
        }
        if withReference {
            OnehotColumns.reference(loss, context: j, wStar: scratch.wStar, wMM: scratch.wMM)
            buffers.refShares[3 * i] = ck_dot(scratch.wMM, scratch.wMM, Int64(v))
            buffers.refShares[3 * i + 1] = ck_dot(scratch.wStar, scratch.wStar, Int64(v))
            buffers.refShares[3 * i + 2] = ck_dot(scratch.wStar, scratch.wMM, Int64(v))
        }
        buffers.failures[i] = (-1, 0)
        loss.supportTokens.withUnsafeBufferPointer { tokens in
            loss.targetProbabilities.withUnsafeBufferPointer { probs in
                let lo = loss.rowOffsets[j]
                let column = Column(index: j, w: col, support: tokens.baseAddress! + lo, probabilities: probs.baseAddress! + lo,
                                    supportSize: loss.rowOffsets[j + 1] - lo, weight: loss.contextWeights[j])
                let records = buffers.records + i * logSteps.count
                let failure = options.optimizer.kind == .adam
                    ? adamColumn(column, scratch, logSteps: logSteps, adam: adam, records: records)
                    : gdColumn(column, scratch, logSteps: logSteps, records: records)
                if let failure { buffers.failures[i] = failure }
            }
        }
    }

    /// One context's column of W and its data (support S_j, p̂_j, π̂_j).
    private struct Column {
        let index: Int
        let w: UnsafeMutablePointer<Double>
        let support: UnsafePointer<Int32>, probabilities: UnsafePointer<Double>
        let supportSize: Int, weight: Double
    }

    /// Adam on one column: the body of `NTPLoss.softmaxPass` for one context (scale 1), then the
    /// update. Logged shares go to `records`; returns the first non-finite loss term, if any.
    private func adamColumn(_ c: Column, _ s: ColumnBuffers.Scratch, logSteps: [Int],
                            adam: UnsafeBufferPointer<Optimizer.AdamCoefficients>,
                            records: UnsafeMutablePointer<LogSums>) -> (step: Int, term: Double)? {
        let v = loss.vocabularySize, steps = options.steps, k = c.supportSize
        if steps > 0 { s.mom1.initialize(repeating: 0, count: v); s.mom2.initialize(repeating: 0, count: v) }
        var li = 0
        for step in 0...steps {
            s.row.update(from: c.w, count: v)
            var dot = 0.0
            for e in 0..<k { dot += c.probabilities[e] * s.row[Int(c.support[e])] }
            let mx = ck_max(s.row, Int64(v))
            let sum = ck_exp_shifted_sum(s.row, s.row, Int64(v), mx)
            let term = c.weight * (mx + log(sum) - dot)
            if li < logSteps.count && logSteps[li] == step {
                records[li] = share(column: c.index, w: c.w, wStar: s.wStar, wMM: s.wMM, ce: term)
                li += 1
            }
            if step == steps { break }
            if !term.isFinite { return (step, term) }
            ck_scale(s.row, Int64(v), c.weight / sum)
            for e in 0..<k { s.row[Int(c.support[e])] -= c.weight * c.probabilities[e] }
            Optimizer.adamUpdate(adam[step], g: s.row, w: c.w, m: s.mom1, v: s.mom2, count: v)
        }
        return nil
    }

    /// GD on one column, fused in `ck_onehot_gd` between logged steps. Logged shares go to
    /// `records`; returns the first non-finite loss term, if any.
    private func gdColumn(_ c: Column, _ s: ColumnBuffers.Scratch, logSteps: [Int],
                          records: UnsafeMutablePointer<LogSums>) -> (step: Int, term: Double)? {
        let v = Int64(loss.vocabularySize), k = Int64(c.supportSize), eta = options.optimizer.learningRate
        // `count` updates from the current column (0: only the term); -1 or the failing step.
        func run(_ count: Int, _ term: inout Double) -> Int {
            Int(ck_onehot_gd(c.w, s.row, s.save, v, c.support, c.probabilities, k, c.weight, eta, Int64(count), &term))
        }
        var step = 0
        for li in 0..<logSteps.count {
            var term = 0.0
            if logSteps[li] > step {
                let bad = run(logSteps[li] - step, &term)
                if bad >= 0 { _ = run(0, &term); return (step + bad, term) }
                step = logSteps[li]
            }
            // The CE term at this step comes with the first update of the next segment.
            let next = li + 1 < logSteps.count ? logSteps[li + 1] : options.steps
            var logged = share(column: c.index, w: c.w, wStar: s.wStar, wMM: s.wMM, ce: 0)
            let bad = run(next - step, &term)
            logged.ce = term
            records[li] = logged
            if bad >= 0 { _ = run(0, &term); return (step + bad, term) }
            step = next
        }
        return nil
    }

    /// Column j's share of the log sums, with CE term `ce` (`wStar`/`wMM`: its reference columns).
    private func share(column j: Int, w: UnsafeMutablePointer<Double>, wStar: UnsafeMutablePointer<Double>,
                       wMM: UnsafeMutablePointer<Double>, ce: Double) -> LogSums {
        let v = loss.vocabularySize
        var s = LogSums()
        s.ce = ce
        s.w2 = ScaledSquares(w, count: v, plain: ck_dot(w, w, Int64(v)))
        guard withReference else { return s }
        s.wDotMM = ck_dot(w, wMM, Int64(v))
        s.wDotStar = ck_dot(w, wStar, Int64(v))
        addSupportDistanceSquared(column: j, w: w, wStar: wStar, to: &s.proj2)
        return s
    }

    /// Adds (w_z − mean_S(w) − w*_z)² over context j's support, term by term, to `sum`: the squared
    /// distance of column j's 𝓕 part (the centred support entries) from W*'s column.
    @inline(__always)
    private func addSupportDistanceSquared(column j: Int, w: UnsafePointer<Double>, wStar: UnsafePointer<Double>,
                                           to sum: inout ScaledSquares) {
        let lo = loss.rowOffsets[j], hi = loss.rowOffsets[j + 1]
        var mean = 0.0
        for e in lo..<hi { mean += w[Int(loss.supportTokens[e])] }
        mean /= Double(hi - lo)
        for e in lo..<hi {
            let z = Int(loss.supportTokens[e])
            sum.add(w[z] - mean - wStar[z])
        }
    }

    private func run<T: LossScalar>(_ ws: NTPLoss.Workspace<T>, shouldStop: () -> Bool,
                                    emit: (Int, Int, UnsafeBufferPointer<Double>) throws -> Void) throws -> [LogRow] {
        let v = loss.vocabularySize, m = loss.contextCount, b = loss.blockSize
        let steps = options.steps
        let logSteps = logSchedule()
        var sums = [LogSums](repeating: LogSums(), count: logSteps.count)
        var mm2 = 0.0, star2 = 0.0, starDotMM = 0.0
        let cfg = options.optimizer
        let isAdam = cfg.kind == .adam
        // Raw buffers: the per-step loops below run over V × block elements and must not pay for
        // array uniqueness checks.
        let w = UnsafeMutablePointer<Double>.allocate(capacity: max(1, b * v))
        let mom1 = UnsafeMutablePointer<Double>.allocate(capacity: isAdam ? b * v : 1)
        let mom2 = UnsafeMutablePointer<Double>.allocate(capacity: isAdam ? b * v : 1)
        let gBuf = UnsafeMutablePointer<Double>.allocate(capacity: isAdam ? b * v : 1)
        defer { w.deallocate(); mom1.deallocate(); mom2.deallocate(); gBuf.deallocate() }
        var wStar = [Double](repeating: 0, count: withReference ? b * v : 0), wMM = wStar
        let adam = (0..<steps).map { Optimizer.AdamCoefficients(cfg, step: $0 + 1) }
        let logits = ws.logits, terms = ws.terms
        var start = 0
        while start < m {
            if shouldStop() { throw TrainingError.invalidOption("interrupted; a streamed one-hot run cannot be resumed, rerun it") }
            let c = min(b, m - start)
            let n = c * v
            for i in 0..<c {
                for t in 0..<v { w[i * v + t] = options.initialization.value(index: t * m + start + i, dimension: m) }
            }
            if isAdam { mom1.initialize(repeating: 0, count: n); mom2.initialize(repeating: 0, count: n) }
            if withReference {
                wStar.withUnsafeMutableBufferPointer { sp in
                    wMM.withUnsafeMutableBufferPointer { mp in
                        for i in 0..<c {
                            OnehotColumns.reference(loss, context: start + i, wStar: sp.baseAddress! + i * v, wMM: mp.baseAddress! + i * v)
                        }
                    }
                }
                for i in 0..<n { mm2 += wMM[i] * wMM[i]; star2 += wStar[i] * wStar[i]; starDotMM += wStar[i] * wMM[i] }
            }
            var logIndex = 0
            for k in 0...steps {
                let logging = logIndex < logSteps.count && logSteps[logIndex] == k
                for i in 0..<n { logits[i] = T(w[i]) }
                loss.softmaxPass(ws, contexts: nil, start: start, count: c, scale: 1, gradient: k < steps)
                if logging {
                    var s = sums[logIndex]
                    for i in 0..<c { s.ce += terms[i] }
                    for i in 0..<c { accumulate(&s, column: start + i, w: w + i * v, wStar: wStar, wMM: wMM, at: i * v) }
                    sums[logIndex] = s
                    logIndex += 1
                }
                if k == steps { break }
                for i in 0..<c where !terms[i].isFinite {
                    throw TrainingError.diverged(step: k, reason: "loss of context \(start + i) is \(terms[i])")
                }
                switch cfg.kind {
                case .gd:
                    // Same expression as Optimizer (w − η·g with g rounded to Double first).
                    let eta = cfg.learningRate
                    for i in 0..<n { w[i] -= eta * logits[i].asDouble }
                case .adam:
                    for i in 0..<n { gBuf[i] = logits[i].asDouble }
                    Optimizer.adamUpdate(adam[k], g: gBuf, w: w, m: mom1, v: mom2, count: n)
                case .ngd: break
                }
            }
            try emit(start, c, UnsafeBufferPointer(start: w, count: n))
            start += c
        }
        return zip(logSteps, sums).map { step, s in
            s.row(step: step, entropy: loss.entropy, mm2: withReference ? mm2 : nil, star2: star2, starDotMM: starDotMM)
        }
    }

    /// Adds column j's share of the log sums (`w` points at the column's V entries; `at` is the
    /// column's offset in the block's W*/W^mm arrays).
    @inline(__always)
    private func accumulate(_ s: inout LogSums, column j: Int, w: UnsafeMutablePointer<Double>, wStar: [Double], wMM: [Double], at base: Int) {
        let v = loss.vocabularySize
        for t in 0..<v { s.w2.add(w[t]) }
        guard withReference else { return }
        for t in 0..<v { s.wDotMM += w[t] * wMM[base + t]; s.wDotStar += w[t] * wStar[base + t] }
        wStar.withUnsafeBufferPointer { addSupportDistanceSquared(column: j, w: w, wStar: $0.baseAddress! + base, to: &s.proj2) }
    }
}

/// The Float64 path's buffers: per batch slot the final column, log shares, reference shares and
/// first failure; per worker a softmax row, a support save area, Adam moments and W*/W^mm columns.
private final class ColumnBuffers {
    let w: UnsafeMutablePointer<Double>
    let records: UnsafeMutablePointer<LogSums>
    let refShares: UnsafeMutablePointer<Double>
    let failures: UnsafeMutablePointer<(step: Int, term: Double)>
    private let scratchBase: UnsafeMutablePointer<Double>
    private let v: Int, maxSupport: Int, adam: Bool, reference: Bool, scratchCount: Int

    /// One worker's scratch columns (disjoint from every other worker's).
    struct Scratch {
        let row, save, mom1, mom2, wStar, wMM: UnsafeMutablePointer<Double>
    }

    init(batch: Int, workers: Int, vocabulary v: Int, logCount: Int, maxSupport: Int, adam: Bool, reference: Bool) {
        self.v = v; self.maxSupport = maxSupport; self.adam = adam; self.reference = reference
        scratchCount = Self.scratchCount(vocabulary: v, maxSupport: maxSupport, adam: adam, reference: reference)
        w = .allocate(capacity: batch * v)
        records = .allocate(capacity: batch * logCount)
        refShares = .allocate(capacity: batch * 3)
        failures = .allocate(capacity: batch)
        scratchBase = .allocate(capacity: workers * scratchCount)
    }

    /// Doubles of one worker's scratch: a softmax row, a support save area, Adam's two moments and
    /// the W*/W^mm columns.
    static func scratchCount(vocabulary v: Int, maxSupport: Int, adam: Bool, reference: Bool) -> Int {
        v * (adam ? 3 : 1) + maxSupport + (reference ? 2 * v : 0)
    }

    func scratch(_ worker: Int) -> Scratch {
        let row = scratchBase + worker * scratchCount, save = row + v
        let mom1 = save + maxSupport, mom2 = mom1 + (adam ? v : 0)
        let wStar = mom2 + (adam ? v : 0), wMM = wStar + (reference ? v : 0)
        return Scratch(row: row, save: save, mom1: mom1, mom2: mom2, wStar: wStar, wMM: wMM)
    }

    func deallocate() {
        w.deallocate(); records.deallocate(); refShares.deallocate(); failures.deallocate(); scratchBase.deallocate()
    }
}
