import ArgumentParser
import NTPCore
import NTPReport

extension ContextChoice: ExpressibleByArgument {}

/// What `--seed` seeds in a command, for its help text.
protocol SeedRole {
    /// The help text of `--seed`.
    static var help: String { get }
}

/// check's --seed: only the context subsample (its embedding seed is in the spec).
enum SubsampleSeed: SeedRole {
    static let help = "Seed of the context subsample (embedding seeds go in the spec, e.g. gaussian:64:7)."
}

/// sweep's --seed: the trials' embeddings and null supports, and the random context choices
/// (QA round 9: the help said "context subsample" and pointed to a spec sweep refuses).
enum TrialSeed: SeedRole {
    static let help = "Seed of the trials: trial t draws its embedding rows with SEED + t (the CSV's embedding_seed) and its null supports with SEED + 1,000,003 + t; random context choices use SEED. Seeds that would pass 2^64 − 1 are refused."
}

/// Options shared by `check` and `sweep`: which contexts of the data set to keep.
struct ContextSelectionArguments<Role: SeedRole>: ParsableArguments {
    @Option(help: "Keep a seeded random subset of at most N contexts (after --min-context-count).")
    var maxContexts: Int?

    @Option(help: "Keep only contexts seen at least C times.")
    var minContextCount: Double = 0

    @Option(help: ArgumentHelp(Role.help))
    var seed: UInt64 = 0

    @Option(help: "How capped contexts are chosen: most-frequent (largest counts), random-events (seeded, probability ∝ count, without replacement) or random-contexts (seeded, uniform). Default: random-contexts for check, most-frequent for sweep.")
    var contextChoice: ContextChoice?

    func validate() throws {
        if let n = maxContexts { try OptionCheck.positive(n, "--max-contexts") }
        try OptionCheck.nonNegative(minContextCount, "--min-context-count")
    }

    /// The selection as the library takes it.
    var selection: ContextSelection {
        ContextSelection(maxContexts: maxContexts, minContextCount: minContextCount, seed: seed, choice: contextChoice)
    }
}
