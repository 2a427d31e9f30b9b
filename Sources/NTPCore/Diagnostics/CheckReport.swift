import NTPFormats
#if canImport(Glibc)
import Glibc
#endif

/// One point of a loss trajectory.
public struct LossPoint: Codable, Equatable, Sendable {
    public var iteration: Int
    public var value: Double
    public init(iteration: Int, value: Double) { self.iteration = iteration; self.value = value }
}

/// What a cross-entropy minimiser hands back to `check`: the final W (V × d, row-major) and the
/// loss trajectory; `description` says which optimiser and stopping rule produced it.
public struct CrossEntropyRun: Sendable {
    public var weights: [Double]
    public var history: [LossPoint]
    public var description: String
    public init(weights: [Double], history: [LossPoint], description: String) {
        self.weights = weights; self.history = history; self.description = description
    }
}

/// The solvers `check` borrows from other parts of NTPCore, as closures so that the diagnostics
/// do not depend on their types. Every hook is optional; a missing one leaves its report keys null.
public struct CheckHooks {
    /// Relative residual of the compatibility (log-odds) system; 0 means NTP_𝓗-compatible.
    public var compatibilityResidual: ((DataSet, ContextFeatures) throws -> Double)?
    /// Minimises CE(W) to the hook's own tolerance and returns W and the trajectory.
    public var minimizeCrossEntropy: ((DataSet, ContextFeatures) throws -> CrossEntropyRun)?
    /// ‖W^mm‖_F of the NTP-SVM (only called when separable); the report's margin is then 1/‖W^mm‖.
    public var maxMarginNorm: ((DataSet, ContextFeatures) throws -> Double)?
    /// Builds a projector onto 𝓕^⊥ for the first-order fallback of large problems.
    public var complementProjector: ((DataSet, ContextFeatures) throws -> ((inout [Double]) -> Void))?
    public init(compatibilityResidual: ((DataSet, ContextFeatures) throws -> Double)? = nil,
                minimizeCrossEntropy: ((DataSet, ContextFeatures) throws -> CrossEntropyRun)? = nil,
                maxMarginNorm: ((DataSet, ContextFeatures) throws -> Double)? = nil,
                complementProjector: ((DataSet, ContextFeatures) throws -> ((inout [Double]) -> Void))? = nil) {
        self.compatibilityResidual = compatibilityResidual
        self.minimizeCrossEntropy = minimizeCrossEntropy
        self.maxMarginNorm = maxMarginNorm
        self.complementProjector = complementProjector
    }
}

/// A context named in a report, with its text when the data set has a vocabulary and contexts.
public struct ReportedContext: Codable, Equatable, Sendable {
    /// Row index in the input data set (before any subsample; see `CheckOptions.originalRows`).
    public var index: Int
    /// Farkas weight α_j, or excess loss π̂_j (CE_j − H_j), depending on the list.
    public var weight: Double
    /// Context tokens joined by spaces ("#j" without vocabulary/contexts).
    public var text: String
    /// Support S_j as token strings (ids as text without a vocabulary), most frequent first.
    public var support: [String]
}

/// Summary of the certificate behind the separability verdict.
public struct CertificateSummary: Codable, Equatable, Sendable {
    /// "separating-W", "farkas" or "none".
    public var kind: String
    /// Whether the independent re-check passed.
    public var verified: Bool
    /// Separating W: smallest margin (≈ 1) and largest tie violation.
    public var minMargin: Double?
    public var maxTieViolation: Double?
    /// Farkas: ‖Σ α C + Σ β T‖_F and its value relative to Σ α ‖C‖_F + Σ |β| ‖T‖_F.
    public var residualNorm: Double?
    public var relativeResidual: Double?
    /// Farkas: any tie-satisfying W with all margins ≥ 1 has ‖W‖_F ≥ this (1/‖R‖_F; ∞ encoded as null).
    public var normLowerBound: Double?
    /// Number of nonzero α and β.
    public var marginMultipliers: Int
    public var tieMultipliers: Int
    /// LP statistics, when the LP ran.
    public var lp: SeparabilityLPStatistics?
    /// First-order statistics, when undecided.
    public var firstOrder: FirstOrderSeparabilityStatistics?
    /// Why undecided, or why verification failed.
    public var reason: String?
    /// The route that decided (closed form, minimum-norm point, LP) and its effort.
    public var method: String?

    enum CodingKeys: String, CodingKey {
        case kind, verified, reason, lp, method
        case minMargin = "min_margin", maxTieViolation = "max_tie_violation", residualNorm = "residual_norm"
        case relativeResidual = "relative_residual", normLowerBound = "norm_lower_bound"
        case marginMultipliers = "margin_multipliers", tieMultipliers = "tie_multipliers", firstOrder = "first_order"
    }

    fileprivate enum LPKeys: String, CodingKey {
        case columns, rounds, tieRows = "tie_rows", marginRows = "margin_rows", fullMarginRows = "full_margin_rows"
    }

    /// As synthesized, except that the LP's seconds are left out: they change run to run, and the
    /// report's `timing` holds them (separability_simplex), so the rest is byte-identical.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(kind, forKey: .kind)
        try c.encode(verified, forKey: .verified)
        try c.encodeIfPresent(minMargin, forKey: .minMargin)
        try c.encodeIfPresent(maxTieViolation, forKey: .maxTieViolation)
        try c.encodeIfPresent(residualNorm, forKey: .residualNorm)
        try c.encodeIfPresent(relativeResidual, forKey: .relativeResidual)
        try c.encodeIfPresent(normLowerBound, forKey: .normLowerBound)
        try c.encode(marginMultipliers, forKey: .marginMultipliers)
        try c.encode(tieMultipliers, forKey: .tieMultipliers)
        if let lp {
            var n = c.nestedContainer(keyedBy: LPKeys.self, forKey: .lp)
            try n.encode(lp.columns, forKey: .columns)
            try n.encode(lp.rounds, forKey: .rounds)
            try n.encode(lp.tieRows, forKey: .tieRows)
            try n.encode(lp.marginRows, forKey: .marginRows)
            try n.encode(lp.fullMarginRows, forKey: .fullMarginRows)
        }
        try c.encodeIfPresent(firstOrder, forKey: .firstOrder)
        try c.encodeIfPresent(reason, forKey: .reason)
        try c.encodeIfPresent(method, forKey: .method)
    }
}

extension CertificateSummary {
    /// Reads what `encode(to:)` writes (the LP's seconds, left to `timing`, are 0).
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        kind = try c.decode(String.self, forKey: .kind)
        verified = try c.decode(Bool.self, forKey: .verified)
        minMargin = try c.decodeIfPresent(Double.self, forKey: .minMargin)
        maxTieViolation = try c.decodeIfPresent(Double.self, forKey: .maxTieViolation)
        residualNorm = try c.decodeIfPresent(Double.self, forKey: .residualNorm)
        relativeResidual = try c.decodeIfPresent(Double.self, forKey: .relativeResidual)
        normLowerBound = try c.decodeIfPresent(Double.self, forKey: .normLowerBound)
        marginMultipliers = try c.decode(Int.self, forKey: .marginMultipliers)
        tieMultipliers = try c.decode(Int.self, forKey: .tieMultipliers)
        if c.contains(.lp) {
            let n = try c.nestedContainer(keyedBy: LPKeys.self, forKey: .lp)
            lp = SeparabilityLPStatistics(columns: try n.decode(Int.self, forKey: .columns), tieRows: try n.decode(Int.self, forKey: .tieRows),
                                          marginRows: try n.decode(Int.self, forKey: .marginRows),
                                          fullMarginRows: try n.decode(Int.self, forKey: .fullMarginRows),
                                          rounds: try n.decode(Int.self, forKey: .rounds), simplexSeconds: 0, totalSeconds: 0)
        }
        firstOrder = try c.decodeIfPresent(FirstOrderSeparabilityStatistics.self, forKey: .firstOrder)
        reason = try c.decodeIfPresent(String.self, forKey: .reason)
        method = try c.decodeIfPresent(String.self, forKey: .method)
    }
}

/// Everything `ntpsep check` reports (JSON keys in snake_case; unknown values are null).
public struct CheckReport: Codable, Equatable, Sendable {
    public var contexts: Int
    public var vocabulary: Int
    public var dimension: Int
    public var embedding: String
    /// 𝓗 in nats.
    public var entropy: Double
    /// NTP_𝓗-compatible (compat_residual ≤ tolerance); null without a compatibility solver.
    public var compatible: Bool?
    public var compatResidual: Double?
    /// NTP-separable; null when undecided or at the threshold.
    public var separable: Bool?
    /// "separable", "not-separable", "at-threshold" or "undecided".
    public var verdict: String
    /// τ, the relative tolerance of the decision.
    public var tolerance: Double
    /// Certified bracket on γ* (max normalized margin, units of H), when the decision produced one.
    public var marginBracket: MarginBracket?
    /// Upper bound on inf CE − 𝓗: CE(W) − 𝓗 at the minimiser's final W; null without a minimiser.
    public var entropyGap: Double?
    /// CE − 𝓗 along the minimiser's trajectory (trend).
    public var entropyGapTrend: [LossPoint]?
    /// How the entropy gap was computed (optimiser and stopping rule).
    public var entropyGapMethod: String?
    /// Certified [lower, upper] for inf CE − 𝓗 (theory.md §7): lower from an exactly feasible (to τ)
    /// point of the maximum-entropy dual, upper = min(`entropy_gap`, CE − 𝓗 at the search's last W);
    /// null without a minimiser.
    public var entropyGapInterval: [Double]?
    /// How the lower end was obtained: the feasible q's residual, τ, slack and method.
    public var entropyGapBound: EntropyGapInterval?
    /// Share of contexts / of events that the best W found separates (a verified separating W when
    /// separable, else the minimiser's W projected onto 𝓕⊥): lower bounds from a heuristic.
    public var separatedShareContexts: Double?
    public var separatedShareEvents: Double?
    /// Which W the shares count.
    public var separatedShareMethod: String?
    /// Margin: 1/‖W^mm‖ when the max-margin solver ran, else min margin/‖W‖ of the LP certificate
    /// (a lower bound on 1/‖W^mm‖); null when not separable or undecided.
    public var margin: Double?
    /// "max-margin" or "certificate-lower-bound".
    public var marginKind: String?
    public var certificate: CertificateSummary
    /// Contexts of the Farkas certificate by decreasing α_j (at most `top`).
    public var involvedContexts: [ReportedContext]
    /// Number of contexts with α_j > 0.
    public var involvedContextCount: Int
    /// Contexts with the largest π̂_j (CE_j − H_j) at the minimiser's W.
    public var excessLossContexts: [ReportedContext]
    /// Seconds per stage ("separability", "separability_simplex", "compatibility", "entropy_gap",
    /// "max_margin", "total"): JSON key `timing`, the only part of the report that changes run to run.
    public var timings: [String: Double]
    /// The command's options and seeds as given (JSON key `options`), so a report says how to rerun it.
    public var options: [String: String] = [:]
    /// The certificate file written (`CheckOptions.certificatePath`); null when none was asked for.
    public var certificateFile: CertificateFileSummary? = nil

    enum CodingKeys: String, CodingKey {
        case contexts, vocabulary, dimension, embedding, entropy, compatible, separable, margin, certificate, options
        case timings = "timing"
        case verdict, tolerance, marginBracket = "margin_bracket"
        case compatResidual = "compat_residual", entropyGap = "entropy_gap", entropyGapTrend = "entropy_gap_trend"
        case entropyGapMethod = "entropy_gap_method", marginKind = "margin_kind"
        case involvedContexts = "involved_contexts", involvedContextCount = "involved_context_count"
        case excessLossContexts = "excess_loss_contexts", certificateFile = "certificate_file"
        case entropyGapInterval = "entropy_gap_interval", entropyGapBound = "entropy_gap_bound"
        case separatedShareContexts = "separated_share_contexts", separatedShareEvents = "separated_share_events"
        case separatedShareMethod = "separated_share_method"
    }

    private enum BracketKeys: String, CodingKey { case lower, upper, scale }

    /// Writes unknown values as explicit nulls, so every documented key is always present.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(contexts, forKey: .contexts)
        try c.encode(vocabulary, forKey: .vocabulary)
        try c.encode(dimension, forKey: .dimension)
        try c.encode(embedding, forKey: .embedding)
        try c.encode(entropy, forKey: .entropy)
        try c.encode(compatible, forKey: .compatible)
        try c.encode(compatResidual.map(finiteOrNil) ?? nil, forKey: .compatResidual)
        try c.encode(separable, forKey: .separable)
        try c.encode(verdict, forKey: .verdict)
        try c.encode(tolerance, forKey: .tolerance)
        if let b = marginBracket {
            // An unknown end is ±∞ in the bracket, which JSON cannot hold: it is written as null.
            var n = c.nestedContainer(keyedBy: BracketKeys.self, forKey: .marginBracket)
            try n.encode(finiteOrNil(b.lower), forKey: .lower)
            try n.encode(finiteOrNil(b.upper), forKey: .upper)
            try n.encode(finiteOrNil(b.scale), forKey: .scale)
        } else {
            try c.encodeNil(forKey: .marginBracket)
        }
        try c.encode(entropyGap.map(finiteOrNil) ?? nil, forKey: .entropyGap)
        try c.encode(entropyGapTrend, forKey: .entropyGapTrend)
        try c.encode(entropyGapMethod, forKey: .entropyGapMethod)
        try c.encode(entropyGapInterval, forKey: .entropyGapInterval)
        try c.encode(entropyGapBound, forKey: .entropyGapBound)
        try c.encode(separatedShareContexts, forKey: .separatedShareContexts)
        try c.encode(separatedShareEvents, forKey: .separatedShareEvents)
        try c.encode(separatedShareMethod, forKey: .separatedShareMethod)
        try c.encode(margin.map(finiteOrNil) ?? nil, forKey: .margin)
        try c.encode(marginKind, forKey: .marginKind)
        try c.encode(certificate, forKey: .certificate)
        try c.encode(involvedContexts, forKey: .involvedContexts)
        try c.encode(involvedContextCount, forKey: .involvedContextCount)
        try c.encode(excessLossContexts, forKey: .excessLossContexts)
        // Empty when a caller gathered the seconds elsewhere (analyze's one `timing` key).
        if !timings.isEmpty { try c.encode(timings, forKey: .timings) }
        try c.encode(options, forKey: .options)
        try c.encode(certificateFile, forKey: .certificateFile)
    }
}

private func finiteOrNil(_ x: Double) -> Double? { x.isFinite ? x : nil }

/// Options of `CheckRunner.run`.
public struct CheckOptions: Sendable {
    public var separability = SeparabilityOptions()
    /// compatible ⇔ compat_residual ≤ this.
    public var compatibilityTolerance = 1e-6
    /// How many contexts each list of the report shows.
    public var top = 10
    /// Options of the certified lower end of the entropy gap; `entropyGapBound = false` skips it.
    public var entropyGapBoundOptions = EntropyGapBoundOptions()
    public var entropyGapBound = true
    /// Input-data-set row of each context of the data set checked (`DataSetSampling.subsample`'s
    /// `rows`), so that reports and certificates name input rows; nil = the data set is the input.
    public var originalRows: [Int]? = nil
    /// Write the certificate behind the verdict here (`CertificateFile`) right after the decision.
    public var certificatePath: String? = nil
    /// A W (V × d row-major) to certify before any solver runs, e.g. a user's file; the solvers decide
    /// when it does not separate.
    public var candidateWeights: CandidateWeights? = nil
    /// Decide through the most frequent contexts first (`SubsetLadder`), starting with this many.
    public var subsetLadderStart: Int? = nil
    public init() {}
}

/// A W from outside the separability solvers, and where it came from (printed with the verdict).
public struct CandidateWeights: Sendable {
    public var weights: [Double]
    public var source: String
    public init(weights: [Double], source: String) { self.weights = weights; self.source = source }
}

/// Runs the `check` diagnostics on one data set and embedding.
public enum CheckRunner {
    /// Separability (always), compatibility / entropy gap / max margin (when the hooks are given).
    public static func run(_ data: DataSet, features: ContextFeatures, embedding: String,
                           options: CheckOptions = CheckOptions(), hooks: CheckHooks = CheckHooks()) throws -> CheckReport {
        let start = monotonicSeconds()
        var timings: [String: Double] = [:]
        // One BLAS thread, as the Wolfe solver already does: with OpenBLAS's threads (the machine's
        // cores by default) the decision's active set, the Farkas weights, the Adam run of the entropy
        // gap and every number after them changed with the core count. The loss keeps its own
        // `threads` workers (a fixed 2 in `CheckHooks.standard`), so the report does not depend on
        // the machine.
        let blasThreads = blasThreadCount()
        setBLASThreads(1)
        defer { setBLASThreads(blasThreads) }
        var t0 = monotonicSeconds()
        let projector = try hooks.complementProjector?(data, features)
        var sep = options.candidateWeights.flatMap {
            Separability.certify(weights: $0.weights, data: data, features: features, options: options.separability,
                                 projector: projector, source: $0.source)
        } ?? options.subsetLadderStart.map {
            SubsetLadder.decide(data, features: features, options: options.separability, start: $0).result
        } ?? Separability.decide(data, features: features, options: options.separability, complementProjector: projector)
        timings["separability"] = monotonicSeconds() - t0
        var trained: CrossEntropyRun? = nil
        if sep.verdict == .undecided, let minimize = hooks.minimizeCrossEntropy {
            // The entropy-gap run's W is one more source of a separating W (projected onto 𝓕⊥).
            t0 = monotonicSeconds()
            trained = try minimize(data, features)
            timings["entropy_gap"] = monotonicSeconds() - t0
            if let r = Separability.certify(weights: trained!.weights, data: data, features: features, options: options.separability,
                                            projector: projector, source: "the entropy-gap run's W projected onto 𝓕⊥") {
                sep = r
            }
        }
        var certificateFile: CertificateFileSummary? = nil
        if let path = options.certificatePath {
            let file = CertificateFile(sep, data: data, features: features, originalRows: options.originalRows, path: path)
            try file.write(to: path)
            certificateFile = file.summary
        }

        var report = CheckReport(contexts: data.contextCount, vocabulary: data.vocabularySize,
                                 dimension: features.dimension, embedding: embedding, entropy: data.entropy(),
                                 compatible: nil, compatResidual: nil,
                                 separable: sep.verdict == .separable ? true : sep.verdict == .notSeparable ? false : nil,
                                 verdict: sep.verdict.rawValue, tolerance: sep.tolerance, marginBracket: sep.marginBracket,
                                 entropyGap: nil, entropyGapTrend: nil, entropyGapMethod: nil,
                                 entropyGapInterval: nil, entropyGapBound: nil,
                                 separatedShareContexts: nil, separatedShareEvents: nil, separatedShareMethod: nil,
                                 margin: nil, marginKind: nil, certificate: summary(sep),
                                 involvedContexts: sep.involvedContexts.prefix(options.top).map {
                                     reported(data, $0.context, $0.weight, originalRows: options.originalRows) },
                                 involvedContextCount: sep.involvedContexts.count,
                                 excessLossContexts: [], timings: [:], certificateFile: certificateFile)
        if sep.verdict == .separable {
            report.margin = sep.normalizedMargin
            report.marginKind = "certificate-lower-bound"
            if let mm = hooks.maxMarginNorm {
                t0 = monotonicSeconds()
                let norm = try mm(data, features)
                timings["max_margin"] = monotonicSeconds() - t0
                if norm > 0 { report.margin = 1 / norm; report.marginKind = "max-margin" }
            }
        }
        if let compat = hooks.compatibilityResidual {
            t0 = monotonicSeconds()
            let r = try compat(data, features)
            timings["compatibility"] = monotonicSeconds() - t0
            report.compatResidual = r
            report.compatible = r <= options.compatibilityTolerance
        }
        if let minimize = hooks.minimizeCrossEntropy {
            t0 = monotonicSeconds()
            let run = try trained ?? minimize(data, features)
            let h = report.entropy
            let excess = perContextExcessLoss(data, features: features, weights: run.weights)
            report.entropyGap = excess.reduce(0, +)
            report.entropyGapTrend = run.history.map { LossPoint(iteration: $0.iteration, value: $0.value - h) }
            report.entropyGapMethod = run.description
            let order = excess.indices.sorted { excess[$0] != excess[$1] ? excess[$0] > excess[$1] : $0 < $1 }
            report.excessLossContexts = order.prefix(options.top).map { reported(data, $0, excess[$0], originalRows: options.originalRows) }
            timings["entropy_gap"] = (timings["entropy_gap"] ?? 0) + monotonicSeconds() - t0
            if options.entropyGapBound {
                t0 = monotonicSeconds()
                var bound = EntropyGapBound.compute(data, features: features, weights: run.weights,
                                                    separable: report.separable, compatible: report.compatible,
                                                    options: options.entropyGapBoundOptions)
                // Adam's gap as summed per context above, unless the search's last W did better.
                bound.upper = min(report.entropyGap!, bound.refinedUpper ?? .infinity)
                report.entropyGapBound = bound
                report.entropyGapInterval = [bound.lower, bound.upper]
                timings["entropy_gap_bound"] = monotonicSeconds() - t0
            }
            if sep.verdict != .separable, let projector {
                t0 = monotonicSeconds()
                var w = run.weights
                projector(&w)
                let share = SeparatedShare.count(data, features: features, weights: w, tolerance: sep.tolerance,
                                                 method: "the minimiser's W projected onto 𝓕⊥")
                report.separatedShareContexts = share.contexts
                report.separatedShareEvents = share.events
                report.separatedShareMethod = share.method
                timings["separated_share"] = monotonicSeconds() - t0
            }
        }
        if sep.verdict == .separable, let c = sep.separating {
            let share = SeparatedShare.count(data, features: features, weights: c.weights, tolerance: sep.tolerance,
                                             method: "the verified separating W (every context)")
            report.separatedShareContexts = share.contexts
            report.separatedShareEvents = share.events
            report.separatedShareMethod = share.method
        }
        if let lp = sep.lp { timings["separability_simplex"] = lp.simplexSeconds }
        timings["total"] = monotonicSeconds() - start
        report.timings = timings
        return report
    }

    /// π̂_j (CE_j(W) − H_j) for every context: CE_j = logsumexp(ℓ_j) − Σ_z p̂_{j,z} ℓ_{j,z},
    /// H_j = −Σ_z p̂_{j,z} log p̂_{j,z}, ℓ_j = W h̄_j. Their sum is CE(W) − 𝓗 ≥ 0.
    public static func perContextExcessLoss(_ data: DataSet, features: ContextFeatures, weights: [Double]) -> [Double] {
        let cols = SparseContextColumns(features)
        let V = data.vocabularySize
        precondition(weights.count == V * cols.dimension, "W must be V × d")
        let pi = data.contextFrequencies()
        var logits = [Double](repeating: 0, count: V)
        var out = [Double](repeating: 0, count: data.contextCount)
        weights.withUnsafeBufferPointer { w in
            for j in 0..<data.contextCount where data.supportSize(j) > 0 {
                for r in 0..<V { logits[r] = cols.logit(w, row: r, context: j) }
                let mx = logits.max()!
                var s = 0.0
                for r in 0..<V { s += exp(logits[r] - mx) }
                let lse = mx + log(s)
                let total = data.rowTotal(j)
                var ce = lse, hj = 0.0
                for e in data.rowOffsets[j]..<data.rowOffsets[j + 1] where data.counts[e] > 0 {
                    let p = data.counts[e] / total
                    ce -= p * logits[Int(data.columns[e])]
                    hj -= p * log(p)
                }
                out[j] = pi[j] * (ce - hj)
            }
        }
        return out
    }

    static func summary(_ r: SeparabilityResult) -> CertificateSummary {
        var s = CertificateSummary(kind: "none", verified: false, marginMultipliers: 0, tieMultipliers: 0,
                                   lp: r.lp, firstOrder: r.firstOrder, reason: r.reason, method: r.method)
        if let c = r.separating, let k = r.check {
            _ = c
            s.kind = "separating-W"; s.verified = k.valid
            s.minMargin = k.minMargin; s.maxTieViolation = k.maxTieViolation
        } else if let f = r.farkas, let k = r.check {
            s.kind = "farkas"; s.verified = k.valid
            s.residualNorm = k.residualNorm; s.relativeResidual = k.relativeResidual
            s.normLowerBound = k.residualNorm > 0 ? 1 / k.residualNorm : nil
            s.marginMultipliers = f.marginMultipliers.count; s.tieMultipliers = f.tieMultipliers.count
        }
        return s
    }

    /// A context with its text and support, read from the data set's vocabulary and contexts; its
    /// index is `originalRows[j]` (the input row) when given.
    public static func reported(_ data: DataSet, _ j: Int, _ weight: Double, originalRows: [Int]? = nil) -> ReportedContext {
        let index = originalRows?[j] ?? j
        var text = "#\(index)"
        if let v = data.vocabulary, let c = data.contexts, data.contextLength > 0 {
            text = (0..<data.contextLength).map { v[Int(c[j * data.contextLength + $0])] }.joined(separator: " ")
        }
        let range = data.rowOffsets[j]..<data.rowOffsets[j + 1]
        let support = range.sorted { data.counts[$0] != data.counts[$1] ? data.counts[$0] > data.counts[$1] : $0 < $1 }
            .map { e -> String in
                let t = Int(data.columns[e])
                return data.vocabulary?[t] ?? String(t)
            }
        return ReportedContext(index: index, weight: weight, text: text, support: support)
    }
}
