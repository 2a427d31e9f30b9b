import Foundation
import NTPFormats

/// Starting point W_0.
public enum Initialization: Sendable, Equatable, Codable, CustomStringConvertible {
    /// W_0 = 0 (the paper's choice).
    case zero
    /// W_0 entries i.i.d. N(0, 1/d), entry i drawn from (seed, i) alone, so any block of W can be
    /// generated without the rest (the streaming one-hot trainer relies on it).
    case gaussian(seed: UInt64)

    /// Parses `zero` or `gaussian:SEED`.
    public init(parsing text: String) throws {
        if text == "zero" { self = .zero; return }
        let parts = text.split(separator: ":")
        if parts.count == 2, parts[0] == "gaussian", let s = UInt64(parts[1]) { self = .gaussian(seed: s); return }
        throw TrainingError.invalidOption("--init must be zero or gaussian:SEED, got '\(text)'")
    }

    public var description: String {
        switch self {
        case .zero: return "zero"
        case .gaussian(let s): return "gaussian:\(s)"
        }
    }

    /// Entry `index` of W_0 for embedding dimension d.
    @inline(__always)
    public func value(index: Int, dimension d: Int) -> Double {
        switch self {
        case .zero: return 0
        case .gaussian(let seed):
            var g = SeededGenerator(seed: seed ^ (UInt64(truncatingIfNeeded: index) &* 0x9E37_79B9_7F4A_7C15))
            return g.nextGaussian() / Double(d).squareRoot()
        }
    }

    /// The full W_0 (V · d entries).
    public func weights(count: Int, dimension d: Int) -> [Double] {
        (0..<count).map { value(index: $0, dimension: d) }
    }
}

/// Everything that defines a training run (stored in checkpoints).
public struct TrainingOptions: Sendable, Codable, Equatable {
    /// Method and step size.
    public var optimizer: OptimizerConfig
    /// Total number of updates.
    public var steps: Int
    /// Log every this many updates (and always at 0 and at the end).
    public var logEvery: Int
    /// W_0.
    public var initialization: Initialization
    /// Contexts per stochastic step (nil = full batch).
    public var batchContexts: Int?
    /// Seed of the context sampling.
    public var seed: UInt64
    /// Stop with `TrainingError.diverged` after this many consecutive full-batch GD loss increases
    /// (also stopped, any method: NaN/Inf anywhere, or a full-data loss above 1000 × max(CE(W_0), 1));
    /// see `DivergenceWatch` for which steps each path checks.
    public var divergencePatience: Int

    /// Options with the documented defaults.
    public init(optimizer: OptimizerConfig, steps: Int, logEvery: Int = 100, initialization: Initialization = .zero,
                batchContexts: Int? = nil, seed: UInt64 = 0, divergencePatience: Int = 20) {
        self.optimizer = optimizer; self.steps = steps; self.logEvery = max(1, logEvery)
        self.initialization = initialization; self.batchContexts = batchContexts; self.seed = seed
        self.divergencePatience = divergencePatience
    }
}

/// Training failures (one-line descriptions).
public enum TrainingError: Error, CustomStringConvertible, Equatable {
    case diverged(step: Int, reason: String)
    case invalidOption(String)
    case tooLarge(String)
    case badCheckpoint(String)
    public var description: String {
        switch self {
        case .diverged(let k, let why): return "training diverged at step \(k) (\(why)); try a smaller --lr"
        case .invalidOption(let s): return s
        case .tooLarge(let s): return s
        case .badCheckpoint(let s): return "cannot resume: \(s)"
        }
    }
}

/// What a run produced.
public struct TrainingResult {
    /// W after `stepsDone` updates (V × d row-major).
    public var weights: [Double]
    /// Logged rows, in step order.
    public var log: [LogRow]
    /// Updates applied in total (including those before a resume).
    public var stepsDone: Int
    /// Optimizer state at `stepsDone`.
    public var optimizerState: OptimizerState
    /// True when the run stopped early on request (SIGINT); then checkpoint and resume.
    public var interrupted: Bool
}

/// Full-batch or stochastic training of W (V × d) on an `NTPLoss`.
public final class Trainer {
    /// The loss.
    public let loss: NTPLoss
    /// The run's options.
    public let options: TrainingOptions
    /// Optional limits for the alignment columns.
    public let reference: TrainingReference?
    private let mm2: Double?, star2: Double, starDotMM: Double

    /// A trainer; `reference` arrays must have V · d entries.
    public init(loss: NTPLoss, options: TrainingOptions, reference: TrainingReference? = nil) throws {
        let n = loss.parameterCount
        if let r = reference, r.wStar.count != n || (r.hasDirection && r.wMM.count != n) {
            throw LossError.shapeMismatch("reference W*/W^mm must have V·d = \(counted(n, "entry", plural: "entries"))")
        }
        if let b = options.batchContexts, b < 1 || b > loss.contextCount {
            throw TrainingError.invalidOption("--batch-contexts must be in 1...\(loss.contextCount)")
        }
        // W and its gradient, and Adam's two moments, each V × d.
        let arrays = options.optimizer.kind == .adam ? 4 : 2
        try AvailableMemory.require(product: [n, arrays, MemoryLayout<Double>.size],
                                    for: "training W (V × d = \(loss.vocabularySize) × \(loss.dimension)) with \(options.optimizer.kind == .adam ? "Adam" : options.optimizer.kind.rawValue.uppercased())",
                                    advice: "keep fewer tokens (ingest --max-vocab) or use a smaller embedding")
        self.loss = loss; self.options = options; self.reference = reference
        let direction = reference.flatMap { $0.hasDirection ? $0 : nil }
        mm2 = direction.map { Trainer.dot($0.wMM, $0.wMM) }
        star2 = reference.map { Trainer.dot($0.wStar, $0.wStar) } ?? 0
        starDotMM = direction.map { Trainer.dot($0.wStar, $0.wMM) } ?? 0
    }

    static func dot(_ a: [Double], _ b: [Double]) -> Double {
        var s = 0.0
        for i in a.indices { s += a[i] * b[i] }
        return s
    }

    /// The log row for W with known CE.
    public func logRow(step: Int, ce: Double, weights w: [Double]) -> LogRow {
        var sums = LogSums()
        sums.ce = ce
        sums.w2 = w.withUnsafeBufferPointer { ScaledSquares($0.baseAddress!, count: w.count, plain: Trainer.dot(w, w)) }
        if let r = reference {
            if r.hasDirection { sums.wDotMM = Trainer.dot(w, r.wMM) }
            sums.wDotStar = Trainer.dot(w, r.wStar)
            let p = r.projectOntoF(w)
            for i in p.indices { sums.proj2.add(p[i] - r.wStar[i]) }
            if let g = r.margins {
                var row = sums.row(step: step, entropy: loss.entropy, mm2: mm2, star2: star2, starDotMM: starDotMM, distance: true)
                var perp = w
                for i in perp.indices { perp[i] -= p[i] }
                (row.marginInfRatio, row.marginL2Ratio) = g.ratios(perp: perp)
                return row
            }
        }
        return sums.row(step: step, entropy: loss.entropy, mm2: mm2, star2: star2, starDotMM: starDotMM,
                        distance: reference != nil)
    }

    /// Runs from W_0 (or from `resume`) to `options.steps` updates. `shouldStop` is polled after
    /// every update (pass `{ InterruptFlag.isRaised }` for Ctrl-C); `onLog` sees each row as it
    /// is made. Throws `TrainingError.diverged` as `DivergenceWatch` decides (every step at full
    /// batch, the logged steps with stochastic batches) or when W gets a non-finite entry.
    public func run(resume: TrainingCheckpoint? = nil, shouldStop: () -> Bool = { false },
                    onLog: (LogRow) -> Void = { _ in }) throws -> TrainingResult {
        let n = loss.parameterCount, m = loss.contextCount
        var w = resume?.weights ?? options.initialization.weights(count: n, dimension: loss.dimension)
        var opt = Optimizer(config: options.optimizer, parameterCount: n, state: resume?.optimizerState)
        var log = resume?.log ?? []
        var g = [Double](repeating: 0, count: n)
        var k = resume?.step ?? 0
        var watch = DivergenceWatch(options: options, fullBatch: options.batchContexts.map { $0 >= m } ?? true)
        let batch = options.batchContexts.flatMap { $0 < m ? $0 : nil }
        var ids = [Int](repeating: 0, count: batch ?? 0)
        var swaps = [Int](repeating: 0, count: batch ?? 0)
        var pool = Array(0..<(batch == nil ? 0 : m))
        func record(_ ce: Double) {
            let row = logRow(step: k, ce: ce, weights: w)
            log.append(row)
            onLog(row)
        }
        while true {
            let logging = k % options.logEvery == 0 || k == options.steps
            let ce: Double
            if let batch {
                ce = logging || k == options.steps ? loss.loss(w) : .nan
                if logging {
                    record(ce)
                    try watch.observe(step: k, ce: ce)
                }
                if k == options.steps { break }
                // Sample `batch` distinct contexts: partial Fisher–Yates from a generator seeded
                // by (seed, step), so a resumed run draws the same batches. Scale m/B makes the
                // expected gradient the full one.
                var rng = SeededGenerator(seed: options.seed ^ (UInt64(k) &* 0xD1B5_4A32_D192_ED03))
                for i in 0..<batch {
                    let r = i + Int(rng.next() % UInt64(m - i))
                    pool.swapAt(i, r)
                    ids[i] = pool[i]
                    swaps[i] = r
                }
                // Undo the swaps, so the pool is 0..<m again and step k's batch depends on (seed, k)
                // alone: a run resumed from a checkpoint draws exactly the batches of a straight run.
                for i in stride(from: batch - 1, through: 0, by: -1) { pool.swapAt(i, swaps[i]) }
                ids.sort()
                let est = ids.withUnsafeBufferPointer { idp in
                    w.withUnsafeBufferPointer { wp in
                        g.withUnsafeMutableBufferPointer { gp in
                            loss.evaluate(wp.baseAddress!, gradient: gp.baseAddress!, contexts: idp,
                                          scale: Double(m) / Double(batch))
                        }
                    }
                }
                if !est.isFinite { throw TrainingError.diverged(step: k, reason: "loss is \(est)") }
            } else {
                ce = loss.lossAndGradient(w, gradient: &g)
                if logging { record(ce) }
                try watch.observe(step: k, ce: ce)
                if k == options.steps { break }
            }
            opt.apply(gradient: g, to: &w)
            k += 1
            if !w.allSatisfy({ $0.isFinite }) { throw TrainingError.diverged(step: k, reason: "W has non-finite entries") }
            if shouldStop() && k < options.steps {
                return TrainingResult(weights: w, log: log, stepsDone: k, optimizerState: opt.state, interrupted: true)
            }
        }
        return TrainingResult(weights: w, log: log, stepsDone: k, optimizerState: opt.state, interrupted: false)
    }
}
