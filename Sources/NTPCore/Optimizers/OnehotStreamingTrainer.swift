/// Training with one-hot contexts (H = I, d = m) without ever holding the V × m matrix W.
///
/// With H = I context j only sees column j of W, so GD and Adam decouple over contexts: each
/// block of contexts is taken through ALL steps on its own (memory O(V · block)), and every log
/// quantity — CE, ‖W‖², ⟨W, W^mm⟩, ⟨W, W*⟩, ‖P_𝓕 W − W*‖² — is a sum over columns that is
/// accumulated across blocks (the reference limits use their closed forms, theory.md §4).
/// CE sums run in context order exactly as in `NTPLoss`, and the per-entry updates are the same
/// expressions as `Optimizer`, so CE values and the final W are bit-identical to a dense run of
/// `Trainer` with `TrainingReference.onehot`; the norm/cosine columns agree to rounding (their
/// sums run column-wise here, row-wise there). Normalized GD couples all columns through ‖∇‖
/// and stochastic batches couple them through the sampling, so both are refused here.
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
        return try run(loss.work64, shouldStop: shouldStop, emit: emit)
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
