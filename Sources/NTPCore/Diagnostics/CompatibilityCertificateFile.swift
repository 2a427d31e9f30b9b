import NTPFormats

/// The evidence behind a compatibility verdict as the members of an `.npz` file (`ntpsep check
/// --compat-certificate COMPAT.npz`), checkable with numpy alone by `scripts/verify_certificate.py`.
/// README.md ("Certificates anyone can check with numpy") documents every member.
///
/// - "compatible": a W (`W`, or its CSC members `W_*`, as in `CertificateFile`) whose relative residual
///   ‖P_U(W H) − c‖/‖c‖ is at most `tolerance`; the verifier recomputes it from the counts and H.
/// - "not-compatible": the residual y (`y`, one value per support entry) of `IncompatibilityCertificate`, with
///   `norm_radius` B and `lower` L: every W with ‖W‖_F ≤ B has relative residual ≥ L. The verifier recomputes
///   yᵀc, ‖y‖, ‖c‖ and ‖Σ_j y_j h̄_jᵀ‖_F, and so L at B.
/// - "compatibility-unknown", or a "no" without a refutation: verdict and residual only.
///
/// It holds every context checked, ordered by input row (`rows`), with its support entries of positive count
/// (`support_indptr`, `support_indices`, `count_data`) and H as in `CertificateFile`.
public struct CompatibilityCertificateFile: Sendable {
    /// Its own layout version.
    public static let formatVersion: Int64 = 1
    /// The archive members, in writing order.
    public let members: [(String, NPYArray)]
    /// What the file holds, for the report.
    public let summary: CompatibilityCertificateSummary

    /// Members for `solution` (its `refutation` for a "no"), on `data` with `features`; `compatible` is the
    /// report's verdict (nil: unknown) at `tolerance`. `originalRows[j]` is the input row of context j
    /// (nil: not subsampled); `path` is only recorded in the summary.
    public init(_ solution: FinitePartSolution, compatible: Bool?, tolerance: Double, data: DataSet,
                features: ContextFeatures, originalRows: [Int]? = nil, path: String = "",
                denseEntryLimit: Int = CertificateFile.denseEntryLimit) {
        let v = data.vocabularySize, m = data.contextCount, d = features.dimension
        func original(_ j: Int) -> Int { originalRows?[j] ?? j }
        // A refutation whose L does not exceed the tolerance proves nothing the verdict says: none is written.
        let refutation = compatible == false ? solution.refutation : nil
        let bound = refutation?.bound(above: tolerance)
        let kind = compatible == true ? "W" : bound != nil ? "refutation" : "none"
        let verdict = compatible == true ? "compatible" : compatible == false ? "not-compatible" : "compatibility-unknown"
        let scalar = { (x: Double) in NPYArray(doubles: [x], shape: []) }
        var members: [(String, NPYArray)] = [
            ("format_version", NPYArray(int64: [CompatibilityCertificateFile.formatVersion], shape: [])),
            ("verdict", NPYArray(strings: [verdict], shape: [])),
            ("tolerance", scalar(tolerance)),
            ("vocab_size", NPYArray(int64: [Int64(v)], shape: [])),
            ("residual", scalar(solution.relativeResidual)),
        ]
        var layout = "none"
        if kind != "none" {
            let order = (0..<m).sorted { original($0) < original($1) }
            let dense: Bool
            switch features.storage {
            case .dense: dense = (kind == "W" ? v * d : 0) + d * m <= denseEntryLimit
            case .identity, .sparse: dense = false
            }
            layout = dense ? "dense" : "sparse"
            members += CompatibilityCertificateFile.supportMembers(data, order: order, original: original,
                                                                   residual: bound != nil ? refutation?.entryResidual : nil)
            members += CertificateFile.embeddingMembers(features, contexts: order, dense: dense)
            if let r = refutation, let (radius, lower) = bound {
                members += [("norm_radius", scalar(radius)), ("lower", scalar(lower)),
                            ("adjoint_norm", scalar(r.adjointNorm)), ("w_norm", scalar(theoryNorm(solution.weights)))]
            } else {
                members += dense ? [("W", NPYArray(doubles: solution.weights, shape: [v, d]))]
                    : CertificateFile.csc("W", rowMajor: solution.weights, rows: v, columns: d)
            }
        }
        self.members = members
        summary = CompatibilityCertificateSummary(path: path, kind: kind, layout: layout,
                                                  normRadius: bound.flatMap { $0.normRadius.isFinite ? $0.normRadius : nil },
                                                  lower: bound?.lower)
    }

    /// `rows`, the supports and counts of the positive-count entries (the solver's support entries), and y
    /// over the same entries when given (y is in the solver's order: context by context, as `data`).
    private static func supportMembers(_ data: DataSet, order: [Int], original: (Int) -> Int,
                                       residual y: [Double]?) -> [(String, NPYArray)] {
        var start = [Int](repeating: 0, count: data.contextCount + 1)
        for j in 0..<data.contextCount {
            start[j + 1] = start[j] + (data.rowOffsets[j]..<data.rowOffsets[j + 1]).filter { data.counts[$0] > 0 }.count
        }
        var indptr: [Int64] = [0], tokens: [Int64] = [], counts: [Double] = [], ordered: [Double] = []
        for j in order {
            var k = start[j]
            for e in data.rowOffsets[j]..<data.rowOffsets[j + 1] where data.counts[e] > 0 {
                tokens.append(Int64(data.columns[e])); counts.append(data.counts[e])
                if let y { ordered.append(y[k]) }
                k += 1
            }
            indptr.append(Int64(tokens.count))
        }
        var members: [(String, NPYArray)] = [
            ("rows", NPYArray(int64: order.map { Int64(original($0)) }, shape: [order.count])),
            ("support_indptr", NPYArray(int64: indptr, shape: [indptr.count])),
            ("support_indices", NPYArray(int64: tokens, shape: [tokens.count])),
            ("count_data", NPYArray(doubles: counts, shape: [counts.count])),
        ]
        if y != nil { members.append(("y", NPYArray(doubles: ordered, shape: [ordered.count]))) }
        return members
    }

    /// Writes the members to `path` atomically (same inputs, same bytes).
    public func write(to path: String) throws {
        try NPZArchive.write(members, to: path)
    }
}

/// What a written compatibility certificate holds (the report's `compat_certificate_file`).
public struct CompatibilityCertificateSummary: Codable, Equatable, Sendable {
    /// Where it was written.
    public var path: String
    /// "W" (a W within the tolerance), "refutation" (y, B and L) or "none" (verdict and residual only).
    public var kind: String
    /// "dense", "sparse" or "none": how H and W are stored.
    public var layout: String
    /// B and L of a refutation: every W with ‖W‖_F ≤ B has relative residual ≥ L. B is null when it is
    /// infinite (Σ_j y_j h̄_jᵀ = 0 exactly: every W), and both are null without a refutation.
    @NullWhenAbsent public var normRadius: Double?
    @NullWhenAbsent public var lower: Double?

    enum CodingKeys: String, CodingKey {
        case path, kind, layout, normRadius = "norm_radius", lower
    }
}
