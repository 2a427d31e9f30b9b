import Dispatch
import NTPFormats
import Synchronization

/// The nested random embedding families a threshold sweep can draw.
public enum SweepEmbedding: String, CaseIterable, Codable, Sendable {
    /// `gaussian:D:SEED`: d = D.
    case gaussian
    /// `positional-gaussian:D:SEED`: d = (N−1)·D, nested per position block.
    case positionalGaussian = "positional-gaussian"

    /// The embedding of dimension parameter D drawn with `seed`.
    public func spec(_ D: Int, seed: UInt64) -> EmbeddingSpec {
        switch self {
        case .gaussian: return .gaussian(dimension: D, seed: seed)
        case .positionalGaussian: return .positionalGaussian(dimension: D, seed: seed)
        }
    }

    /// d per unit of D: 1, or the context length N − 1.
    public func dimensionFactor(_ data: DataSet) -> Int { self == .gaussian ? 1 : max(data.contextLength, 1) }

    /// The largest D worth trying: m for gaussian (H has full column rank there, so every support
    /// pattern is separable); V for positional-gaussian (from D = V on, each position block is an
    /// injective image of the one-hot block, so the verdict is positional-onehot's and stops changing).
    public func defaultCap(_ data: DataSet) -> Int {
        self == .gaussian ? data.contextCount : data.vocabularySize
    }
}

/// Options of a threshold sweep.
public struct SweepOptions: Sendable {
    /// The numbers of contexts m, one point of the figure each.
    public var contextCounts: [Int]
    /// How the m contexts are chosen (the first m of one ranking, so the sets are nested in m).
    public var contextChoice: ContextChoice = .mostFrequent
    /// Only contexts seen at least this often are eligible.
    public var minContextCount: Double = 0
    /// Trials per (model, m).
    public var trials: Int
    /// Seeds: trial t draws its embedding with seed + t (real and null share it), its null supports
    /// with seed + 1,000,003 + t, and the random context choices use seed itself.
    public var seed: UInt64
    public var embedding: SweepEmbedding = .gaussian
    /// Null models compared with the real supports (possibly none).
    public var nulls: [NullModel] = [.uniform]
    /// Largest D tried (default `SweepEmbedding.defaultCap`, never above it).
    public var maxDimension: Int? = nil
    /// Decisions that prove nothing (.undecided, .atThreshold) a trial may meet before it stops.
    public var maxUnresolved = 3
    /// Options of every separability decision (time limit, tolerances).
    public var separability = SeparabilityOptions()
    /// Trials of a point decided at once, each on its own thread (one core each). A trial's hint comes
    /// from the trials of earlier batches only, so the decisions made depend on this number but not on
    /// the machine or the timing; the proven thresholds do not depend on it.
    public var trialsAtOnce = 2

    public init(contextCounts: [Int], trials: Int = 20, seed: UInt64 = 0) {
        self.contextCounts = contextCounts; self.trials = trials; self.seed = seed
        separability.firstOrderIterations = 0   // its statistics are not used by a sweep
        separability.boundMarginAfterYes = false   // nor are the brackets on γ*
    }

    /// Every decision's options: with several trials at once and no memory bound of its own, the
    /// minimum-norm point's default (half the available memory) is shared among them.
    func separabilityPerTrial() -> SeparabilityOptions {
        var o = separability
        if o.minNormPointMemory == nil, trialsAtOnce > 1, let available = AvailableMemory.bytes() {
            o.minNormPointMemory = Int(available / 2) / trialsAtOnce
        }
        return o
    }

    /// The model names, real first: "real", "null-uniform", "null-frequency".
    public var models: [String] { ["real"] + nulls.map { "null-" + $0.rawValue } }
}

/// One trial: the bracket on its threshold in units of D, and the seeds that reproduce it.
///
/// Its H at dimension D is exactly `ContextFeatures.make(embedding.spec(D, seed: embeddingSeed))`,
/// i.e. `ntpsep check` with `--embedding gaussian:D:SEED` on the same contexts.
public struct SweepTrial: Codable, Equatable, Sendable {
    public var model: String
    /// m.
    public var contexts: Int
    /// Trial index t.
    public var trial: Int
    public var embeddingSeed: UInt64
    /// Seed of the null supports (nil for the real supports).
    public var supportSeed: UInt64?
    /// d = dimensionFactor · D.
    public var dimensionFactor: Int
    public var bracket: ThresholdBracket

    /// `m`, as in the CSV files (before: `contexts`).
    enum CodingKeys: String, CodingKey {
        case model, contexts = "m", trial, bracket
        case embeddingSeed = "embedding_seed", supportSeed = "support_seed", dimensionFactor = "dimension_factor"
    }

    /// The CSV row's derived columns, also in the JSON (QA round 11: they had to be rebuilt from
    /// `bracket`, in per-position D for positional runs). Written, never read back.
    private enum DerivedKeys: String, CodingKey {
        case status, dStar = "d_star", dLower = "d_lower", dUpper = "d_upper", ratio = "d_star_over_m", decisions
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(model, forKey: .model); try c.encode(contexts, forKey: .contexts); try c.encode(trial, forKey: .trial)
        try c.encode(bracket, forKey: .bracket); try c.encode(embeddingSeed, forKey: .embeddingSeed)
        try c.encode(supportSeed, forKey: .supportSeed)   // null for the real supports, as the CSV's empty cell; try c.encode(dimensionFactor, forKey: .dimensionFactor)
        var derived = encoder.container(keyedBy: DerivedKeys.self)
        let f = dimensionFactor
        try derived.encode(status, forKey: .status)
        try derived.encode(bracket.threshold.map { $0 * f }, forKey: .dStar)
        try derived.encode((bracket.lower + 1) * f, forKey: .dLower)
        try derived.encode(bracket.upper.map { $0 * f }, forKey: .dUpper)
        try derived.encode(ratio, forKey: .ratio)
        try derived.encode(bracket.evaluations.count, forKey: .decisions)
    }

    /// "decided", "above-cap" (proven d* > cap) or "undecided".
    public var status: String { bracket.isAboveCap ? "above-cap" : bracket.isDecided ? "decided" : "undecided" }

    /// d*/m for a proven d* ≤ cap; (cap + 1)/m, a lower bound, for a proven d* > cap; nil when undecided.
    public var ratio: Double? {
        guard bracket.isDecided else { return nil }
        let d = (bracket.threshold ?? bracket.cap + 1) * dimensionFactor
        return Double(d) / Double(contexts)
    }
}

/// The real-or-null threshold at one m: median d*/m over the decided trials with its 95 % interval.
public struct SweepPoint: Codable, Equatable, Sendable {
    public var model: String
    /// m.
    public var contexts, trials: Int
    /// Trials with a proven d* (including those above the cap).
    public var decided: Int
    /// Trials left as an interval; never counted in the statistics below.
    public var undecided: Int
    /// Decided trials with d* > cap; they enter the statistics as (cap + 1)/m, a lower bound.
    public var aboveCap: Int
    /// (cap · dimensionFactor)/m, the largest d/m tried.
    public var capRatio: Double
    /// Median d*/m of the decided trials (nil without any).
    @FiniteOrNull public var median: Double?
    /// 95 % order-statistic interval for the median (nil with fewer than 6 decided trials).
    @FiniteOrNull public var ciLower: Double?
    @FiniteOrNull public var ciUpper: Double?
    /// Its exact binomial coverage.
    @FiniteOrNull public var coverage: Double?
    /// Undecided trials' intervals [lower, upper] of d*/m (upper nil: unbounded).
    public var undecidedIntervals: [[Double?]]

    /// The summary CSV's column names (before: `contexts` and `cap_ratio`).
    enum CodingKeys: String, CodingKey {
        case model, contexts = "m", trials, decided, undecided, median, coverage
        case aboveCap = "above_cap", capRatio = "cap_over_m", ciLower = "ci_lower", ciUpper = "ci_upper"
        case undecidedIntervals = "undecided_intervals"
    }

    /// Summarizes the trials of one (model, m).
    public init(model: String, contexts m: Int, trials: [SweepTrial]) {
        self.model = model; contexts = m; self.trials = trials.count
        let values = trials.compactMap(\.ratio)
        decided = values.count
        undecided = trials.count - values.count
        aboveCap = trials.filter { $0.bracket.isAboveCap }.count
        capRatio = trials.first.map { Double($0.bracket.cap * $0.dimensionFactor) / Double(m) } ?? 0
        median = Sweep.median(values)
        let ci = MedianInterval(count: values.count)
        let b = ci.bounds(values)
        ciLower = b?.lower; ciUpper = b?.upper; coverage = ci.coverage
        undecidedIntervals = trials.filter { !$0.bracket.isDecided }.map { t in
            let f = Double(t.dimensionFactor), contextCount = Double(m)
            return [Double(t.bracket.lower + 1) * f / contextCount, t.bracket.upper.map { Double($0) * f / contextCount }]
        }
    }

    /// Whether a statistic is the above-cap lower bound (cap + 1)/m rather than a measured d*/m.
    public func isAboveCap(_ x: Double) -> Bool { x > capRatio + 1e-12 }
}

/// The trials and points of a threshold sweep.
public struct SweepResult: Codable, Equatable, Sendable {
    public var vocabulary: Int
    public var embedding: SweepEmbedding
    public var contextChoice: ContextChoice
    public var nulls: [NullModel]
    public var trialsPerPoint: Int
    public var points: [SweepPoint]
    public var trials: [SweepTrial]
    /// The command's options and seeds as given (set by the caller; JSON key `options`).
    public var options: [String: OptionValue] = [:]
    /// Seconds ("decisions": all separability decisions, "total"; set by the caller): the only
    /// part of the JSON that changes run to run.
    public var timing: [String: Double]? = nil

    /// Wall-clock seconds of all the separability decisions of the trials.
    public var decisionSeconds: Double { trials.reduce(0) { $0 + $1.bracket.evaluations.reduce(0) { $0 + $1.seconds } } }

    enum CodingKeys: String, CodingKey {
        case vocabulary, embedding, nulls, points, trials, options, timing
        case contextChoice = "context_choice", trialsPerPoint = "trials_per_point"
    }

    /// One row per (model, m, trial): d* and its bracket in units of d, and d*/m (no timings, so
    /// the file is a function of the inputs and seeds).
    public func trialsCSV() -> String {
        var lines = ["model,m,trial,embedding_seed,support_seed,status,d_star,d_lower,d_upper,d_star_over_m,decisions"]
        for t in trials {
            let f = t.dimensionFactor
            let dStar = t.bracket.threshold.map { "\($0 * f)" } ?? ""
            lines.append("\(t.model),\(t.contexts),\(t.trial),\(t.embeddingSeed),\(t.supportSeed.map { "\($0)" } ?? ""),\(t.status),\(dStar),"
                         + "\((t.bracket.lower + 1) * f),\(t.bracket.upper.map { "\($0 * f)" } ?? ""),\(t.ratio.map { "\($0)" } ?? ""),\(t.bracket.evaluations.count)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// One row per (model, m): the median d*/m, its 95 % interval and the trial counts.
    public func summaryCSV() -> String {
        func f(_ x: Double?) -> String { x.map { "\($0)" } ?? "" }
        var lines = ["model,m,trials,decided,undecided,above_cap,cap_over_m,median,ci_lower,ci_upper,coverage"]
        for p in points {
            lines.append("\(p.model),\(p.contexts),\(p.trials),\(p.decided),\(p.undecided),\(p.aboveCap),\(p.capRatio),\(f(p.median)),\(f(p.ciLower)),\(f(p.ciUpper)),\(f(p.coverage))")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

/// The NTP-separability threshold d* against m: per trial a bisection over nested embeddings,
/// proven by a W at d* and a Farkas pair at d* − 1, for the real supports and null models.
public enum Sweep {
    /// Runs every (m, model, trial), `SweepOptions.trialsAtOnce` trials of a point at a time (m capped at
    /// the number of eligible contexts). `progress` gets one line per trial, in trial order; `trialData`
    /// gets each trial's data set (the m contexts with the real or the null model's supports) before it
    /// is decided, with its name "MODEL-mM-tT" (e.g. "null-uniform-m50-t4"); `certificates` gets, per
    /// trial, the certificates of the verdicts at the ends of its bracket (a W at the smallest separable
    /// d, Farkas multipliers at the largest non-separable d), named "MODEL-mM-tT-dD". Their contexts are
    /// rows of `data` for the real and the null supports alike; a null trial's file holds its redrawn
    /// supports and names its model (`supports_redrawn`). Every callback is called on the calling thread.
    public static func run(_ data: DataSet, options: SweepOptions, progress: ((String) -> Void)? = nil,
                           trialData: ((String, DataSet) throws -> Void)? = nil,
                           certificates: ((String, CertificateFile) throws -> Void)? = nil) throws -> SweepResult {
        let ms = options.contextCounts
        precondition(!ms.isEmpty && ms.allSatisfy { $0 > 0 } && options.trials > 0 && options.trialsAtOnce > 0,
                     "sweep needs m > 0, trials > 0 and trialsAtOnce > 0")
        // One BLAS thread, as in `CheckRunner`: threaded reductions made verdicts depend on the core count.
        let blasThreads = blasThreadCount()
        setBLASThreads(1)
        defer { setBLASThreads(blasThreads) }
        let ranked = DataSetSampling.rankedContexts(data, choice: options.contextChoice, limit: ms.max()!,
                                                    minContextCount: options.minContextCount, seed: options.seed)
        let decisionOptions = options.separabilityPerTrial()
        var trials: [SweepTrial] = [], points: [SweepPoint] = []
        var lastMedian: [String: (m: Int, d: Int)] = [:]
        // An m beyond the eligible contexts means all of them; the same set is swept once, and said so
        // (QA: --contexts 50 on 30 contexts ran at m = 30 without a word).
        for m in Set(ms).sorted() where m > ranked.count {
            let eligible = options.minContextCount > 0 ? "contexts with count ≥ \(options.minContextCount)" : "contexts"
            progress?("m = \(m) exceeds the data's \(ranked.count) \(eligible): swept at m = \(ranked.count)")
        }
        for m in Array(Set(ms.map { min($0, ranked.count) })).sorted() where m > 0 {
            let rows = Array(ranked.prefix(m)).sorted()
            let chosen = DataSetSampling.select(data, rows: rows)
            for (k, model) in options.models.enumerated() {
                var these: [SweepTrial] = []
                for first in stride(from: 0, to: options.trials, by: options.trialsAtOnce) {
                    // Hint: the median D* of this point's trials in earlier batches, else the previous m's,
                    // rescaled; never a trial of the same batch, so the hints do not depend on timing.
                    let decided = these.compactMap(\.bracket.threshold).sorted()
                    var hint: Int? = decided.isEmpty ? nil : decided[(decided.count - 1) / 2]
                    if hint == nil, let last = lastMedian[model] { hint = max(1, last.d * chosen.contextCount / last.m) }
                    let batch = (first..<min(first + options.trialsAtOnce, options.trials)).map { t in
                        let supportSeed: UInt64? = k == 0 ? nil : options.seed &+ 1_000_003 &+ UInt64(t)
                        return SweepJob(model: model, trial: t, embeddingSeed: options.seed &+ UInt64(t), supportSeed: supportSeed,
                                        data: k == 0 ? chosen : options.nulls[k - 1].sample(chosen, seed: supportSeed!))
                    }
                    for job in batch { try trialData?(job.name, job.data) }
                    let batchHint = hint, keepCertificates = certificates != nil
                    for outcome in runConcurrently(batch, { try $0.run(options: options, decisionOptions: decisionOptions, hint: batchHint,
                                                                        rows: rows, keepCertificates: keepCertificates) }) {
                        let (trial, files) = try outcome.get()
                        for (name, file) in files { try certificates?(name, file) }
                        these.append(trial)
                        progress?(describe(trial))
                    }
                }
                let decided = these.compactMap(\.bracket.threshold).sorted()
                if !decided.isEmpty { lastMedian[model] = (chosen.contextCount, decided[(decided.count - 1) / 2]) }
                trials += these
                points.append(SweepPoint(model: model, contexts: chosen.contextCount, trials: these))
            }
        }
        return SweepResult(vocabulary: data.vocabularySize, embedding: options.embedding, contextChoice: options.contextChoice,
                           nulls: options.nulls, trialsPerPoint: options.trials, points: points, trials: trials)
    }

    /// `body` on every job, each on its own thread, and the outcomes in the jobs' order.
    static func runConcurrently<Job: Sendable, Output: Sendable>(_ jobs: [Job], _ body: @Sendable (Job) throws -> Output) -> [Result<Output, Error>] {
        let outcomes = Mutex([Result<Output, Error>?](repeating: nil, count: jobs.count))
        DispatchQueue.concurrentPerform(iterations: jobs.count) { i in
            let outcome = Result { try body(jobs[i]) }
            outcomes.withLock { $0[i] = outcome }
        }
        return outcomes.withLock { $0.map { $0! } }
    }

    /// "real m=200 t=3: d* = 37 (0.185), 3 decisions, 1.2 s" and the like.
    public static func describe(_ t: SweepTrial) -> String {
        let f = t.dimensionFactor, b = t.bracket
        let seconds = b.evaluations.reduce(0) { $0 + $1.seconds }
        let what: String
        if let d = b.threshold { what = "d* = \(d * f) (d*/m \(String(format: "%.4f", t.ratio!)))" }
        else if b.isAboveCap { what = "d* > \(b.cap * f) (not separable at the cap)" }
        else { what = "undecided, d* in [\((b.lower + 1) * f), \(b.upper.map { "\($0 * f)" } ?? "∞")]" }
        return "\(t.model) m=\(t.contexts) t=\(t.trial): \(what), \(counted(b.evaluations.count, "decision")), \(String(format: "%.1f", seconds)) s"
    }

    /// The median (mean of the two middle values for even counts); nil for an empty list.
    public static func median(_ xs: [Double]) -> Double? {
        guard !xs.isEmpty else { return nil }
        let s = xs.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }
}

/// One trial of a sweep point: its supports and seeds, decided on its own thread.
struct SweepJob: Sendable {
    let model: String
    let trial: Int
    let embeddingSeed: UInt64
    let supportSeed: UInt64?
    /// The point's m contexts with the real or the null supports.
    let data: DataSet

    /// "MODEL-mM-tT", the name of its data and (with "-dD") of its certificates.
    var name: String { "\(model)-m\(data.contextCount)-t\(trial)" }

    /// The bisection over D, and the certificates at the ends of the bracket when asked for
    /// (`rows`: the contexts' rows in the swept data set).
    func run(options: SweepOptions, decisionOptions: SeparabilityOptions, hint: Int?, rows: [Int],
             keepCertificates: Bool) throws -> (SweepTrial, [(String, CertificateFile)]) {
        let factor = options.embedding.dimensionFactor(data)
        let cap = min(options.maxDimension ?? Int.max, options.embedding.defaultCap(data))
        var proofs = BracketProofs()
        let bracket = try ThresholdSearch.run(cap: max(cap, 1), hint: hint, probeCapFirst: options.embedding == .gaussian,
                                              maxUnresolved: options.maxUnresolved) { D in
            let h = try ContextFeatures.make(options.embedding.spec(D, seed: embeddingSeed), for: data)
            let t0 = monotonicSeconds()
            let r = Separability.decide(data, features: h, options: decisionOptions)
            if keepCertificates { proofs.record(D, r, h) }
            return (r.verdict, monotonicSeconds() - t0)
        }
        let files = proofs.ends.map { D, result, h in
            ("\(name)-d\(D * factor)", CertificateFile(result, data: data, features: h, originalRows: rows,
                                                        supportsRedrawnBy: supportSeed == nil ? nil : model))
        }
        let trial = SweepTrial(model: model, contexts: data.contextCount, trial: trial, embeddingSeed: embeddingSeed,
                               supportSeed: supportSeed, dimensionFactor: factor, bracket: bracket)
        return (trial, files)
    }
}

/// The verdicts at the two ends of a trial's bracket (the smallest separable D and the largest
/// non-separable D probed), with the features they were decided on, for their certificates.
struct BracketProofs {
    private var separable: (Int, SeparabilityResult, ContextFeatures)? = nil
    private var notSeparable: (Int, SeparabilityResult, ContextFeatures)? = nil

    /// Keeps `result` at dimension parameter `D` when it moves an end of the bracket.
    mutating func record(_ D: Int, _ result: SeparabilityResult, _ features: ContextFeatures) {
        switch result.verdict {
        case .separable where separable.map { D < $0.0 } ?? true: separable = (D, result, features)
        case .notSeparable where notSeparable.map { D > $0.0 } ?? true: notSeparable = (D, result, features)
        default: break
        }
    }

    /// The lower end (not separable) first, then the upper end (separable).
    var ends: [(Int, SeparabilityResult, ContextFeatures)] { [notSeparable, separable].compactMap { $0 } }
}
