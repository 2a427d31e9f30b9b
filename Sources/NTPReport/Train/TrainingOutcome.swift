import NTPCore
import NTPFormats

/// What `train` prints: with `--json` the log (keys in `CodingKeys`; non-finite values as null),
/// with `--benchmark` one line of timings, otherwise nothing (the log table went to stderr).
public struct TrainingOutcome: CommandReport {
    /// The run's settings (`meta` in the JSON).
    public struct Meta: Encodable, Sendable {
        var optimizer: String
        var learningRate: Double
        var steps: Int
        var embedding: String
        var reference: String
        var vocabulary: Int
        var contexts: Int
        var dimension: Int
        var batchContexts: Int
        var data: String
        var seed: UInt64
        var initialization: String
        var logEvery: Int
        var precision: String
        /// The checkpoint resumed from (null when none).
        @NullWhenAbsent var resumedFrom: String?

        enum CodingKeys: String, CodingKey {
            case optimizer, learningRate = "lr", steps, embedding, reference, vocabulary = "V", contexts = "m", dimension = "d"
            case batchContexts = "batch_contexts", data, seed, initialization = "init", logEvery = "log_every", precision
            case resumedFrom = "resumed_from"
        }
    }

    /// 𝓗 of the data (null when not finite).
    @FiniteOrNull var entropy: Double?
    @NullWhenAbsent var meta: Meta?
    /// One entry per logged step.
    var rows: [LogEntry]
    /// The `--benchmark` line.
    public var benchmark: String?

    init(entropy: Double, meta: Meta, rows: [LogRow]) {
        self.entropy = entropy
        self.meta = meta
        self.rows = rows.map(LogEntry.init)
    }

    init(benchmark: String) { rows = []; self.benchmark = benchmark }

    public static let jsonKeys = "entropy, meta (optimizer, lr, steps, embedding, reference, V, m, d, batch_contexts, data, seed, init, log_every, precision, resumed_from), rows (step, ce, ce_minus_entropy, norm_w, dist_pf_w_wstar, cos_w_wmm, cos_w_minus_wstar_wmm, margin_inf_ratio, margin_l2_ratio)"

    public var text: String { benchmark ?? "" }

    enum CodingKeys: String, CodingKey { case entropy, meta, rows }

    /// One log row; absent and non-finite values are null (the CSV log has empty cells and nan).
    public struct LogEntry: Encodable, Sendable {
        var row: LogRow

        enum CodingKeys: String, CodingKey {
            case step, ce, gap = "ce_minus_entropy", norm = "norm_w", distance = "dist_pf_w_wstar", cosine = "cos_w_wmm"
            case shiftedCosine = "cos_w_minus_wstar_wmm", marginInf = "margin_inf_ratio", marginL2 = "margin_l2_ratio"
        }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            func put(_ x: Double?, _ key: CodingKeys) throws { try c.encode(FiniteOrNull(wrappedValue: x), forKey: key) }
            try c.encode(row.step, forKey: .step)
            try put(row.ce, .ce); try put(row.gap, .gap); try put(row.norm, .norm)
            try put(row.distanceToWStar, .distance); try put(row.cosineMM, .cosine); try put(row.cosineShiftedMM, .shiftedCosine)
            try put(row.marginInfRatio, .marginInf); try put(row.marginL2Ratio, .marginL2)
        }
    }
}
