import ArgumentParser
import NTPCore
import NTPReport

extension ContextChoice: ExpressibleByArgument {}

/// Options shared by `check` and `sweep`: which contexts of the data set to keep.
struct ContextSelectionArguments: ParsableArguments {
    @Option(help: "Keep a seeded random subset of at most N contexts (after --min-context-count).")
    var maxContexts: Int?

    @Option(help: "Keep only contexts seen at least C times.")
    var minContextCount: Double = 0

    @Option(help: "Seed of the context subsample (embedding seeds go in the spec, e.g. gaussian:64:7).")
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
