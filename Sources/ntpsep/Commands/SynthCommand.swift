import ArgumentParser
import NTPCore
import NTPReport

struct Synth: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Synthetic NTP data as in the paper's App. A, optionally with Gaussian context embeddings.",
        discussion: """
        Each context j gets a support of k_j random tokens and probabilities Dirichlet(α) (or \
        uniform draws normalised). With --samples n, n pairs are drawn (context uniform, then the \
        next token) and the counts are the observed frequencies (contexts never drawn are dropped); \
        without it the counts are the exact probabilities. --embeddings-out writes H (d × m float64, \
        i.i.d. N(0, scale²), for --embedding file:H.npy). Seeds are recorded in the data set's options.
        """)

    @Option(help: "Number of contexts m.") var contexts: Int
    @Option(help: "Vocabulary size V.") var vocab: Int
    @Option(help: "Support size: K or uniform:LO-HI.") var support: String
    @Option(help: "Next-token probabilities: dirichlet[:ALPHA] (default α = 1) or uniform.") var probabilities: String = "dirichlet"
    @Option(help: "Number of sampled (context, token) pairs; omit for exact probabilities as counts.") var samples: Int?
    @Option(help: "Seed of the data draws.") var seed: UInt64 = 0
    @OptionGroup var output: OutputOption<DataSetFile>
    @Option(help: "Embedding dimension d (needs --embeddings-out).") var dim: Int?
    @Option(help: "Standard deviation of the embedding entries (the paper uses 1).") var embeddingScale: Double = 1
    @Option(help: "Seed of the embeddings (default: --seed + 1).") var embeddingSeed: UInt64?
    @Option(help: "Where to write H (d × m .npy).") var embeddingsOut: String?
    @OptionGroup var console: QuietFlag

    func validate() throws {
        if (dim == nil) != (embeddingsOut == nil) { throw ValidationError("--dim and --embeddings-out go together") }
        if let d = dim, d <= 0 { throw ValidationError("--dim must be positive") }
        // Each option named as given (QA round 11: "need at least 1 context and 2 tokens", "support '0': …").
        try OptionCheck.positive(contexts, "--contexts")
        if vocab < 2 { throw UserError("--vocab must be at least 2 (got \(vocab))") }
        if let samples { try OptionCheck.positive(samples, "--samples") }
        do {
            _ = try SyntheticSpec.SupportSize(parsing: support)
            _ = try SyntheticSpec.Probabilities(parsing: probabilities)
        } catch SyntheticError.invalid(let why) { throw UserError("--" + why) }
        // Within 1e-60…1e60, the largest |entry| every command accepts in a file H, with room for the
        // Gaussian tail (QA: synth wrote at 1e300 an H that check then refused).
        guard (1e-55...1e55).contains(embeddingScale) else {
            throw UserError("--embedding-scale must be in 1e-55…1e55, so that the largest |entry| of H stays in the 1e-60…1e60 the other commands accept (got \(embeddingScale))")
        }
    }

    func run() throws {
        let spec = SyntheticSpec(contexts: contexts, vocabulary: vocab, support: try SyntheticSpec.SupportSize(parsing: support),
                                 probabilities: try SyntheticSpec.Probabilities(parsing: probabilities), samples: samples, seed: seed)
        let file = SyntheticDataFile(spec: spec, output: output.requiredPath, dimension: dim, embeddingScale: embeddingScale,
                                     embeddingSeed: embeddingSeed, embeddingsOutput: embeddingsOut)
        console.emit(try file.run())
    }
}
