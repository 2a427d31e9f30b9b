import ArgumentParser
import NTPCore
import NTPReport

extension OptimizerKind: ExpressibleByArgument {}
extension Precision: ExpressibleByArgument {}

/// How `train` trains: optimizer, step size, steps, start, batches, logging, checkpoints, blocks.
struct TrainingArguments: ParsableArguments {
    @Option(help: "Optimizer: gradient descent, normalized GD or Adam (default gd; with --resume, the checkpoint's, and another is refused).")
    var optimizer: OptimizerKind?

    @Option(help: "auto, none, or SOL.npz from `ntpsep solve` (W_star, W_mm) for the alignment columns (default auto; with --resume, the checkpoint's).")
    var reference: String?

    @Option(help: ArgumentHelp("Seconds allowed for γ*_∞'s LP when --reference auto solves the limits; past it margin_inf_ratio is NaN (GLPK looks at its clock between stretches of work, so a limit below about a second is not kept exactly).", valueName: "seconds"))
    var linfTimeLimit: Double = 60

    @Option(help: "Step size η (default: 1/λ_max(H diag(π̂) Hᵀ) for gd, 0.01 for ngd and adam; with --resume, the checkpoint's, and another is refused).")
    var lr: Double?

    @Option(help: "Number of updates (default 1000; with --resume, the checkpoint's, which this can change).")
    var steps: Int?

    @Option(help: "Starting point: zero or gaussian:SEED (entries N(0, 1/d); default zero; with --resume, the checkpoint's, and another is refused).")
    var `init`: String?

    @Option(help: "Contexts per stochastic step (sampled without replacement, rescaled by m/B; default full batch; with --resume, the checkpoint's, and another is refused).")
    var batchContexts: Int?

    @Option(help: "Log every this many updates (default 100; with --resume, the checkpoint's, and another is refused).")
    var logEvery: Int?

    @Option(help: "Write the log as CSV.")
    var log: String?

    @Option(help: "Write the paper's four panels (CE vs 𝓗, ‖W‖, cosines, ‖P_𝓕(W) − W*‖) as SVG.")
    var plot: String?

    @Option(help: "Precision of the loss kernels (W stays float64; default float64; with --resume, the checkpoint's, and another is refused).")
    var precision: Precision?

    @Option(help: "Seed of the stochastic context sampling (default 0; with --resume, the checkpoint's, and another is refused).")
    var seed: UInt64?

    @Option(help: "Resume from a checkpoint written on Ctrl-C, with the DATA and --embedding it was trained on (others are refused).")
    var resume: String?

    @Option(help: "Where Ctrl-C writes the checkpoint (default: OUTPUT.ckpt or ntpsep-train.ckpt).")
    var checkpoint: String?

    @Option(help: "Contexts per block (memory O(V × block); default 512 dense, 64 one-hot/positional).")
    var blockSize: Int?

    @Option(help: "Largest dense W (with optimizer state) for one-hot NGD/stochastic runs, in GiB.")
    var memoryBudget: Double = 4

    @Flag(help: "Time full-batch steps (loss, gradient, update) and print seconds per step; no log.")
    var benchmark = false

    func validate() throws {
        // One option per message (QA round 9: one combined line named all four for any of them).
        if let steps { try OptionCheck.nonNegative(steps, "--steps") }
        if let logEvery { try OptionCheck.positive(logEvery, "--log-every") }
        if let blockSize { try OptionCheck.positive(blockSize, "--block-size") }
        if let lr { try OptionCheck.positive(lr, "--lr") }
        try OptionCheck.positive(linfTimeLimit, "--linf-time-limit")
        // Checked up front, not only when a run needs the budget (QA round 11: -1 and nan ran to the end).
        try OptionCheck.positive(memoryBudget, "--memory-budget")
    }

    /// Copies these options into `run`.
    func apply(to run: inout TrainingRun) {
        run.reference = reference; run.learningRate = lr; run.steps = steps; run.initialization = `init`
        run.batchContexts = batchContexts; run.linfTimeLimit = linfTimeLimit; run.logEvery = logEvery; run.log = log; run.plot = plot
        run.precision = precision; run.seed = seed; run.resume = resume; run.checkpoint = checkpoint
        run.blockSize = blockSize; run.memoryBudget = memoryBudget; run.benchmark = benchmark
    }
}
