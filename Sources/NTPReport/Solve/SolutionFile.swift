import NTPCore
import NTPFormats

/// `ntpsep solve`: the two limits of gradient descent, W* (finite part) and W^mm (NTP-SVM
/// direction), with γ* by the minimum-norm point and γ*_∞ by an LP, written as one .npz (members
/// in `Solve`'s help). No timings are stored (they are printed), so the file depends only on the inputs.
public struct SolutionFile {
    /// Version of the solution .npz layout (`format_version`; files from before it are version 1).
    /// 2: the text members (`status`, `W_mm_method`, `gamma_inf_status`, `options`) are numpy str (`<U`), as
    /// in data sets, instead of bytes (`|S`), where `s['status'] == 'separable'` was silently False.
    public static let formatVersion: Int64 = 2

    var data: String
    /// The --embedding spec, as given.
    var embedding: String
    var output: String
    /// KKT tolerance, non-separable margin threshold and epoch cap of the NTP-SVM.
    var tolerance: Double
    var nonSeparableMargin: Double
    var maxEpochs: Int
    /// Seconds of the ℓ∞ max-margin LP.
    var linfTimeLimit: Double
    /// Largest m for which W* and W^mm use G = HᵀH; above it they work without an m × m matrix.
    var gramLimit: Int
    /// Seconds of the minimum-norm point's γ*.
    var timeLimit: Double

    /// The default `gramLimit` (`DataSubspace.defaultGramLimit`).
    public static let defaultGramLimit = DataSubspace.defaultGramLimit

    /// A solution of `data` under `embedding`, written to `output`.
    public init(data: String, embedding: String, output: String, tolerance: Double, nonSeparableMargin: Double,
                maxEpochs: Int, linfTimeLimit: Double, gramLimit: Int = SolutionFile.defaultGramLimit,
                timeLimit: Double = SolutionFile.defaultTimeLimit) {
        self.data = data; self.embedding = embedding; self.output = output; self.tolerance = tolerance
        self.nonSeparableMargin = nonSeparableMargin; self.maxEpochs = maxEpochs; self.linfTimeLimit = linfTimeLimit
        self.gramLimit = gramLimit; self.timeLimit = timeLimit
    }

    /// The default `timeLimit`: a bound on what used to be the minimum-norm point's 600 s (QA round 14:
    /// 600 s and 10.6 GB for γ* on 875 contexts, after W^mm took 1.5 s).
    public static let defaultTimeLimit = 60.0

    /// The options member (keys sorted): every option, and the solvers' iteration counts.
    struct RecordedOptions: Encodable {
        var data: String
        var embedding: String
        var tolerance: Double
        var nonSeparableMargin: Double
        var maxEpochs: Int
        var linfTimeLimit: Double
        var epochs: Int
        var cglsIterations: Int
        /// nil (key left out) at the default, so files from before the option keep their bytes.
        var gramLimit: Int?
        /// nil at the default, as `gramLimit`.
        var timeLimit: Double?
        enum CodingKeys: String, CodingKey {
            case data, embedding, tolerance, nonSeparableMargin = "non_separable_margin", maxEpochs = "max_epochs"
            case linfTimeLimit = "linf_time_limit", epochs, cglsIterations = "cgls_iterations", gramLimit = "gram_limit"
            case timeLimit = "time_limit"
        }
    }

    /// Solves, writes the file and returns the lines `solve` prints.
    public func run() throws -> String {
        try checkOutputs([output], inputs: [data], embedding: embedding)
        // One BLAS thread: OpenBLAS's threaded reductions made CGLS take another path with another
        // core count (on KJV, 1032 vs 1021 iterations and a different W*), and the file must not
        // depend on the machine.
        setBLASThreads(1)
        let ds = try DataSet(contentsOfNPZ: data)
        try requireEvents(ds, path: data)
        let spec = try EmbeddingSpec(parsing: embedding)
        let features = try ContextFeatures.make(spec, for: ds)
        let solved = try SolvedLimits(data: ds, features: features, solver: MaxMarginSolver(tolerance: tolerance, nonSeparableMargin: nonSeparableMargin, maxEpochs: maxEpochs),
                                      linfTimeLimit: linfTimeLimit, gramLimit: gramLimit, timeLimit: timeLimit)
        // A solver that lost every digit must not write weights labelled with a verdict.
        guard solved.star.weights.allSatisfy(\.isFinite), solved.mm.weights.allSatisfy(\.isFinite) else {
            throw UserError("\(data): the solvers produced non-finite weights for --embedding \(spec); nothing written to \(output) (rescale the embedding so its entries are near 1)")
        }
        var members = solved.members(features: features)
        let recorded = RecordedOptions(data: data, embedding: spec.description, tolerance: tolerance,
                                       nonSeparableMargin: nonSeparableMargin, maxEpochs: maxEpochs, linfTimeLimit: linfTimeLimit,
                                       epochs: solved.mm.epochs, cglsIterations: solved.star.iterations,
                                       gramLimit: gramLimit == Self.defaultGramLimit ? nil : gramLimit,
                                       timeLimit: timeLimit == Self.defaultTimeLimit ? nil : timeLimit)
        members.append(("options", NPYArray(strings: [try JSONText.compact(recorded)], shape: [])))
        // What `train --reference` compares with its DATA: the path in `options` may name other data by now.
        members.append(("data_fingerprint", NPYArray(int64: [Int64(bitPattern: ds.fingerprint)], shape: [])))
        members.append(FormatVersion.member(Self.formatVersion))
        try NPZArchive.write(members, to: output)
        let header = "data       m = \(counted(ds.contextCount, "context", number: grouped)), V = \(grouped(ds.vocabularySize)), d = \(grouped(features.dimension)) (\(spec))"
        return ([header] + solved.lines() + ["wrote      \(output)"]).joined(separator: "\n")
    }
}
