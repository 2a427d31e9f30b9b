import NTPCore
import NTPFormats

/// `ntpsep check`: decides NTP-separability with a verified certificate, and reports
/// compatibility and the entropy gap, on a selection of a data set's contexts.
public struct SeparabilityCheck {
    /// The data set (.npz).
    var data: String
    /// The --embedding spec, as given.
    var embedding: String
    var selection: ContextSelection
    /// How many contexts each list shows.
    public var top = 10
    /// Seconds of each stage: the separability decision, the NTP-SVM solve, and the entropy gap
    /// (Adam and the certified lower end together).
    public var timeLimit = 600.0
    /// Adam steps of the entropy-gap minimiser (0 skips it).
    public var gapSteps = 2000
    /// Hessian-vector products of the certified lower end of CE − 𝓗 (0 skips it).
    public var gapBoundProducts = 20_000
    /// Where to write the certificate (.npz).
    public var certificate: String?
    /// Where to write the entropy-gap certificate (.npz), when the lower end is positive.
    public var gapCertificate: String?
    /// Where to write the compatibility certificate (.npz).
    public var compatCertificate: String?
    /// Decide the N most frequent contexts first (nil: 1000 when more than 8,000 are checked).
    public var growFrom: Int?
    /// A decoder W (.npy) to certify first.
    public var weights: String?
    /// Skip the compatibility residual, the NTP-SVM margin and the exact 𝓕⊥ projection.
    public var noCompat = false

    /// A check of `data` under `embedding`, with the defaults of `ntpsep check`.
    public init(data: String, embedding: String, selection: ContextSelection) {
        self.data = data; self.embedding = embedding; self.selection = selection
    }

    /// Runs the check (writing the certificate when asked).
    public func run() throws -> CheckOutcome {
        let spec = try EmbeddingSpec(parsing: embedding)
        if compatCertificate != nil && noCompat {
            throw UserError("--compat-certificate needs the compatibility solve, which --no-compat skips; drop one of them")
        }
        try checkOutputs([certificate, gapCertificate, compatCertificate], inputs: [data, weights], embedding: embedding)
        let (ds, originalCount, rows, note) = try selection.load(data)
        let features = try ContextFeatures.make(spec, for: ds, rowsOf: (rows, originalCount))
        var options = CheckOptions()
        options.originalRows = rows
        options.certificatePath = certificate
        options.gapCertificatePath = gapCertificate
        options.compatCertificatePath = compatCertificate
        options.top = top
        options.separability.timeLimit = timeLimit
        options.gapTimeLimit = timeLimit
        options.separability.seed = selection.seed
        options.subsetLadderStart = growFrom ?? (ds.contextCount > 8_000 ? 1_000 : nil)
        options.entropyGapBound = gapBoundProducts > 0
        options.entropyGapBoundOptions.maxHessianProducts = gapBoundProducts
        if let path = weights { options.candidateWeights = try candidate(path, shape: [ds.vocabularySize, features.dimension]) }
        var report = try CheckRunner.run(ds, features: features, embedding: spec.description, options: options, hooks: hooks())
        report.options = recordedOptions()
        return CheckOutcome(report: report, note: note)
    }

    /// W from `path`, which must be finite and of shape (V, d).
    private func candidate(_ path: String, shape: [Int]) throws -> CandidateWeights {
        let w = try readNPY(path: path)
        guard w.shape == shape else {
            throw UserError("\(path): expected W of shape (V, d) = (\(shape[0]), \(shape[1])), got \(w.shape); save it with np.save(path, W)")
        }
        let values: [Double]
        do { values = try w.doubles() } catch { throw UserError("\(path): \(error); save W as numbers, e.g. np.save(path, W.astype(np.float64))") }
        if let e = values.firstIndex(where: { !$0.isFinite }) {
            throw UserError("\(path): entry (\(e / shape[1]), \(e % shape[1])) of W is \(values[e]); a W must be finite (replace NaN/inf before np.save)")
        }
        return CandidateWeights(weights: values, source: path)
    }

    /// Every option and seed as given, typed (absent optional ones as null), for the JSON report.
    private func recordedOptions() -> [String: OptionValue] {
        ["data": .string(data), "embedding": .string(embedding), "seed": .unsigned(selection.seed),
         "max_contexts": .number(selection.maxContexts), "min_context_count": .double(selection.minContextCount),
         "context_choice": .text(selection.choice?.rawValue), "top": .int(top), "time_limit": .double(timeLimit),
         "gap_steps": .int(gapSteps), "gap_bound_products": .int(gapBoundProducts), "certificate": .text(certificate),
         "gap_certificate": .text(gapCertificate), "compat_certificate": .text(compatCertificate),
         "grow_from": .number(growFrom), "weights": .text(weights), "no_compat": .bool(noCompat)]
    }

    /// The standard hooks, minus what the options turn off.
    private func hooks() -> CheckHooks {
        // Adam gets half of the entropy gap's time when the certified lower end follows it.
        var hooks = CheckHooks.standard(crossEntropySteps: max(gapSteps, 1), marginTimeLimit: timeLimit,
                                        crossEntropyTimeLimit: gapBoundProducts > 0 ? timeLimit / 2 : timeLimit,
                                        compatibilityTimeLimit: timeLimit)
        if gapSteps <= 0 { hooks.minimizeCrossEntropy = nil }
        if noCompat { hooks.compatibility = nil; hooks.maxMarginNorm = nil; hooks.complementProjector = nil }
        return hooks
    }
}

/// What `check` prints: the report as text, or as JSON (the `CheckReport` itself).
public struct CheckOutcome: CommandReport {
    /// The report (analysis.json's `checks` entries have the same keys).
    var report: CheckReport
    /// Which contexts were kept, for the text's first line.
    var note: String

    public static let jsonKeys = "compatible, compat_residual, separable, entropy_gap, entropy_gap_interval, separated_share_contexts, margin, certificate, certificate_file, gap_certificate_file, compat_certificate_file, involved_contexts, timing (all seconds; nothing else varies run to run), options (as given: numbers, booleans, null when not given), …"

    public var text: String { CheckText.render(report, note: note) }

    public func encode(to encoder: Encoder) throws { try report.encode(to: encoder) }
}
