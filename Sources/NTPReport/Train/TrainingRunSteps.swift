import Foundation
import NTPCore
import NTPFormats
import NTPPlot

extension TrainingRun {
    /// The checkpoint's options (with --steps when given), or new ones from the options given.
    func trainingOptions(loss: NTPLoss, resumed: TrainingCheckpoint?, initialization: Initialization) throws -> TrainingOptions {
        if let resumed, resumed.weights.count != loss.parameterCount {
            throw UserError("checkpoint \(resume ?? "") has \(resumed.weights.count) weights but DATA/--embedding give V·d = \(loss.parameterCount); resume with the DATA and --embedding of the interrupted run")
        }
        if let c = resumed {
            var o = c.options
            if let steps {
                guard steps >= c.step else {
                    throw UserError("--steps \(steps) is before the checkpoint's step \(c.step); give at least \(c.step) or leave --steps out")
                }
                o.steps = steps
            }
            progress("resuming at step \(c.step) of \(o.steps) (options from the checkpoint\(steps == nil ? "" : ", --steps from the command line"))")
            return o
        }
        let optimizer = self.optimizer ?? .gd
        let eta: Double
        if let learningRate { eta = learningRate } else if optimizer == .gd {
            let lambda = loss.curvatureBound()
            eta = OptimizerConfig.defaultLearningRate(for: .gd, curvature: lambda)
            progress("λ_max(H diag(π̂) Hᵀ) = \(formatted("%.6e", lambda)); GD step η = 1/λ_max = \(formatted("%.6e", eta))")
        } else {
            eta = OptimizerConfig.defaultLearningRate(for: optimizer, curvature: 0)
        }
        return TrainingOptions(optimizer: OptimizerConfig(kind: optimizer, learningRate: eta), steps: steps ?? 1000,
                               logEvery: logEvery ?? 100, initialization: initialization, batchContexts: batchContexts, seed: seed ?? 0)
    }

    /// Dense one-hot runs hold W, its gradient, the optimizer moments, W*, W^mm and a projection:
    /// refused beyond `memoryBudget`.
    func checkDenseOnehotMemory(loss: NTPLoss, options: TrainingOptions) throws {
        let copies: Double = options.optimizer.kind == .adam ? 6 : 4
        let gib: Double = Double(loss.vocabularySize) * Double(loss.contextCount) * 8 * copies / Double(1 << 30)
        guard gib <= memoryBudget else {
            let what = options.optimizer.kind.rawValue + (options.batchContexts != nil ? " with --batch-contexts" : "")
            throw UserError("one-hot \(what) needs the dense V × m matrix W (≈ \(formatted("%.1f", gib)) GiB with state) over --memory-budget \(memoryBudget) GiB; use gd or adam full-batch (streamed), or raise --memory-budget")
        }
    }

    /// The full-batch or stochastic trainer; on Ctrl-C writes the checkpoint and the outputs so far.
    /// `dataSet` is DATA, whose fingerprint the checkpoint records (and a `file:` embedding's checksum).
    func trainDense(loss: NTPLoss, dataSet: DataSet, embeddingChecksum: String?, options: TrainingOptions, reference: TrainingReference?,
                    resumed: TrainingCheckpoint?, checkpointPath: String, printer: LogPrinter) throws -> [LogRow] {
        let trainer = try Trainer(loss: loss, options: options, reference: reference)
        let result = try trainer.run(resume: resumed, shouldStop: { InterruptFlag.isRaised }, onLog: printer.print)
        if result.interrupted {
            if let resume, sameFile(resume, checkpointPath) { CommandInputs.release(resume) }
            let meta = try JSONText.compact(CheckpointMetadata(data: data, embedding: embedding, precision: resolvedPrecision.rawValue,
                                                               reference: resolvedReference, dataFingerprint: hex(dataSet.fingerprint),
                                                               embeddingChecksum: embeddingChecksum))
            try TrainingCheckpoint(step: result.stepsDone, weights: result.weights, optimizerState: result.optimizerState,
                                   options: options, log: result.log, metadata: meta).write(to: checkpointPath)
            try writeOutputs(result.log, entropy: loss.entropy, optimizer: options.optimizer.kind)
            note("interrupted at step \(result.stepsDone) of \(options.steps); checkpoint written to \(checkpointPath)")
            note("resume with: \(resumeCommand(checkpointPath))")
            throw Interrupted()
        }
        if let output {
            try writeNPY(NPYArray(doubles: result.weights, shape: [loss.vocabularySize, loss.dimension]), to: output)
        }
        return result.log
    }

    /// One-hot GD/Adam over context blocks, W streamed to the .npy column block by column block.
    func trainStreaming(loss: NTPLoss, options: TrainingOptions, withReference: Bool, printer: LogPrinter) throws -> [LogRow] {
        let v = loss.vocabularySize, m = loss.contextCount
        let writer = try output.map { try NPYStreamWriter(path: $0, descr: "<f8", shape: [v, m], fortranOrder: true) }
        progress("one-hot contexts: streaming \(counted(m, "context")) in blocks of \(loss.blockSize) (W is never held whole)")
        let rows: [LogRow]
        do {
            rows = try OnehotStreamingTrainer(loss: loss, options: options, withReference: withReference).run(shouldStop: { InterruptFlag.isRaised }) { _, _, block in
                try writer?.append(UnsafeRawBufferPointer(block))
            }
            try writer?.finish()
        } catch {
            writer?.abandon()
            if InterruptFlag.isRaised {
                note("interrupted: a streamed one-hot run cannot be resumed (see --help); nothing written")
                throw Interrupted()
            }
            throw error
        }
        rows.forEach(printer.print)
        return rows
    }

    /// The CSV log and the figure (its curve named after `optimizer`, the one run), when asked for.
    func writeOutputs(_ rows: [LogRow], entropy: Double, optimizer: OptimizerKind) throws {
        if let log { try writeFileAtomically(path: log, contents: TrainingLogFormat.csv(rows)) }
        if let plot {
            try writeFileAtomically(path: plot, contents: trainingFigure(runs: [(optimizer.rawValue.uppercased(), rows)], entropy: entropy))
        }
    }

    /// The run's settings for the JSON's `meta`.
    func meta(_ options: TrainingOptions, loss: NTPLoss) -> TrainingOutcome.Meta {
        let m = loss.contextCount
        return TrainingOutcome.Meta(optimizer: options.optimizer.kind.rawValue, learningRate: options.optimizer.learningRate,
                                    steps: options.steps, embedding: embedding, reference: resolvedReference,
                                    vocabulary: loss.vocabularySize, contexts: m, dimension: loss.dimension,
                                    batchContexts: min(options.batchContexts ?? m, m), data: data, seed: options.seed,
                                    initialization: options.initialization.description, logEvery: options.logEvery,
                                    precision: resolvedPrecision.rawValue, resumedFrom: resume)
    }

    /// This command line with `--resume CKPT` (replacing a previous --resume).
    private func resumeCommand(_ ckpt: String) -> String {
        var args = Array(CommandLine.arguments)
        if let i = args.firstIndex(of: "--resume"), i + 1 < args.count { args.removeSubrange(i...(i + 1)) }
        return (args + ["--resume", ckpt]).map { $0.contains(" ") ? "'\($0)'" : $0 }.joined(separator: " ")
    }
}

/// One line on stderr (the training notes and log table).
func note(_ s: String) {
    FileHandle.standardError.write(Data((s + "\n").utf8))
}

extension TrainingRun {
    /// A note on how the run goes (not on interruptions), unless quiet.
    func progress(_ s: String) { if !quiet { note(s) } }
}

/// A run whose last logged CE is above its first: the step size is past stability. Not an error:
/// edge-of-stability runs oscillate on purpose, and the divergence rule (`DivergenceWatch`) stops
/// only explosions; but a finished run that ends worse than it began is worth one line, even when quiet.
struct LossClimb {
    var first: LogRow
    var last: LogRow

    /// nil unless the last row's CE exceeds the first's beyond round-off.
    init?(rows: [LogRow]) {
        guard let first = rows.first, let last = rows.last, last.step > first.step,
              last.ce > first.ce * (1 + 1e-9) else { return nil }
        self.first = first; self.last = last
    }

    var warning: String {
        "warning: CE ended above where it began (\(formatted("%.6g", last.ce)) nats at step \(last.step) against "
            + "\(formatted("%.6g", first.ce)) at step \(first.step)): the step size is past stability for this data; try a smaller --lr"
    }
}
