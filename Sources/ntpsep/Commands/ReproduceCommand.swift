import ArgumentParser
import NTPReport

struct Reproduce: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Regenerate the paper's two synthetic experiments (App. A): the 2-D toy and m = 50.",
        discussion: """
        (a) 2-D toy: d = 2, m = 3, V = 5, k_j = 3, exact probabilities; the first seed from \
        --toy-seed whose draw is NTP-separable (exact LP) and compatible (d < m, so not every draw is). \
        W^mm is solved and toy.svg shows its rows (word embeddings, scaled to the contexts' \
        length) as arrows and the context embeddings h̄_j as points.
        (b) m = 50, V = 10, supports drawn with 6 tokens, n = 5000 samples (seed 0's data observe \
        6 tokens in 39 contexts, 5 in 9 and 4 in 2), d = 60, N(0, 1) embeddings: GD (η = 0.5), \
        normalized GD (η = 0.01) and Adam (η = 0.01, β = 0.9, 0.99) from W = 0 for --steps \
        updates; paper-m50-{gd,ngd,adam}.csv logs, paper-m50.svg (the four panels overlaid) and \
        summary.json (the toy's W^mm (V × d), H (d × m) and supports; final CE − 𝓗, \
        ‖P_𝓕(W) − W*‖, cos(W, W^mm), cos(W − W*, W^mm) per optimizer). The data are \
        `ntpsep synth`'s for the same seeds (printed), also written as paper-m50.npz and \
        paper-m50-H.npy. Outputs depend only on the options.
        """)

    @OptionGroup var output: OutputOption<ReproductionFolder>

    @Option(help: "Seed of the m = 50 data (embeddings: seed + 1, as `ntpsep synth`).")
    var seed: UInt64 = 0

    @Option(help: ArgumentHelp("First of the (up to 1000) seeds tried for the 2-D toy; they wrap past 2^64 − 1 to 0.", valueName: "seed"))
    var toySeed: UInt64 = 0

    @Option(help: "Updates per optimizer.")
    var steps: Int = 10_000

    @Option(help: "Log every this many updates.")
    var logEvery: Int = 10

    @OptionGroup var console: QuietFlag

    func validate() throws {
        guard steps >= 1, logEvery >= 1 else { throw UserError("--steps and --log-every must be ≥ 1") }
    }

    func run() throws {
        let reproduction = PaperReproduction(output: output.requiredPath, seed: seed, toySeed: toySeed, steps: steps, logEvery: logEvery)
        console.emit(try reproduction.run().text)
    }
}
