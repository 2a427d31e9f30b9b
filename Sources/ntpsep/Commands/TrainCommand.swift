import ArgumentParser
import Foundation
import NTPCore
import NTPCorpus
import NTPFormats
import NTPPlot

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train the linear decoder W (V × d) on a data set with GD, normalized GD or Adam.",
        discussion: """
        Logs step, CE, CE − 𝓗 and ‖W‖ every --log-every steps, and with a reference (the limits \
        W*, W^mm of `ntpsep solve`) also ‖P_𝓕(W) − W*‖, cos(W, W^mm) and cos(W − W*, W^mm), and when the data are separable the margin ratios \
        margin_inf_ratio = min margin(W^⊥)/‖W^⊥‖_max ÷ γ*_∞ and margin_l2_ratio = min margin(W^⊥)/‖W^⊥‖_F ÷ γ* \
        (W^⊥ = W − P_𝓕(W); both ≤ 1; not in streamed one-hot runs). \
        --reference auto uses the closed forms for one-hot contexts; otherwise it solves W* and, \
        when the data are separable, W^mm in-process if V·max(d, m) ≤ 5,000,000 and m ≤ 12,000 \
        (else none; pass a `ntpsep solve` output instead). One-hot GD/Adam runs stream over \
        context blocks and never hold V × m (not with --reference SOL.npz).
        Ctrl-C writes a checkpoint (CRC-32-checked; non-finite log values as JSON null) and the \
        --log/--plot so far; continue with --resume CKPT and the same DATA/--embedding: the result is \
        bit-identical to an uninterrupted run. A second Ctrl-C ends the run at once. Streamed one-hot \
        runs cannot be resumed: they finish each context's column through all steps before the next, \
        so Ctrl-C stops them without a checkpoint (exit status 130, no output written).
        """)

    @Argument(help: "A data set (.npz) written by `ntpsep ingest`.")
    var data: String

    @Option(help: "Context embedding: onehot, gaussian:D[:SEED], positional-onehot, positional-gaussian:D[:SEED], file:H.npy (d × m).")
    var embedding: String

    @Option(help: "gd, ngd or adam.")
    var optimizer: String = "gd"

    @Option(help: "auto, none, or SOL.npz from `ntpsep solve` (W_star, W_mm) for the alignment columns.")
    var reference: String = "auto"

    @Option(help: "Step size η (default: 1/λ_max(H diag(π̂) Hᵀ) for gd, 0.01 for ngd and adam).")
    var lr: Double?

    @Option(help: "Number of updates (default 1000; with --resume, the checkpoint's, which this can change).")
    var steps: Int?

    @Option(help: "Starting point: zero or gaussian:SEED (entries N(0, 1/d)).")
    var `init`: String = "zero"

    @Option(help: "Contexts per stochastic step (sampled without replacement, rescaled by m/B).")
    var batchContexts: Int?

    @Option(help: "Log every this many updates.")
    var logEvery: Int = 100

    @Option(help: "Write the log as CSV.")
    var log: String?

    @Flag(help: "Print the log as JSON on standard output instead of the table.")
    var json = false

    @Option(help: "Write the final W as a V × d float64 .npy.")
    var out: String?

    @Option(help: "Write the paper's four panels (CE vs 𝓗, ‖W‖, cosines, ‖P_𝓕(W) − W*‖) as SVG.")
    var plot: String?

    @Option(help: "float64 or float32 (precision of the loss kernels; W stays float64).")
    var precision: String = "float64"

    @Option(help: "Seed of the stochastic context sampling.")
    var seed: UInt64 = 0

    @Option(help: "Resume from a checkpoint written on Ctrl-C.")
    var resume: String?

    @Option(help: "Where Ctrl-C writes the checkpoint (default: OUT.ckpt or ntpsep-train.ckpt).")
    var checkpoint: String?

    /// `--threads` when not given (also shown by `ntpsep doctor`).
    static let defaultThreads = 2

    @Option(help: "Worker threads of the loss (outputs are the same bytes for any count).")
    var threads: Int = Train.defaultThreads

    @Option(help: "Contexts per block (memory O(V × block); default 512 dense, 64 one-hot/positional).")
    var blockSize: Int?

    @Option(help: "Largest dense W (with optimizer state) for one-hot NGD/stochastic runs, in GiB.")
    var memoryBudget: Double = 4

    @Flag(help: "Time full-batch steps (loss, gradient, update) and print seconds per step; no log.")
    var benchmark = false

    func run() throws {
        let kind: OptimizerKind = try choice(optimizer, "--optimizer")
        let prec: Precision = try choice(precision, "--precision")
        let spec = try EmbeddingSpec(parsing: embedding)
        let initialization = try Initialization(parsing: `init`)
        let refMode = ReferenceMode(parsing: reference)
        guard (steps ?? 0) >= 0, logEvery >= 1, threads >= 1, (blockSize ?? 1) >= 1 else {
            throw CLIError("--steps must be ≥ 0, --log-every, --threads and --block-size ≥ 1")
        }
        // The checkpoint may replace the one this run resumes from (interrupt, resume, interrupt again).
        let checkpointPath = checkpoint ?? ((out ?? "ntpsep-train") + ".ckpt")
        try checkOutputs([log, out, plot], inputs: [data, resume, refMode.isFile ? reference : nil], embedding: embedding)
        if resume.map({ !sameFile($0, checkpointPath) }) ?? true { try checkOutputs([log, out, plot, checkpointPath], inputs: []) }
        // One BLAS thread: the loss runs its own workers, and a threaded OpenBLAS may round
        // differently with another thread count (the in-process W*/W^mm solve too).
        setBLASThreads(1)
        InterruptFlag.install()

        // Read (and checksummed) before any line is printed, so a damaged file gives one error line.
        let resumed = try resume.map { try TrainingCheckpoint(contentsOf: $0) }
        let dataSet = try DataSet(contentsOfNPZ: data)
        let features = try ContextFeatures.make(spec, for: dataSet)
        // A reference file is checked before any work is done.
        let fileReference = try refMode.isFile ? resolveReference(refMode, data: dataSet, features: features, loss: nil, onehot: false) : nil
        let loss = try NTPLoss(data: dataSet, features: features, precision: prec, blockSize: blockSize, threads: threads)
        let v = loss.vocabularySize, d = loss.dimension, m = loss.contextCount
        note("data: V = \(v), m = \(m), d = \(d), 𝓗 = \(String(format: "%.6f", loss.entropy)) nats; BLAS \(blasCoreName()), \(threads) thread(s)")

        if let resumed, resumed.weights.count != loss.parameterCount {
            throw CLIError("checkpoint \(resume ?? "") has \(resumed.weights.count) weights but DATA/--embedding give V·d = \(loss.parameterCount); resume with the DATA and --embedding of the interrupted run")
        }
        let options: TrainingOptions
        if let c = resumed {
            var o = c.options
            if let steps {
                guard steps >= c.step else {
                    throw CLIError("--steps \(steps) is before the checkpoint's step \(c.step); give at least \(c.step) or leave --steps out")
                }
                o.steps = steps
            }
            options = o
            note("resuming at step \(c.step) of \(o.steps) (options from the checkpoint\(steps == nil ? "" : ", --steps from the command line"))")
        } else {
            let eta: Double
            if let lr { eta = lr } else if kind == .gd {
                let lambda = loss.curvatureBound()
                eta = OptimizerConfig.defaultLearningRate(for: .gd, curvature: lambda)
                note("λ_max(H diag(π̂) Hᵀ) = \(String(format: "%.6e", lambda)); GD step η = 1/λ_max = \(String(format: "%.6e", eta))")
            } else {
                eta = OptimizerConfig.defaultLearningRate(for: kind, curvature: 0)
            }
            options = TrainingOptions(optimizer: OptimizerConfig(kind: kind, learningRate: eta), steps: steps ?? 1000,
                                      logEvery: logEvery, initialization: initialization,
                                      batchContexts: batchContexts, seed: seed)
        }

        let batchText = options.batchContexts.map { $0 < m ? "\($0) of \(m) contexts per step (stochastic)" : "full batch (\(m) contexts)" } ?? "full batch (\(m) contexts)"
        note("run: \(options.optimizer.kind.rawValue), η = \(String(format: "%.6e", options.optimizer.learningRate)), \(options.steps) steps, \(batchText)")
        let onehot: Bool
        if case .identity = features.storage { onehot = true } else { onehot = false }
        let streams = onehot && options.optimizer.kind != .ngd && (options.batchContexts ?? m) >= m && resumed == nil
            && !refMode.isFile

        if benchmark { return try runBenchmark(loss: loss, options: options, streams: streams) }

        var rows: [LogRow] = []
        let printer = LogPrinter(enabled: !json)
        if streams {
            note(refMode == .auto ? "reference: one-hot closed forms of W* and W^mm" : "reference: none")
            rows = try trainStreaming(loss: loss, options: options, withReference: refMode == .auto, printer: printer)
        } else {
            if onehot {
                // Dense one-hot: W, gradient, optimizer moments, W*, W^mm and a projection.
                let copies: Double = options.optimizer.kind == .adam ? 6 : 4
                let gib: Double = Double(v) * Double(m) * 8 * copies / Double(1 << 30)
                guard gib <= memoryBudget else {
                    let what = options.optimizer.kind.rawValue + (options.batchContexts != nil ? " with --batch-contexts" : "")
                    let size = String(format: "%.1f", gib)
                    throw CLIError("one-hot \(what) needs the dense V × m matrix W (≈ \(size) GiB with state) over --memory-budget \(memoryBudget) GiB; use gd or adam full-batch (streamed), or raise --memory-budget")
                }
            }
            let resolved = try fileReference ?? resolveReference(refMode, data: dataSet, features: features, loss: loss, onehot: onehot)
            note("reference: " + resolved.summary)
            let trainer = try Trainer(loss: loss, options: options, reference: resolved.reference)
            let result = try trainer.run(resume: resumed, shouldStop: { InterruptFlag.isRaised }, onLog: printer.print)
            rows = result.log
            if result.interrupted {
                let path = checkpointPath
                if let resume, sameFile(resume, path) { CommandInputs.release(resume) }
                let meta = "{\"data\":\(quoted(data)),\"embedding\":\(quoted(embedding)),\"precision\":\(quoted(precision))}"
                try TrainingCheckpoint(step: result.stepsDone, weights: result.weights, optimizerState: result.optimizerState,
                                       options: options, log: result.log, metadata: meta).write(to: path)
                try writeOutputs(rows, entropy: loss.entropy)
                note("interrupted at step \(result.stepsDone) of \(options.steps); checkpoint written to \(path)")
                note("resume with: \(resumeCommand(path))")
                throw ExitCode(130)
            }
            if let out {
                try writeNPY(NPYArray(doubles: result.weights, shape: [v, d]), to: out)
            }
        }
        try writeOutputs(rows, entropy: loss.entropy)
        if json {
            print(TrainingLogFormat.json(rows, entropy: loss.entropy, meta: [
                ("optimizer", quoted(options.optimizer.kind.rawValue)),
                ("lr", String(format: "%.12e", options.optimizer.learningRate)),
                ("steps", "\(options.steps)"), ("embedding", quoted(embedding)), ("reference", quoted(reference)),
                ("V", "\(v)"), ("m", "\(m)"), ("d", "\(d)"),
                ("batch_contexts", "\(min(options.batchContexts ?? m, m))"),
                ("data", quoted(data)), ("seed", "\(options.seed)"), ("init", quoted(options.initialization.description)),
                ("log_every", "\(options.logEvery)"), ("precision", quoted(precision)),
                ("resumed_from", resume.map(quoted) ?? "null")]), terminator: "")
        }
    }

    /// The reference `mode` asks for (see the command's discussion for `auto`'s limits).
    private func resolveReference(_ mode: ReferenceMode, data: DataSet, features: ContextFeatures, loss: NTPLoss?,
                                  onehot: Bool) throws -> ResolvedReference {
        switch mode {
        case .none:
            return ResolvedReference(reference: nil, summary: "none")
        case .file(let path):
            return try loadReference(path: path, data: data, features: features)
        case .auto:
            let v = data.vocabularySize, d = features.dimension, m = data.contextCount
            if onehot, let loss {
                var reference = TrainingReference.onehot(loss)
                reference.margins = onehotMargins(data: data, features: features, wMM: reference.wMM)
                return ResolvedReference(reference: reference, summary: "one-hot closed forms of W*, W^mm and γ*_∞ = 2")
            }
            guard v * max(d, m) <= ReferenceMode.autoLimit, m <= DataSubspace.defaultGramLimit else {
                return ResolvedReference(reference: nil, summary: "none (V·max(d, m) = \(grouped(v * max(d, m))), m = \(grouped(m)): over the auto limit V·max(d, m) ≤ \(grouped(ReferenceMode.autoLimit)), m ≤ \(grouped(DataSubspace.defaultGramLimit)); run `ntpsep solve` and pass --reference SOL.npz)")
            }
            return try solveReference(data: data, features: features)
        }
    }

    /// One-hot contexts: the ℓ∞ LP decouples per column, and each column with an off-support token
    /// is best at +1 on S_j and −1 off it (margin 2 at ‖W‖_max = 1), so γ*_∞ = 2; γ* = 1/‖W^mm‖.
    private func onehotMargins(data: DataSet, features: ContextFeatures, wMM: [Double]) -> MarginGeometry? {
        guard (0..<data.contextCount).contains(where: { data.supportSize($0) < data.vocabularySize }) else { return nil }
        return MarginGeometry(data: data, features: features, gammaInf: 2, gamma2: 1 / wMM.reduce(0) { $0 + $1 * $1 }.squareRoot())
    }

    private func trainStreaming(loss: NTPLoss, options: TrainingOptions, withReference: Bool, printer: LogPrinter) throws -> [LogRow] {
        let v = loss.vocabularySize, m = loss.contextCount
        let writer = try out.map { try NPYStreamWriter(path: $0, descr: "<f8", shape: [v, m], fortranOrder: true) }
        note("one-hot contexts: streaming \(m) contexts in blocks of \(loss.blockSize) (W is never held whole)")
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
                throw ExitCode(130)
            }
            throw error
        }
        rows.forEach(printer.print)
        return rows
    }

    private func runBenchmark(loss: NTPLoss, options: TrainingOptions, streams: Bool) throws {
        let n = max(1, options.steps)
        let v = loss.vocabularySize, d = loss.dimension, m = loss.contextCount
        if streams {
            var o = options
            o.steps = n; o.logEvery = n
            let t0 = Date()
            _ = try OnehotStreamingTrainer(loss: loss, options: o, withReference: false).run()
            let per = Date().timeIntervalSince(t0) / Double(n)
            print("benchmark: onehot streaming \(options.optimizer.kind.rawValue) V=\(v) m=\(m): \(String(format: "%.6f", per)) s/step (mean of \(n))")
            return
        }
        var w = options.initialization.weights(count: loss.parameterCount, dimension: d)
        var g = [Double](repeating: 0, count: loss.parameterCount)
        var opt = Optimizer(config: options.optimizer, parameterCount: loss.parameterCount)
        _ = loss.lossAndGradient(w, gradient: &g)      // warm-up (page faults, BLAS buffers)
        var times: [Double] = []
        for _ in 0..<n {
            let t0 = Date()
            _ = loss.lossAndGradient(w, gradient: &g)
            opt.apply(gradient: g, to: &w)
            times.append(Date().timeIntervalSince(t0))
        }
        times.sort()
        let median = times[times.count / 2]
        var line = "benchmark: \(embedding) \(precision) V=\(v) d=\(d) m=\(m): median \(String(format: "%.6f", median)) s/step, min \(String(format: "%.6f", times[0])) s (\(n) steps)"
        if case .dense = loss.features.storage {
            line += String(format: ", %.1f GFLOP/s in the two GEMMs", 4.0 * Double(v) * Double(d) * Double(m) / median / 1e9)
        }
        print(line)
    }



    private func writeOutputs(_ rows: [LogRow], entropy: Double) throws {
        if let log { try writeFileAtomically(path: log, contents: TrainingLogFormat.csv(rows)) }
        if let plot {
            let name = optimizer.uppercased()
            try writeFileAtomically(path: plot, contents: trainingFigure(runs: [(name, rows)], entropy: entropy))
        }
    }

    private func resumeCommand(_ ckpt: String) -> String {
        var args = Array(CommandLine.arguments)
        if let i = args.firstIndex(of: "--resume"), i + 1 < args.count { args.removeSubrange(i...(i + 1)) }
        return (args + ["--resume", ckpt]).map { $0.contains(" ") ? "'\($0)'" : $0 }.joined(separator: " ")
    }
}

/// The paper's four panels for one or more runs (e.g. GD vs NGD vs Adam), from log rows.
func trainingFigure(runs: [(String, [LogRow])], entropy: Double) -> String {
    let curves = runs.map { name, rows in
        TrainingCurves(name: name, steps: rows.map { Double($0.step) }, ce: rows.map(\.ce), norm: rows.map(\.norm),
                       cosineMM: rows.map(\.cosineMM), cosineShiftedMM: rows.map(\.cosineShiftedMM),
                       distanceToWStar: rows.map(\.distanceToWStar))
    }
    return paperPanels(curves, entropy: entropy).svg()
}

/// Prints log rows as an aligned table on standard error as they arrive.
struct LogPrinter {
    let enabled: Bool
    func print(_ r: LogRow) {
        guard enabled else { return }
        var s = String(format: "step %8d  CE %.6f  CE−𝓗 %.3e  ‖W‖ %.4e", r.step, r.ce, r.gap, r.norm)
        if let dist = r.distanceToWStar { s += String(format: "  ‖P_F W−W*‖ %.3e", dist) }
        if let c1 = r.cosineMM, let c2 = r.cosineShiftedMM {
            // At W = 0 the first cosine is 0/0: say so instead of printing nan.
            func cosine(_ c: Double) -> String { c.isNaN ? "    n/a" : String(format: "%.5f", c) }
            s += "  cos(W,Wmm) \(cosine(c1))  cos(W−W*,Wmm) \(cosine(c2))"
        }
        if let a = r.marginInfRatio, let b = r.marginL2Ratio {
            func ratio(_ x: Double) -> String { x.isFinite ? String(format: "%+.6f", x) : "      n/a" }
            s += "  γ∞-ratio \(ratio(a))  γ2-ratio \(ratio(b))"
        }
        note(s)
    }
}

private func note(_ s: String) {
    FileHandle.standardError.write(Data((s + "\n").utf8))
}

