import ArgumentParser

/// `--embedding SPEC`: the context features H (train, solve, check). `sweep`'s `--embedding` names
/// a nested family instead (`SweepEmbedding`).
struct EmbeddingOption: ParsableArguments {
    @Option(help: "Context embedding: onehot, gaussian:D[:SEED], positional-onehot, positional-gaussian:D[:SEED], file:H.npy (d × m).")
    var embedding: String = "onehot"
}
