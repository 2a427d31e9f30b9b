import ArgumentParser
import NTPReport

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
        bit-identical to an uninterrupted run. The checkpoint records the data's fingerprint, the \
        embedding and every option it fixes (--optimizer, --lr, --init, --batch-contexts, --seed, \
        --log-every, --precision): a resume on other data, under another embedding or with one of \
        these options set otherwise is refused; --steps and --reference may change. A second Ctrl-C ends the run at once. Streamed one-hot \
        runs cannot be resumed: they finish each context's column through all steps before the next, \
        so Ctrl-C stops them without a checkpoint (exit status 130, no output written).
        """)

    @OptionGroup var input: DataSetInput
    @OptionGroup var embedding: EmbeddingOption
    @OptionGroup var training: TrainingArguments
    @OptionGroup var output: OutputOption<WeightsOutput>
    @OptionGroup var threads: ThreadsOption
    @OptionGroup var console: ReportConsole<TrainingOutcome>

    func run() throws {
        var run = TrainingRun(data: input.data, embedding: embedding.embedding, optimizer: training.optimizer)
        training.apply(to: &run)
        run.output = output.path
        run.threads = threads.threads
        run.printLog = !console.json
        run.quiet = console.quiet
        do {
            let outcome = try run.run()
            if let line = outcome.benchmark { console.emit(line) } else { try console.emit(outcome) }
        } catch is TrainingRun.Interrupted {
            throw ExitCode(130)
        }
    }
}
