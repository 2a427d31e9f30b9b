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
    /// `shouldStop` is polled between blocks; stopping throws (a streamed run cannot resume).
    public func run(shouldStop: () -> Bool = { false },
                    emit: (Int, Int, UnsafeBufferPointer<Double>) throws -> Void = { _, _, _ in }) throws -> [LogRow] {
        if let ws = loss.work32 { return try run(ws, shouldStop: shouldStop, emit: emit) }
        return try runColumns(shouldStop: shouldStop, emit: emit)
    }

    /// Contexts per worker and batch in the Float64 path.
    static let columnsPerWorker = 16

    /// Float64: column by column through all steps (GD fused in one C kernel, Adam through the
    /// same softmax kernels as `NTPLoss.softmaxPass`).
    private func runColumns(shouldStop: () -> Bool,
                            emit: (Int, Int, UnsafeBufferPointer<Double>) throws -> Void) throws -> [LogRow] {
        let v = loss.vocabularySize, m = loss.contextCount
        let steps = options.steps, every = options.logEvery
        var logSteps = Array(stride(from: 0, through: steps, by: every))
        if logSteps.last != steps { logSteps.append(steps) }
        let logCount = logSteps.count
        var sums = [LogSums](repeating: LogSums(), count: logCount)
        var mm2 = 0.0, star2 = 0.0, starDotMM = 0.0
        let cfg = options.optimizer
        let isAdam = cfg.kind == .adam
        let workers = max(1, min(loss.threads, (m + OnehotStreamingTrainer.columnsPerWorker - 1) / OnehotStreamingTrainer.columnsPerWorker))
        let per = OnehotStreamingTrainer.columnsPerWorker
        let batch = workers * per
        let maxSupport = (0..<m).reduce(1) { max($0, loss.rowOffsets[$1 + 1] - loss.rowOffsets[$1]) }
        // Per batch: W columns (emitted), per-column log shares, reference shares, divergence.
        let w = UnsafeMutablePointer<Double>.allocate(capacity: batch * v)
        let records = UnsafeMutablePointer<LogSums>.allocate(capacity: batch * logCount)
        let refShares = UnsafeMutablePointer<Double>.allocate(capacity: batch * 3)
        let failures = UnsafeMutablePointer<(step: Int, term: Double)>.allocate(capacity: batch)
        // Per worker: softmax row, support save area, Adam moments, reference columns.
        let scratchCount = v * (isAdam ? 3 : 1) + maxSupport + (withReference ? 2 * v : 0)
        let scratch = UnsafeMutablePointer<Double>.allocate(capacity: workers * scratchCount)
        defer {
            w.deallocate(); records.deallocate(); refShares.deallocate(); failures.deallocate(); scratch.deallocate()
        }
        let adam = (0..<steps).map { Optimizer.AdamCoefficients(cfg, step: $0 + 1) }
        let initialization = options.initialization
        let withRef = withReference
        var start = 0
        while start < m {
            if shouldStop() { throw TrainingError.invalidOption("interrupted; a streamed one-hot run cannot be resumed, rerun it") }
            let c = min(batch, m - start)
            loss.rowOffsets.withUnsafeBufferPointer { offsets in
            loss.supportTokens.withUnsafeBufferPointer { tokens in
            loss.targetProbabilities.withUnsafeBufferPointer { probs in
            adam.withUnsafeBufferPointer { adam in
                // Worker t writes only its own scratch slice and the batch columns t·per ..< (t + 1)·per
                // of w, records, refShares and failures; everything else is read only.
                let work: (Int) -> Void = { worker in
                    let base = scratch + worker * scratchCount
                    let row = base, save = base + v
                    let mom1 = save + maxSupport, mom2 = mom1 + (isAdam ? v : 0)
                    let wStar = mom2 + (isAdam ? v : 0), wMM = wStar + (withRef ? v : 0)
                    var i = worker * per
                    while i < min(c, (worker + 1) * per) {
                        let j = start + i
                        let col = w + i * v
                        let rec = records + i * logCount
                        if initialization == .zero {
                            col.initialize(repeating: 0, count: v)
                        } else {
                            for t in 0..<v { col[t] = initialization.value(index: t * m + j, dimension: m) }
                        }
                        if withRef {
                            OnehotColumns.reference(self.loss, context: j, wStar: wStar, wMM: wMM)
                            refShares[3 * i] = ck_dot(wMM, wMM, Int64(v))
                            refShares[3 * i + 1] = ck_dot(wStar, wStar, Int64(v))
                            refShares[3 * i + 2] = ck_dot(wStar, wMM, Int64(v))
                        }
                        let lo = offsets[j], k = offsets[j + 1] - lo
                        let sup = tokens.baseAddress! + lo, prob = probs.baseAddress! + lo
                        let pi = self.loss.contextWeights[j]
                        failures[i] = (-1, 0)
                        if isAdam {
                            if steps > 0 { mom1.initialize(repeating: 0, count: v); mom2.initialize(repeating: 0, count: v) }
                            var li = 0
                            for step in 0...steps {
                                // The body of NTPLoss.softmaxPass for one context (scale 1).
                                row.update(from: col, count: v)
                                var dot = 0.0
                                for e in 0..<k { dot += prob[e] * row[Int(sup[e])] }
                                let mx = ck_max(row, Int64(v))
                                let s = ck_exp_shifted_sum(row, row, Int64(v), mx)
                                let term = pi * (mx + log(s) - dot)
                                if li < logCount && logSteps[li] == step {
                                    rec[li] = self.share(column: j, w: col, wStar: wStar, wMM: wMM, ce: term)
                                    li += 1
                                }
                                if step == steps { break }
                                if !term.isFinite { failures[i] = (step, term); break }
                                ck_scale(row, Int64(v), pi / s)
                                for e in 0..<k { row[Int(sup[e])] -= pi * prob[e] }
                                Optimizer.adamUpdate(adam[step], g: row, w: col, m: mom1, v: mom2, count: v)
                            }
                        } else {
                            var step = 0
                            for li in 0..<logCount {
                                let target = logSteps[li]
                                var term = 0.0
                                if target > step {
                                    let bad = ck_onehot_gd(col, row, save, Int64(v), sup, prob, Int64(k), pi, cfg.learningRate,
                                                           Int64(target - step), &term)
                                    if bad >= 0 {
                                        _ = ck_onehot_gd(col, row, save, Int64(v), sup, prob, Int64(k), pi, cfg.learningRate, 0, &term)
                                        failures[i] = (step + Int(bad), term)
                                        break
                                    }
                                    step = target
                                }
                                // The CE term at this step comes with the first update of the next segment.
                                let next = li + 1 < logCount ? logSteps[li + 1] : steps
                                var share = self.share(column: j, w: col, wStar: wStar, wMM: wMM, ce: 0)
                                let bad = ck_onehot_gd(col, row, save, Int64(v), sup, prob, Int64(k), pi, cfg.learningRate,
                                                       Int64(next - step), &term)
                                share.ce = term
                                rec[li] = share
                                if bad >= 0 {
                                    _ = ck_onehot_gd(col, row, save, Int64(v), sup, prob, Int64(k), pi, cfg.learningRate, 0, &term)
                                    failures[i] = (step + Int(bad), term)
                                    break
                                }
                                step = next
                            }
                        }
                        i += 1
                    }
                }
                let shared = WorkerShared(work)
                DispatchQueue.concurrentPerform(iterations: workers) { shared.value($0) }
            }}}}
            for i in 0..<c where failures[i].step >= 0 {
                throw TrainingError.diverged(step: failures[i].step, reason: "loss of context \(start + i) is \(failures[i].term)")
            }
            // Shares in context order.
            for i in 0..<c {
                if withRef { mm2 += refShares[3 * i]; star2 += refShares[3 * i + 1]; starDotMM += refShares[3 * i + 2] }
                for li in 0..<logCount {
                    let r = records[i * logCount + li]
                    sums[li].ce += r.ce; sums[li].w2 += r.w2; sums[li].wDotMM += r.wDotMM
                    sums[li].wDotStar += r.wDotStar; sums[li].proj2 += r.proj2
                }
            }
            try emit(start, c, UnsafeBufferPointer(start: w, count: c * v))
            start += c
        }
        return zip(logSteps, sums).map { step, s in
            s.row(step: step, entropy: loss.entropy, mm2: withReference ? mm2 : nil, star2: star2, starDotMM: starDotMM)
        }
    }

    /// Column j's share of the log sums, with CE term `ce` (`wStar`/`wMM`: its reference columns).
    private func share(column j: Int, w: UnsafeMutablePointer<Double>, wStar: UnsafeMutablePointer<Double>,
                       wMM: UnsafeMutablePointer<Double>, ce: Double) -> LogSums {
        let v = loss.vocabularySize
        var s = LogSums()
        s.ce = ce
        s.w2 = ck_dot(w, w, Int64(v))
        guard withReference else { return s }
        s.wDotMM = ck_dot(w, wMM, Int64(v))
        s.wDotStar = ck_dot(w, wStar, Int64(v))
        let lo = loss.rowOffsets[j], hi = loss.rowOffsets[j + 1]
        var mean = 0.0
        for e in lo..<hi { mean += w[Int(loss.supportTokens[e])] }
        mean /= Double(hi - lo)
        for e in lo..<hi {
            let z = Int(loss.supportTokens[e])
            let t = w[z] - mean - wStar[z]
            s.proj2 += t * t
        }
        return s
    }

    private func run<T: LossScalar>(_ ws: NTPLoss.Workspace<T>, shouldStop: () -> Bool,
                                    emit: (Int, Int, UnsafeBufferPointer<Double>) throws -> Void) throws -> [LogRow] {
        let v = loss.vocabularySize, m = loss.contextCount, b = loss.blockSize
        let steps = options.steps, every = options.logEvery
        var logSteps = Array(stride(from: 0, through: steps, by: every))
        if logSteps.last != steps { logSteps.append(steps) }
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
        for t in 0..<v { s.w2 += w[t] * w[t] }
        guard withReference else { return }
        for t in 0..<v { s.wDotMM += w[t] * wMM[base + t]; s.wDotStar += w[t] * wStar[base + t] }
        let lo = loss.rowOffsets[j], hi = loss.rowOffsets[j + 1]
        var mean = 0.0
        for e in lo..<hi { mean += w[Int(loss.supportTokens[e])] }
        mean /= Double(hi - lo)
        for e in lo..<hi {
            let z = Int(loss.supportTokens[e])
            let t = w[z] - mean - wStar[base + z]
            s.proj2 += t * t
        }
    }
}
