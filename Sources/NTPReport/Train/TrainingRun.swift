import Foundation
import NTPCore
import NTPFormats

/// `ntpsep train`: trains the linear decoder W (V × d) with GD, normalized GD or Adam, logging
/// against the reference limits W* and W^mm; Ctrl-C writes a checkpoint (see `Train`'s help).
public struct TrainingRun {
    /// The data set (.npz).
    public var data: String
    /// The --embedding spec, as given.
    public var embedding: String
    /// GD, NGD or Adam (nil: gd, or the checkpoint's; a resume refuses another).
    public var optimizer: OptimizerKind?
    /// "auto", "none" or a `ntpsep solve` output (nil: the resumed checkpoint's, else "auto").
    public var reference: String?
    /// Step size η (nil: the optimizer's default, or the checkpoint's; a resume refuses another).
    public var learningRate: Double?
    /// Updates (nil: 1000, or the checkpoint's).
    public var steps: Int?
    /// "zero" or "gaussian:SEED" (nil: zero, or the checkpoint's; a resume refuses another).
    public var initialization: String?
    /// Contexts per stochastic step (nil: full batch, or the checkpoint's; a resume refuses another).
    public var batchContexts: Int?
    /// Seconds for γ*_∞'s LP when `--reference auto` solves in-process (QA: 60 s for one step, with no way to bound it).
    public var linfTimeLimit: Double = 60
    /// Updates between log rows (nil: 100, or the checkpoint's; a resume refuses another).
    public var logEvery: Int?
    /// The CSV log.
    public var log: String?
    /// The final W (.npy).
    public var output: String?
    /// The four panels (SVG).
    public var plot: String?
    /// Precision of the loss kernels (nil: float64, or the checkpoint's; a resume refuses another).
    /// `run()` resolves it before training.
    public var precision: Precision?
    /// Seed of the stochastic context sampling (nil: 0, or the checkpoint's; a resume refuses another).
    public var seed: UInt64?
    /// A checkpoint to resume from.
    public var resume: String?
    /// Where Ctrl-C writes a checkpoint (nil: OUTPUT.ckpt or ntpsep-train.ckpt).
    public var checkpoint: String?
    /// Worker threads of the loss (outputs are the same bytes for any count).
    public var threads: Int
    /// Contexts per block of the loss (nil: its default).
    public var blockSize: Int?
    /// Largest dense one-hot W with optimizer state, GiB.
    public var memoryBudget: Double
    /// Time full-batch steps instead of training.
    public var benchmark: Bool
    /// Print the log table on stderr while training.
    public var printLog: Bool
    /// No notes or log on stderr (`-q`; an interrupted run still says where its checkpoint is).
    public var quiet = false

    /// A run of `optimizer` on `data` under `embedding`, with `ntpsep train`'s defaults (the options
    /// left nil are the defaults of a new run and the checkpoint's values of a resumed one).
    public init(data: String, embedding: String, optimizer: OptimizerKind? = nil) {
        self.data = data; self.embedding = embedding; self.optimizer = optimizer
        reference = nil; threads = 2; memoryBudget = 4; benchmark = false; printLog = true
    }

    /// Ctrl-C stopped the run (after writing the checkpoint, when the run can be resumed).
    public struct Interrupted: Error {}

    /// Trains, writes the outputs asked for and returns the log.
    public func run() throws -> TrainingOutcome {
        // Read (and checksummed) before any line is printed, so a damaged file gives one error line.
        let resumed = try resume.map { try TrainingCheckpoint(contentsOf: $0) }
        let recorded = resumed.flatMap { CheckpointMetadata(json: $0.metadata) }
        if let resumed { try checkResumable(resumed, recorded: recorded) }
        var run = self
        // Resuming without --reference keeps the interrupted run's (QA: it switched to auto, and the
        // resumed log gained alignment columns the interrupted one did not have).
        run.reference = reference ?? recorded?.reference ?? "auto"
        // Resuming without --precision keeps the interrupted run's (it used to take float64).
        run.precision = precision ?? recorded.flatMap { Precision(rawValue: $0.precision) } ?? .float64
        return try run.run(resumed: resumed, recorded: recorded)
    }

    /// --reference as run: `run()` has resolved nil by then.
    var resolvedReference: String { reference ?? "auto" }
    /// --precision as run: `run()` has resolved nil by then.
    var resolvedPrecision: Precision { precision ?? .float64 }

    private func run(resumed: TrainingCheckpoint?, recorded: CheckpointMetadata?) throws -> TrainingOutcome {
        let reference = resolvedReference
        let spec = try EmbeddingSpec(parsing: embedding)
        let initialization = try Initialization(parsing: self.initialization ?? "zero")
        let refMode = ReferenceMode(parsing: reference)
        // The checkpoint may replace the one this run resumes from (interrupt, resume, interrupt again).
        let checkpointPath = checkpoint ?? ((output ?? "ntpsep-train") + ".ckpt")
        try checkOutputs([log, output, plot], inputs: [data, resume, refMode.isFile ? reference : nil], embedding: embedding)
        if resume.map({ !sameFile($0, checkpointPath) }) ?? true { try checkOutputs([log, output, plot, checkpointPath], inputs: []) }
        // One BLAS thread: the loss runs its own workers, and a threaded OpenBLAS may round
        // differently with another thread count (the in-process W*/W^mm solve too).
        setBLASThreads(1)
        InterruptFlag.install()

        let dataSet = try DataSet(contentsOfNPZ: data)
        if resumed != nil { try checkResumedData(dataSet, recorded: recorded) }
        let features = try ContextFeatures.make(spec, for: dataSet)
        let checksum = embeddingChecksum(features, spec: spec)
        if resumed != nil { try checkResumedEmbedding(checksum, recorded: recorded) }
        // A reference file is checked before any work is done.
        let fileReference = try refMode.isFile ? resolveReference(refMode, data: dataSet, features: features, loss: nil, onehot: false) : nil
        let loss = try NTPLoss(data: dataSet, features: features, precision: resolvedPrecision, blockSize: blockSize, threads: threads)
        let m = loss.contextCount
        // Before the reference solve, which can take a minute (QA: 0 was refused only after it, and 100 on
        // m = 30 ran as a full batch without a word).
        if let b = batchContexts, !(1...m).contains(b) {
            throw UserError("--batch-contexts must be in 1...\(m), the contexts of \(data) (got \(b))")
        }
        progress("data: V = \(loss.vocabularySize), m = \(loss.contextCount), d = \(loss.dimension), 𝓗 = \(formatted("%.6f", loss.entropy)) nats; BLAS \(blasCoreName()), \(threads) thread(s)")
        let options = try trainingOptions(loss: loss, resumed: resumed, initialization: initialization)
        let batchText = options.batchContexts.map { $0 < m ? "\($0) of \(counted(m, "context")) per step (stochastic)" : "full batch (\(counted(m, "context")))" } ?? "full batch (\(counted(m, "context")))"
        progress("run: \(options.optimizer.kind.rawValue), η = \(formatted("%.6e", options.optimizer.learningRate)), \(counted(options.steps, "step")), \(batchText)")
        let onehot: Bool
        if case .identity = features.storage { onehot = true } else { onehot = false }
        let streams = onehot && options.optimizer.kind != .ngd && (options.batchContexts ?? m) >= m && resumed == nil && !refMode.isFile

        if benchmark {
            let line = try TrainingBenchmark.run(loss: loss, options: options, streams: streams, label: "\(embedding) \(resolvedPrecision.rawValue)")
            return TrainingOutcome(benchmark: line)
        }
        let printer = LogPrinter(enabled: printLog && !quiet)
        let rows: [LogRow]
        if streams {
            progress(refMode == .auto ? "reference: one-hot closed forms of W* and W^mm" : "reference: none")
            rows = try trainStreaming(loss: loss, options: options, withReference: refMode == .auto, printer: printer)
        } else {
            if onehot { try checkDenseOnehotMemory(loss: loss, options: options) }
            let resolved = try fileReference ?? resolveReference(refMode, data: dataSet, features: features, loss: loss, onehot: onehot)
            progress("reference: " + resolved.summary)
            rows = try trainDense(loss: loss, dataSet: dataSet, embeddingChecksum: checksum, options: options,
                                  reference: resolved.reference, resumed: resumed, checkpointPath: checkpointPath, printer: printer)
        }
        try writeOutputs(rows, entropy: loss.entropy, optimizer: options.optimizer.kind)
        if let climb = LossClimb(rows: rows) { note(climb.warning) }
        return TrainingOutcome(entropy: loss.entropy, meta: meta(options, loss: loss), rows: rows)
    }
}
