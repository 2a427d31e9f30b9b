import NTPFormats

/// Options of a dimension sweep with Gaussian context embeddings.
public struct SweepOptions: Sendable {
    /// Embedding dimensions d to try.
    public var dimensions: [Int]
    /// Seeded trials per dimension; trial t uses embedding seed `seed + t` and, for the null model,
    /// support seed `seed + 1_000_003 + t` (real and null share the embedding of a trial).
    public var trials: Int
    public var seed: UInt64
    /// Also sweep the null model (random supports with the real support sizes and counts).
    public var includeNull = true
    public var separability = SeparabilityOptions()
    /// compatible ⇔ residual ≤ this.
    public var compatibilityTolerance = 1e-6
    public init(dimensions: [Int], trials: Int, seed: UInt64 = 0) {
        self.dimensions = dimensions; self.trials = trials; self.seed = seed
    }
}

/// One (model, d) row of a sweep.
public struct SweepRow: Codable, Equatable, Sendable {
    /// "real" or "null".
    public var model: String
    public var dimension: Int
    /// d / m.
    public var ratio: Double
    public var trials: Int
    /// Share of trials certified separable (undecided trials count as not separable).
    public var separableShare: Double
    /// Share of trials left undecided.
    public var undecidedShare: Double
    /// Share of trials compatible (nil without a compatibility hook).
    public var compatibleShare: Double?
    /// Median relative compatibility residual (nil without a hook).
    public var medianResidual: Double?
    /// Median CE − 𝓗 at the minimiser's final W (nil without a minimiser hook).
    public var medianEntropyGap: Double?
    /// Median seconds of one separability decision.
    public var medianDecisionSeconds: Double

    enum CodingKeys: String, CodingKey {
        case model, dimension, ratio, trials
        case separableShare = "separable_share", undecidedShare = "undecided_share"
        case compatibleShare = "compatible_share", medianResidual = "median_residual"
        case medianEntropyGap = "median_entropy_gap", medianDecisionSeconds = "median_decision_seconds"
    }
}

/// The rows of a sweep and the estimated thresholds.
public struct SweepResult: Codable, Equatable, Sendable {
    public var contexts: Int
    public var vocabulary: Int
    public var rows: [SweepRow]
    /// d*/m for the real supports: smallest d with ≥ 50 % separable, linearly interpolated (nil if never reached).
    public var thresholdReal: Double?
    /// The same for the null model.
    public var thresholdNull: Double?

    enum CodingKeys: String, CodingKey {
        case contexts, vocabulary, rows
        case thresholdReal = "threshold_real", thresholdNull = "threshold_null"
    }

    /// CSV with a header line; empty fields for unknown values.
    public func csv() -> String {
        func f(_ x: Double?) -> String { x.map { "\($0)" } ?? "" }
        var lines = ["model,d,d_over_m,trials,separable_share,undecided_share,compatible_share,median_residual,median_entropy_gap,median_decision_seconds"]
        for r in rows {
            lines.append("\(r.model),\(r.dimension),\(r.ratio),\(r.trials),\(r.separableShare),\(r.undecidedShare),\(f(r.compatibleShare)),\(f(r.medianResidual)),\(f(r.medianEntropyGap)),\(r.medianDecisionSeconds)")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

/// Separability/compatibility as a function of the embedding dimension, real vs null supports.
public enum Sweep {
    /// Runs the sweep sequentially (the LP solver is single-threaded; trials are independent).
    /// `progress` receives one line per finished row.
    public static func run(_ data: DataSet, options: SweepOptions, hooks: CheckHooks = CheckHooks(),
                           progress: ((String) -> Void)? = nil) throws -> SweepResult {
        let m = data.contextCount
        let nulls = options.includeNull
            ? (0..<options.trials).map { DataSetSampling.randomSupports(data, seed: options.seed &+ 1_000_003 &+ UInt64($0)) }
            : []
        var rows: [SweepRow] = []
        for model in options.includeNull ? ["real", "null"] : ["real"] {
            for d in options.dimensions {
                var sep = 0, und = 0, comp = 0
                var residuals: [Double] = [], gaps: [Double] = [], times: [Double] = []
                for t in 0..<options.trials {
                    let ds = model == "real" ? data : nulls[t]
                    let h = try ContextFeatures.make(.gaussian(dimension: d, seed: options.seed &+ UInt64(t)), for: ds)
                    let t0 = monotonicSeconds()
                    let r = Separability.decide(ds, features: h, options: options.separability)
                    times.append(monotonicSeconds() - t0)
                    if r.verdict == .separable { sep += 1 }
                    if r.verdict == .undecided { und += 1 }
                    if let c = hooks.compatibilityResidual {
                        let x = try c(ds, h)
                        residuals.append(x)
                        if x <= options.compatibilityTolerance { comp += 1 }
                    }
                    if let minimize = hooks.minimizeCrossEntropy {
                        let run = try minimize(ds, h)
                        gaps.append(CheckRunner.perContextExcessLoss(ds, features: h, weights: run.weights).reduce(0, +))
                    }
                }
                let n = Double(options.trials)
                let row = SweepRow(model: model, dimension: d, ratio: Double(d) / Double(m), trials: options.trials,
                                   separableShare: Double(sep) / n, undecidedShare: Double(und) / n,
                                   compatibleShare: hooks.compatibilityResidual == nil ? nil : Double(comp) / n,
                                   medianResidual: median(residuals), medianEntropyGap: median(gaps),
                                   medianDecisionSeconds: median(times) ?? 0)
                rows.append(row)
                progress?("\(model) d=\(d): separable \(sep)/\(options.trials), undecided \(und)")
            }
        }
        return SweepResult(contexts: m, vocabulary: data.vocabularySize, rows: rows,
                           thresholdReal: threshold(rows.filter { $0.model == "real" }, contexts: m),
                           thresholdNull: threshold(rows.filter { $0.model == "null" }, contexts: m))
    }

    /// d*/m: the smallest d whose separable share is ≥ ½, linearly interpolated between it and the
    /// next smaller d (rows sorted by d). If the smallest d already reaches ½, that d is returned
    /// (the threshold is at most there). nil if no d reaches ½.
    public static func threshold(_ rows: [SweepRow], contexts m: Int) -> Double? {
        let sorted = rows.sorted { $0.dimension < $1.dimension }
        guard let i = sorted.firstIndex(where: { $0.separableShare >= 0.5 }) else { return nil }
        if i == 0 { return Double(sorted[0].dimension) / Double(m) }
        let a = sorted[i - 1], b = sorted[i]
        let d = Double(a.dimension) + (0.5 - a.separableShare) / (b.separableShare - a.separableShare)
            * Double(b.dimension - a.dimension)
        return d / Double(m)
    }

    /// The median (mean of the two middle values for even counts); nil for an empty list.
    public static func median(_ xs: [Double]) -> Double? {
        guard !xs.isEmpty else { return nil }
        let s = xs.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }
}
