import ArgumentParser
import Foundation
import NTPCore
import NTPFormats

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

    /// Loads DATA and applies the selection; returns the data set, the original m, and a one-line note.
    func load(_ path: String) throws -> (data: DataSet, originalCount: Int, note: String) {
        let s = try loadSelection(path)
        return (s.data, s.originalCount, s.note)
    }

    /// `load`, plus the input row of each kept context (for reports and certificates).
    func loadSelection(_ path: String) throws -> (data: DataSet, originalCount: Int, rows: [Int], note: String) {
        let full = try DataSet(contentsOfNPZ: path)
        try full.validate()
        let (data, rows) = maxContexts.map { cap in
            DataSetSampling.choose(full, count: cap, choice: contextChoice ?? .randomContexts, minContextCount: minContextCount, seed: seed)
        } ?? DataSetSampling.subsample(full, minContextCount: minContextCount)
        guard data.contextCount > 0 else {
            throw CLIError("no context of \(path) is seen at least \(minContextCount) times")
        }
        var note = ""
        if data.contextCount < full.contextCount {
            note = " (of \(grouped(full.contextCount)); min count \(general(minContextCount)), "
                + (maxContexts.map { "at most \(grouped($0)), \(contextChoice.map { $0.rawValue + ", " } ?? "")seed \(seed)" } ?? "no cap") + ")"
        }
        return (data, full.contextCount, rows, note)
    }
}



struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Decide NTP-separability (with a verified certificate) and report compatibility and the entropy gap.",
        discussion: """
        separable is decided by Wolfe's minimum-norm point on the projected constraint vectors (theory.md §7),
        with the exact LP (GLPK) as the fallback, to a relative tolerance τ = 1e-9. Every verdict is
        re-verified from the data: a W ⊥ 𝓕 with all margins positive, or Farkas multipliers (α, β).
        A bracket on the max normalized margin γ* below 10τ is reported as "at the threshold".
        --certificate writes the certificate as .npz; scripts/verify_certificate.py re-checks it with numpy.
        """)

    @Argument(help: "A data set (.npz) written by ntpsep ingest.")
    var data: String

    @Option(help: "Context embedding: onehot, gaussian:D[:SEED], positional-onehot, positional-gaussian:D[:SEED], file:H.npy.")
    var embedding: String

    @Flag(help: "Print the report as JSON (keys: compatible, compat_residual, separable, entropy_gap, entropy_gap_interval, separated_share_contexts, margin, certificate, certificate_file, involved_contexts, timing (all seconds; nothing else varies run to run), options, …).")
    var json = false

    @OptionGroup var selection: ContextSelectionArguments

    @Option(help: "How many contexts each list shows.")
    var top: Int = 10

    @Option(help: "Time budget of the separability decision (minimum-norm point, then the exact LP), seconds.")
    var timeLimit: Double = 600

    @Option(help: "Adam steps for the entropy gap CE − 𝓗 (0 = skip it).")
    var gapSteps: Int = 2000

    @Option(help: "Budget of the certified lower end of CE − 𝓗 (a feasible maximum-entropy point), in Hessian-vector products (0 = skip it).")
    var gapBoundProducts: Int = 20_000

    @Option(help: ArgumentHelp("Write the certificate behind the separability verdict to this .npz (W, or Farkas α and β, with H and the supports of the input rows it uses); check it with scripts/verify_certificate.py.", valueName: "cert.npz"))
    var certificate: String?

    @Option(help: ArgumentHelp("Decide the N most frequent contexts first, doubling N until a Farkas certificate (valid for the whole data set) or the whole data set; default 1000 when more than 8,000 contexts are checked.", valueName: "N"))
    var growFrom: Int?

    @Option(help: ArgumentHelp("A decoder W (V × d .npy, e.g. from train --out or your own code) to certify first: projected onto 𝓕⊥ (not with --no-compat: then its ties must already hold), it settles 'separable' when every margin is positive; otherwise the solvers decide.", valueName: "W.npy"))
    var weights: String?

    @Flag(help: "Skip the compatibility residual, the NTP-SVM margin and the exact 𝓕⊥ projection of the first-order fallback (ties relaxed): for very large data sets.")
    var noCompat = false

    func validate() throws {
        try OptionCheck.nonNegative(top, "--top")
        try OptionCheck.nonNegative(timeLimit, "--time-limit")   // 0: stop at the first budget check (undecided)
        try OptionCheck.nonNegative(gapSteps, "--gap-steps")
        try OptionCheck.nonNegative(gapBoundProducts, "--gap-bound-products")
        if let n = growFrom { try OptionCheck.positive(n, "--grow-from") }
    }

    func run() throws {
        let spec = try EmbeddingSpec(parsing: embedding)
        try checkOutputs([certificate], inputs: [data, weights], embedding: embedding)
        let (ds, _, rows, note) = try selection.loadSelection(data)
        let features = try ContextFeatures.make(spec, for: ds)
        var options = CheckOptions()
        options.originalRows = rows
        options.certificatePath = certificate
        options.top = top
        options.separability.timeLimit = timeLimit
        options.separability.seed = selection.seed
        options.subsetLadderStart = growFrom ?? (ds.contextCount > 8_000 ? 1_000 : nil)
        options.entropyGapBound = gapBoundProducts > 0
        options.entropyGapBoundOptions.maxHessianProducts = gapBoundProducts
        if let path = weights {
            let w = try readNPY(path: path)
            guard w.shape == [ds.vocabularySize, features.dimension] else {
                throw CLIError("\(path): expected W of shape (V, d) = (\(ds.vocabularySize), \(features.dimension)), got \(w.shape); save it with np.save(path, W)")
            }
            let values = try w.doubles()
            guard values.allSatisfy(\.isFinite) else { throw CLIError("\(path): W contains NaN or infinite values") }
            options.candidateWeights = CandidateWeights(weights: values, source: path)
        }
        var report = try CheckRunner.run(ds, features: features, embedding: spec.description,
                                         options: options, hooks: hooks())
        report.options = recordedOptions()
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            print(render(report, note: note))
        }
    }

    /// Every option and seed as given (absent optional ones as ""), for the JSON report.
    func recordedOptions() -> [String: String] {
        ["data": data, "embedding": embedding, "seed": "\(selection.seed)",
         "max_contexts": selection.maxContexts.map(String.init) ?? "", "min_context_count": "\(selection.minContextCount)",
         "context_choice": selection.contextChoice?.rawValue ?? "", "top": "\(top)", "time_limit": "\(timeLimit)",
         "gap_steps": "\(gapSteps)", "gap_bound_products": "\(gapBoundProducts)", "certificate": certificate ?? "",
         "grow_from": growFrom.map(String.init) ?? "", "weights": weights ?? "", "no_compat": "\(noCompat)"]
    }

    /// The standard hooks, minus what the options turn off.
    func hooks() -> CheckHooks {
        var hooks = CheckHooks.standard(crossEntropySteps: max(gapSteps, 1))
        if gapSteps <= 0 { hooks.minimizeCrossEntropy = nil }
        if noCompat { hooks.compatibilityResidual = nil; hooks.maxMarginNorm = nil; hooks.complementProjector = nil }
        return hooks
    }

    func render(_ r: CheckReport, note: String) -> String {
        var lines: [String] = []
        func row(_ k: String, _ v: String) { lines.append(k + String(repeating: " ", count: max(1, 14 - k.count)) + v) }
        func context(_ c: ReportedContext) -> String {
            let s = c.support.prefix(8).joined(separator: ", ") + (c.support.count > 8 ? ", … (\(c.support.count))" : "")
            return "\(c.text) → {\(s)}"
        }
        row("data", "m = \(grouped(r.contexts))\(note), V = \(grouped(r.vocabulary)), d = \(grouped(r.dimension)) (\(r.embedding))")
        row("entropy 𝓗", "\(fixed(r.entropy, 4)) nats")
        let c = r.certificate
        switch r.verdict {
        case "separable":
            row("separable", "yes — W ⊥ 𝓕 with every margin ≥ \(general(c.minMargin ?? 0, 6)) verified (max tie violation \(general(c.maxTieViolation ?? 0, 2)), τ = \(general(r.tolerance, 2)))")
        case "not-separable":
            row("separable", "no — Farkas certificate verified (relative residual \(general(c.relativeResidual ?? 0, 2)) ≤ τ = \(general(r.tolerance, 2)); \(grouped(r.involvedContextCount)) contexts involved)")
        case "at-threshold":
            row("separable", "at the threshold — γ* is within 10τ of 0 (τ = \(general(r.tolerance, 2))): neither yes nor no in float64")
        default:
            row("separable", "undecided — \(c.reason ?? "")")
            if let f = c.firstOrder {
                row("", "first-order (\(f.iterations) iterations\(f.projected ? ", W ⊥ 𝓕" : ", ties relaxed")): best min margin/‖W‖ \(general(f.bestNormalizedMinMargin, 3)), contexts separated \(fixed(100 * f.bestFractionSeparated, 1))%")
            }
        }
        if let b = r.marginBracket {
            let hi = b.upper.isFinite ? general(b.upper, 4) : "∞"
            row("γ*", "∈ [\(general(b.lower, 4)), \(hi)] (max normalized margin, units of H; scale √2·max‖h̄_j‖ = \(general(b.scale, 4)))")
        }
        if let m = r.margin { row("margin", "\(general(m, 4)) (\(r.marginKind == "max-margin" ? "1/‖W^mm‖" : "min margin/‖W‖ of the certificate's W, a lower bound on 1/‖W^mm‖"))") }
        if let how = c.method, !how.isEmpty { row("method", how) }
        if let lp = c.lp {
            row("LP", "\(grouped(lp.columns)) columns, \(grouped(lp.tieRows)) tie rows, \(grouped(lp.marginRows)) of \(grouped(lp.fullMarginRows)) margin rows, \(lp.rounds) round\(lp.rounds == 1 ? "" : "s"), simplex \(fixed(lp.simplexSeconds, 2)) s")
        }
        if let comp = r.compatible {
            row("compatible", "\(comp ? "yes" : "no") (relative residual \(general(r.compatResidual ?? .nan, 3)))")
        } else {
            row("compatible", "not computed (--no-compat)")
        }
        if let gap = r.entropyGap {
            row("entropy gap", "CE − 𝓗 ≤ \(general(gap, 4)) nats (\(r.entropyGapMethod ?? ""))")
            if let t = r.entropyGapTrend, t.count >= 2 {
                var pts = t.count <= 6 ? t : stride(from: 0, to: t.count, by: max(1, t.count / 5)).map { t[$0] }
                if pts.last != t.last { pts.append(t.last!) }
                row("", "trend: " + pts.map { "\($0.iteration): \(general($0.value, 3))" }.joined(separator: "  "))
            }
            if let i = r.entropyGapInterval, let b = r.entropyGapBound {
                let refined = i[1] < (r.entropyGap ?? .infinity)
                row("", "CE − 𝓗 ∈ \(intervalText(i[0], i[1])) nats (certified: lower from a feasible maximum-entropy point, upper from Adam's W\(refined ? " after \(b.rounds) Newton rounds" : ""))")
                row("", "lower end: \(b.method); moment residual \(general(b.residual, 2)) (τ = \(general(b.tolerance, 2))), \(fixed(b.seconds, 2)) s")
            }
        } else {
            row("entropy gap", "not computed (--gap-steps 0)")
        }
        if let c = r.separatedShareContexts, let e = r.separatedShareEvents {
            row("separated", "≥ \(fixed(100 * c, 1))% of contexts, ≥ \(fixed(100 * e, 1))% of events (lower bounds from a heuristic: \(r.separatedShareMethod ?? ""))")
        }
        if !r.involvedContexts.isEmpty {
            lines.append("contexts in the Farkas certificate (α_j, \(r.involvedContexts.count) of \(r.involvedContextCount)):")
            for x in r.involvedContexts { lines.append("  " + fixed(x.weight, 4).leftPad(8) + "  " + context(x)) }
        }
        if !r.excessLossContexts.isEmpty {
            lines.append("contexts with the largest excess loss π̂_j (CE_j − H_j):")
            for x in r.excessLossContexts { lines.append("  " + general(x.weight, 3).leftPad(9) + "  " + context(x)) }
        }
        if let f = r.certificateFile { row("certificate", "wrote \(f.path) (\(f.description))") }
        let order = ["separability", "compatibility", "entropy_gap", "entropy_gap_bound", "separated_share", "max_margin", "total"]
        row("timings", order.compactMap { k in r.timings[k].map { "\(k) \(fixed($0, 2)) s" } }.joined(separator: ", "))
        return lines.joined(separator: "\n")
    }
}
