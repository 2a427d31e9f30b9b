import ArgumentParser
import Foundation
import NTPCore
import NTPFormats

extension SweepEmbedding: ExpressibleByArgument {}

struct Sweep: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The NTP-separability threshold d*/m with nested random embeddings: real supports against null models, for several m.",
        discussion: """
        For each m in --contexts (the first m contexts of --context-choice's ranking) and each trial t, \
        the embedding rows are drawn once with seed SEED+t and each d uses the first d of them \
        (gaussian:d:(SEED+t) is exactly that H, rescaled). Bisection over d finds the smallest separable \
        d*, proven by a verified W at d* and a verified Farkas certificate at d* − 1. A trial missing \
        either certificate is undecided: its d* is an interval, reported on its own and never counted \
        as not separable. Prints per model and m the median d*/m over the decided trials with a 95 % \
        order-statistic confidence interval.

        Null models keep m, V, every support size and the counts, and redraw which tokens form each \
        support: uniform (every k_j-subset equally likely) or frequency (tokens drawn without \
        replacement with probability ∝ their total count in the real data).
        """)

    @Argument(help: "A data set (.npz) written by ntpsep ingest.")
    var data: String

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

    @Option(help: "Time budget of each separability decision, seconds.")
    var timeLimit: Double = 120

    @Option(help: "Write one CSV row per (model, m, trial) here, and the per-point summary to the same name with -summary.csv.")
    var csv: String?

    @Option(help: "Write the figure (median d*/m against m with its 95 % CI band) as SVG here.")
    var plot: String?

    @Flag(help: "Print the result as JSON (keys: vocabulary, embedding, context_choice, nulls, trials_per_point, points, trials, options, timing: all seconds; nothing else varies run to run).")
    var json = false

    @OptionGroup var selection: ContextSelectionArguments

    func validate() throws {
        try OptionCheck.positive(trials, "--trials")
        try OptionCheck.positive(timeLimit, "--time-limit")
        if let d = maxDim { try OptionCheck.positive(d, "--max-dim") }
    }

    func run() throws {
        let options = try sweepOptions()
        let summaryPath = csv.map(Self.summaryPath)
        try checkOutputs([csv, summaryPath, plot], inputs: [data])
        let full = try DataSet(contentsOfNPZ: data)
        try full.validate()
        if let d = maxDim {
            // The largest nested embedding: D·(N−1) × m features (positional: plus the (N−1)·V × D table).
            let m = Double(min(options.contextCounts.max() ?? 1, full.contextCount)), r = Double(max(1, full.contextLength))
            let doubles = embedding == .gaussian ? Double(d) * m : Double(d) * r * (m + Double(full.vocabularySize))
            try AvailableMemory.require(approximately: 8 * doubles, for: "--max-dim \(d) with m = \(Int(m)) contexts", advice: "use a smaller --max-dim")
        }
        let clock = Stopwatch()
        var result = try NTPCore.Sweep.run(full, options: options) { line in
            FileHandle.standardError.write(Data(("  " + line + " (" + clock.elapsedText + ")\n").utf8))
        }
        result.options = ["data": data, "embedding": embedding.rawValue, "contexts": options.contextCounts.map(String.init).joined(separator: ","),
                          "trials": "\(trials)", "null": null, "max_dim": maxDim.map(String.init) ?? "", "time_limit": "\(timeLimit)",
                          "seed": "\(selection.seed)", "min_context_count": "\(selection.minContextCount)",
                          "context_choice": options.contextChoice.rawValue]
        result.timing = ["decisions": result.decisionSeconds, "total": clock.elapsed]
        if let p = csv { try writeFileAtomically(path: p, contents: result.trialsCSV()) }
        if let p = summaryPath { try writeFileAtomically(path: p, contents: result.summaryCSV()) }
        if let p = plot { try writeFileAtomically(path: p, contents: sweepFigure(result)) }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
            print(String(decoding: try encoder.encode(result), as: UTF8.self))
            return
        }
        print(SweepTable.text(result, seed: selection.seed, minContextCount: selection.minContextCount, of: full.contextCount))
    }

    /// "kjv.csv" → "kjv-summary.csv".
    static func summaryPath(_ path: String) -> String {
        (path.hasSuffix(".csv") ? String(path.dropLast(4)) : path) + "-summary.csv"
    }

    func sweepOptions() throws -> SweepOptions {
        guard trials > 0 else { throw CLIError("--trials must be positive") }
        if contexts != nil && selection.maxContexts != nil { throw CLIError("give either --contexts LIST or --max-contexts N, not both") }
        let ms = try contexts.map(parseContextList) ?? [selection.maxContexts ?? 200]
        guard ms.allSatisfy({ $0 > 0 }) else { throw CLIError("--contexts: every m must be positive") }
        var options = SweepOptions(contextCounts: ms, trials: trials, seed: selection.seed)
        options.contextChoice = selection.contextChoice ?? .mostFrequent
        options.minContextCount = selection.minContextCount
        options.embedding = embedding
        options.nulls = try parseNullList(null)
        if let d = maxDim {
            guard d > 0 else { throw CLIError("--max-dim must be positive") }
            options.maxDimension = d
        }
        guard timeLimit > 0 else { throw CLIError("--time-limit must be positive") }
        options.separability.timeLimit = timeLimit
        return options
    }
}

/// "100,200,500" → [100, 200, 500] (sorted, unique).
func parseContextList(_ text: String) throws -> [Int] {
    var out: [Int] = []
    for part in text.split(separator: ",", omittingEmptySubsequences: false) {
        guard let m = Int(part.trimmingCharacters(in: .whitespaces)), m > 0 else {
            throw CLIError("--contexts: cannot read '\(part)' (expected positive integers, e.g. 100,200,500)")
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
            throw CLIError("--null: unknown model '\(part)' (known: uniform, frequency, none)")
        }
        if !out.contains(model) { out.append(model) }
    }
    return out
}

/// The text table of a sweep result (also used by analyze's terminal summary).
enum SweepTable {
    static func ratio(_ x: Double?, _ p: SweepPoint) -> String {
        guard let x else { return "–" }
        return p.isAboveCap(x) ? "> " + fixed(p.capRatio, 3) : fixed(x, 4)
    }

    static func rows(_ r: SweepResult) -> [String] {
        var lines = ["model".padding(16) + "m".leftPad(6) + "trials".leftPad(8) + "decided".leftPad(9) + "undecided".leftPad(11)
                     + "> cap".leftPad(7) + "median d*/m".leftPad(13) + "   95 % CI (order statistics)"]
        for p in r.points {
            let ci = p.ciLower.map { "[\(ratio($0, p)), \(ratio(p.ciUpper, p))] (coverage \(fixed(p.coverage!, 3)))" }
                ?? "– (fewer than 6 decided trials)"
            lines.append(p.model.padding(16) + String(p.contexts).leftPad(6) + String(p.trials).leftPad(8)
                         + String(p.decided).leftPad(9) + String(p.undecided).leftPad(11) + String(p.aboveCap).leftPad(7)
                         + ratio(p.median, p).leftPad(13) + "   " + ci)
            for iv in p.undecidedIntervals {
                lines.append("    undecided trial: d*/m in [\(fixed(iv[0]!, 4)), \(iv[1].map { fixed($0, 4) } ?? "∞")]")
            }
        }
        return lines
    }

    static func text(_ r: SweepResult, seed: UInt64, minContextCount: Double, of total: Int) -> String {
        let spec = r.embedding == .gaussian ? "gaussian:d:SEED" : "positional-gaussian:D:SEED"
        var lines = ["\(r.embedding.rawValue) embeddings, the m \(r.contextChoice.rawValue) contexts (of \(grouped(total))"
                     + (minContextCount > 0 ? ", count ≥ \(general(minContextCount))" : "") + "), V = \(grouped(r.vocabulary)), "
                     + "\(r.trialsPerPoint) trials per point, null: \(r.nulls.isEmpty ? "none" : r.nulls.map(\.rawValue).joined(separator: ", "))"]
        lines += rows(r)
        lines.append("trial t at d is \(spec) with SEED = \(seed) + t: ntpsep check DATA --max-contexts m --context-choice \(r.contextChoice.rawValue) --seed \(seed) --embedding \(spec)")
        return lines.joined(separator: "\n")
    }
}
