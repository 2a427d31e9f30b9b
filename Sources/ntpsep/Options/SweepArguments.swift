import ArgumentParser
import NTPCore
import NTPReport
import NTPFormats

extension SweepEmbedding: ExpressibleByArgument {}

/// What `sweep` sweeps: the embedding family, the context counts m, trials and null models.
struct SweepArguments: ParsableArguments {
    @Option(help: "Nested embedding family: gaussian (d = D) or positional-gaussian (d = (N−1)·D).")
    var embedding: SweepEmbedding = .gaussian

    @Option(help: "Numbers of contexts m, comma separated, e.g. 100,200,500,1000,2000 (default: 200, or --max-contexts N).")
    var contexts: String?

    @Option(help: "Seeded trials per (model, m); 6 or more give a 95 % interval (20: [X₍₆₎, X₍₁₅₎]).")
    var trials: Int = 20

    @Option(help: "Null models, comma separated: uniform, frequency, or none.")
    var null: String = "uniform"

    @Option(help: "Largest D tried (default: m for gaussian, V for positional-gaussian, where the verdict stops changing).")
    var maxDim: Int?

    @Option(help: "Trials of a point decided at once, one thread each; a trial's hint comes from earlier batches only, so this number (not the machine) fixes which decisions are made, and never the proven d*.")
    var trialsAtOnce: Int = 2

    func validate() throws {
        try OptionCheck.positive(trials, "--trials")
        try OptionCheck.positive(trialsAtOnce, "--trials-at-once")
        if let d = maxDim { try OptionCheck.positive(d, "--max-dim") }
    }

    /// The library's options, with the context selection and time limit.
    func options(selection: ContextSelectionArguments<TrialSeed>, timeLimit: Double) throws -> SweepOptions {
        if contexts != nil && selection.maxContexts != nil { throw UserError("give either --contexts LIST or --max-contexts N, not both") }
        let ms = try contexts.map(parseContextList) ?? [selection.maxContexts ?? 200]
        var options = SweepOptions(contextCounts: ms, trials: trials, seed: selection.seed)
        options.contextChoice = selection.contextChoice ?? .mostFrequent
        options.minContextCount = selection.minContextCount
        options.embedding = embedding
        options.nulls = try parseNullList(null)
        try checkSeedRange(selection.seed, nulls: !options.nulls.isEmpty)
        if let d = maxDim { options.maxDimension = d }
        options.trialsAtOnce = trialsAtOnce
        options.separability.timeLimit = timeLimit
        return options
    }

    /// Every option as given, for the JSON's `options` (`contexts` as run: --contexts, or [--max-contexts];
    /// `null` as the list of models, [] for none).
    func recorded(data: String, _ options: SweepOptions, selection: ContextSelectionArguments<TrialSeed>) -> [String: OptionValue] {
        ["data": .string(data), "embedding": .string(embedding.rawValue), "contexts": .ints(options.contextCounts),
         "max_contexts": .number(selection.maxContexts), "trials": .int(trials), "trials_at_once": .int(trialsAtOnce),
         "null": .strings(options.nulls.map(\.rawValue)), "max_dim": .number(maxDim),
         "time_limit": .double(options.separability.timeLimit), "seed": .unsigned(selection.seed),
         "min_context_count": .double(selection.minContextCount), "context_choice": .string(options.contextChoice.rawValue)]
    }
}

extension SweepArguments {
    /// Refuses a --seed whose trial seeds (SEED + t, and SEED + 1,000,003 + t for null supports)
    /// pass 2^64 − 1: they wrapped, and trial 1 of --seed 18446744073709551615 reported
    /// embedding_seed 0 (QA round 9).
    func checkSeedRange(_ seed: UInt64, nulls: Bool) throws {
        let span = UInt64(trials - 1) + (nulls ? 1_000_003 : 0)
        let largest = UInt64.max - span
        guard seed <= largest else {
            let what = nulls ? "SEED + 1,000,003 + \(trials - 1) (the last trial's null supports)" : "SEED + \(trials - 1) (the last trial's embedding)"
            throw UserError("--seed \(seed) is too large for --trials \(trials): \(what) would pass 2^64 − 1; give --seed at most \(largest)")
        }
    }
}

/// "100,200,500" → [100, 200, 500] (sorted, unique).
func parseContextList(_ text: String) throws -> [Int] {
    var out: [Int] = []
    for part in text.split(separator: ",", omittingEmptySubsequences: false) {
        guard let m = Int(part.trimmingCharacters(in: .whitespaces)), m > 0 else {
            throw UserError("--contexts: cannot read '\(part)' (expected positive integers, e.g. 100,200,500)")
        }
        out.append(m)
    }
    return Array(Set(out)).sorted()
}

/// "uniform,frequency" → [.uniform, .frequency]; "none" → [].
func parseNullList(_ text: String) throws -> [NullModel] {
    if text == "none" { return [] }
    var out: [NullModel] = []
    for part in text.split(separator: ",") {
        guard let model = NullModel(rawValue: String(part)) else {
            throw UserError("--null: unknown model '\(part)' (known: uniform, frequency, none)")
        }
        if !out.contains(model) { out.append(model) }
    }
    return out
}
