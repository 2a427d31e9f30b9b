import NTPFormats

/// The certificate behind a separability verdict as the members of an `.npz` file
/// (`ntpsep check --certificate CERT.npz`), checkable with numpy alone by
/// `scripts/verify_certificate.py`. README.md ("Certificates anyone can check with numpy") documents every member.
///
/// Context indices (`rows`, `alpha_row`, `beta_row`) are rows of the INPUT data set: the caller
/// passes the map from decided rows to input rows (`DataSetSampling.subsample`'s `rows`).
/// `H` holds only the embedding columns of `rows`, so the file is self-contained; the supports of
/// those rows are stored beside it (CSR `support_indptr`, `support_indices`).
///
/// Layouts: `W` and `H` are dense float64 (`W` V × d, `H` d × |rows|, C order) unless the features
/// are sparse (onehot, positional-onehot) or the dense arrays would hold more than
/// `denseEntryLimit` numbers; then both are CSC matrices by column, the arrays scipy's
/// `csc_matrix((X_data, X_indices, X_indptr), shape=X_shape)` takes: `W_*` columns are features,
/// `H_*` columns are the contexts of `rows`. Exact zeros are not stored.
public struct CertificateFile: Sendable {
    /// Bumped when a member changes meaning. 2: `gamma_lower_source` says what certifies `gamma_lower`,
    /// and a separating W that certifies more than the decision's (the NTP-SVM's W^mm in `check`, the
    /// closed form's dual W) is the one written, so that its min margin/‖W‖_F is `gamma_lower`.
    public static let formatVersion: Int64 = 2
    /// Dense `W` and `H` together above this many float64 (400 MB) are written sparse instead.
    public static let denseEntryLimit = 50_000_000

    /// The archive members, in writing order.
    public let members: [(String, NPYArray)]
    /// What the file holds, for the report.
    public let summary: CertificateFileSummary

    /// Builds the members for `result`, decided on `data` with `features`. `originalRows[j]` is the
    /// input-data-set row of decided context j (nil: the data set was not subsampled). `path` is only
    /// recorded in the summary; `denseEntryLimit` is lowered by tests to force the sparse layout.
    ///
    /// `supportsRedrawnBy` names the null model (e.g. "null-uniform") whose redrawn supports `data`
    /// holds: the member `supports_redrawn` then tells the verifier that, against the input data set,
    /// only the rows and V can match (the file's own supports are what it checks).
    public init(_ result: SeparabilityResult, data: DataSet, features: ContextFeatures,
                originalRows: [Int]? = nil, supportsRedrawnBy nullModel: String? = nil, path: String = "",
                denseEntryLimit: Int = CertificateFile.denseEntryLimit) {
        precondition(originalRows == nil || originalRows!.count == data.contextCount,
                     "originalRows must map every decided context")
        let V = data.vocabularySize, d = features.dimension
        func original(_ j: Int) -> Int { originalRows?[j] ?? j }
        var members: [(String, NPYArray)] = [
            ("format_version", NPYArray(int64: [CertificateFile.formatVersion], shape: [])),
            ("verdict", NPYArray(strings: [result.verdict.rawValue], shape: [])),
            ("tolerance", NPYArray(doubles: [result.tolerance], shape: [])),
            ("exact_residual", NPYArray(doubles: [result.exactResidual], shape: [])),
            ("vocab_size", NPYArray(int64: [Int64(V)], shape: [])),
        ]
        if let model = nullModel { members.append(("supports_redrawn", NPYArray(strings: [model], shape: []))) }
        members += CertificateFile.bracketMembers(result, features: features)

        // The decided contexts the certificate needs, ordered by input row.
        var local: [Int] = []
        var weights: [Double]? = nil, sparseWeights: SparseDecoder? = nil
        var alpha: [ConstraintMultiplier] = [], beta: [ConstraintMultiplier] = []
        var kind = "none"
        // A verified at-threshold W (normalized margin below 10τ·scale) or Farkas pair (above ρ₀) is written.
        let verified = result.check?.valid == true
        if result.verdict == .separable || (result.verdict == .atThreshold && verified), let c = result.separating {
            kind = "separating-W"
            local = (0..<data.contextCount).filter { data.supportSize($0) > 0 }   // an empty support has no constraint
            let margin = CertificateFile.smallestMargin(c, result.check, data: data, features: features)
            if let s = c.sparse { sparseWeights = s.divided(by: margin) } else { weights = c.weights.map { $0 / margin } }
        } else if result.verdict == .notSeparable || (result.verdict == .atThreshold && verified), let f = result.farkas {
            kind = "farkas"
            (alpha, beta) = CertificateFile.withoutRoundOff(f, of: result, data: data, features: features)
            local = Array(Set(alpha.map(\.context) + beta.map(\.context)))
        }
        local.sort { original($0) < original($1) }

        var layout = "none"
        if kind != "none" {
            let sparseFeatures: Bool
            switch features.storage {
            case .dense: sparseFeatures = false
            case .identity, .sparse: sparseFeatures = true
            }
            let dense = !sparseFeatures && sparseWeights == nil && (weights?.count ?? 0) + d * local.count <= denseEntryLimit
            layout = dense ? "dense" : "sparse"
            members.append(("rows", NPYArray(int64: local.map { Int64(original($0)) }, shape: [local.count])))
            var indptr: [Int64] = [0], indices: [Int64] = []
            for j in local {
                for e in data.rowOffsets[j]..<data.rowOffsets[j + 1] { indices.append(Int64(data.columns[e])) }
                indptr.append(Int64(indices.count))
            }
            members.append(("support_indptr", NPYArray(int64: indptr, shape: [indptr.count])))
            members.append(("support_indices", NPYArray(int64: indices, shape: [indices.count])))
            members += CertificateFile.embeddingMembers(features, contexts: local, dense: dense)
            if let w = CertificateFile.weightMembers(weights, sparseWeights, dense: dense, V: V, d: d) {
                members += w
            } else {
                // Farkas multipliers by input row, then token, so the file does not depend on solver order.
                func coo(_ prefix: String, _ list: [ConstraintMultiplier], inToken: (ConstraintMultiplier) -> Int,
                         outName: String, outToken: (ConstraintMultiplier) -> Int) -> [(String, NPYArray)] {
                    let sorted = list.sorted { (original($0.context), $0.token) < (original($1.context), $1.token) }
                    let n = sorted.count
                    return [("\(prefix)_row", NPYArray(int64: sorted.map { Int64(original($0.context)) }, shape: [n])),
                            ("\(prefix)_in", NPYArray(int64: sorted.map { Int64(inToken($0)) }, shape: [n])),
                            ("\(prefix)_\(outName)", NPYArray(int64: sorted.map { Int64(outToken($0)) }, shape: [n])),
                            (prefix, NPYArray(doubles: sorted.map(\.weight), shape: [n]))]
                }
                let anchor = { (c: ConstraintMultiplier) in Int(data.columns[data.rowOffsets[c.context]]) }
                members += coo("alpha", alpha, inToken: anchor, outName: "out", outToken: { $0.token })
                members += coo("beta", beta, inToken: { $0.token }, outName: "anchor", outToken: anchor)
            }
        }
        self.members = members
        self.summary = CertificateFileSummary(path: path, kind: kind, layout: layout, rows: local.count,
                                              marginMultipliers: alpha.count, tieMultipliers: beta.count)
    }

    /// Writes the members to `path` atomically (same inputs, same bytes).
    public func write(to path: String) throws {
        try NPZArchive.write(members, to: path)
    }

    /// `W` (dense) or its CSC members, from the dense or the sparse decoder; nil when there is none.
    static func weightMembers(_ weights: [Double]?, _ sparse: SparseDecoder?, dense: Bool, V: Int, d: Int) -> [(String, NPYArray)]? {
        if let s = sparse {
            return cscMembers("W", data: s.values, indices: s.rowIndices.map(Int64.init),
                              indptr: s.columnOffsets.map(Int64.init), shape: [V, d])
        }
        guard let w = weights else { return nil }
        return dense ? [("W", NPYArray(doubles: w, shape: [V, d]))] : csc("W", rowMajor: w, rows: V, columns: d)
    }

    /// The bracket on γ*, its unit and what certifies its lower end (none without a bracket).
    static func bracketMembers(_ result: SeparabilityResult, features: ContextFeatures) -> [(String, NPYArray)] {
        guard let b = result.marginBracket else { return [] }
        return [("gamma_lower", NPYArray(doubles: [b.lower], shape: [])), ("gamma_upper", NPYArray(doubles: [b.upper], shape: [])),
                ("margin_scale", NPYArray(doubles: [b.scale], shape: [])),
                ("gamma_lower_source", NPYArray(strings: [lowerEndSource(result, features: features)], shape: []))]
    }

    /// What certifies the bracket's lower end (`gamma_lower_source`): "W" when the written W does (its
    /// min margin/‖W‖_F is the lower end: W is written divided by its smallest margin, so 1/‖W‖_F);
    /// "one-hot" for H = I, where γ* = 1/√(Σ_j k_j (V − k_j)/V) exactly from the supports; "none" when
    /// the lower end is 0 or rests on nothing the file holds (an undecided run's iterates).
    static func lowerEndSource(_ result: SeparabilityResult, features: ContextFeatures) -> String {
        guard let b = result.marginBracket, b.lower > 0 else { return "none" }
        let written = result.verdict == .separable || (result.verdict == .atThreshold && result.check?.valid == true)
        if written, result.separating != nil, let own = result.normalizedMargin, b.lower <= own { return "W" }
        if case .identity = features.storage, b.lower == b.upper { return "one-hot" }
        return "none"
    }

    /// The separating W's smallest margin (1 if it is not positive and finite): W divided by it has
    /// every margin ≥ 1 (ties scale along).
    static func smallestMargin(_ c: SeparatingCertificate, _ check: CertificateCheck?, data: DataSet,
                                features: ContextFeatures) -> Double {
        var minMargin = check?.minMargin ?? .nan
        if !(minMargin > 0) {
            minMargin = Separability.verify(c, data: data, features: features, tolerance: .infinity).minMargin
        }
        return minMargin > 0 && minMargin.isFinite ? minMargin : 1
    }

    /// α and β without the multipliers whose whole term w·‖(e_p − e_q) h̄_jᵀ‖_F is below τ/1000 of the
    /// largest constraint norm (and without α ≤ 0): solver round-off that would otherwise pull extra
    /// contexts into `rows`. Kept only if the cleaned pair still verifies to what `result`'s verdict rests
    /// on (ρ₀ for "not separable", τ at the threshold); else the pair as given.
    static func withoutRoundOff(_ f: FarkasCertificate, of result: SeparabilityResult, data: DataSet,
                                features: ContextFeatures) -> ([ConstraintMultiplier], [ConstraintMultiplier]) {
        let tolerance = result.tolerance
        let required = result.verdict == .notSeparable ? min(result.exactResidual, tolerance) : tolerance
        let cols = SparseContextColumns(features, rows: Set((f.marginMultipliers + f.tieMultipliers).map(\.context)))
        let floor = 1e-3 * tolerance * SparseContextColumns.largestNorm(features)
        let alpha = f.marginMultipliers.filter { $0.weight > 0 && $0.weight * cols.norm($0.context) > floor }
        let beta = f.tieMultipliers.filter { abs($0.weight) * cols.norm($0.context) > floor }
        if alpha.count == f.marginMultipliers.count && beta.count == f.tieMultipliers.count { return (alpha, beta) }
        let cleaned = FarkasCertificate(marginMultipliers: alpha, tieMultipliers: beta, anchors: f.anchors)
        if Separability.verify(cleaned, data: data, features: features, tolerance: required).valid { return (alpha, beta) }
        return (f.marginMultipliers, f.tieMultipliers)
    }

    /// `H` (d × |contexts|, C order) or the CSC members `H_data`, `H_indices`, `H_indptr`, `H_shape`.
    static func embeddingMembers(_ features: ContextFeatures, contexts: [Int], dense: Bool) -> [(String, NPYArray)] {
        let d = features.dimension, n = contexts.count
        if dense {
            var column = [Double](repeating: 0, count: d)
            var h = [Double](repeating: 0, count: d * n)
            for (k, j) in contexts.enumerated() {
                column.withUnsafeMutableBufferPointer { features.column(j, into: $0.baseAddress!) }
                for i in 0..<d { h[i * n + k] = column[i] }
            }
            return [("H", NPYArray(doubles: h, shape: [d, n]))]
        }
        let cols = SparseContextColumns(features, rows: Set(contexts))
        var data: [Double] = [], indices: [Int64] = [], indptr: [Int64] = [0]
        for j in contexts {
            for e in cols.offsets[j]..<cols.offsets[j + 1] { indices.append(Int64(cols.indices[e])); data.append(cols.values[e]) }
            indptr.append(Int64(indices.count))
        }
        return cscMembers("H", data: data, indices: indices, indptr: indptr, shape: [d, n])
    }

    /// A row-major rows × columns matrix as CSC members, zeros dropped.
    static func csc(_ name: String, rowMajor a: [Double], rows: Int, columns: Int) -> [(String, NPYArray)] {
        var data: [Double] = [], indices: [Int64] = [], indptr: [Int64] = [0]
        for f in 0..<columns {
            for r in 0..<rows where a[r * columns + f] != 0 { indices.append(Int64(r)); data.append(a[r * columns + f]) }
            indptr.append(Int64(indices.count))
        }
        return cscMembers(name, data: data, indices: indices, indptr: indptr, shape: [rows, columns])
    }

    static func cscMembers(_ name: String, data: [Double], indices: [Int64], indptr: [Int64],
                                   shape: [Int]) -> [(String, NPYArray)] {
        [("\(name)_data", NPYArray(doubles: data, shape: [data.count])),
         ("\(name)_indices", NPYArray(int64: indices, shape: [indices.count])),
         ("\(name)_indptr", NPYArray(int64: indptr, shape: [indptr.count])),
         ("\(name)_shape", NPYArray(int64: shape.map(Int64.init), shape: [2]))]
    }
}

/// What a written certificate file holds (the report's `certificate_file`).
public struct CertificateFileSummary: Codable, Equatable, Sendable {
    /// Where it was written.
    public var path: String
    /// "separating-W", "farkas" or "none" (at-threshold / undecided: verdict and bracket only).
    public var kind: String
    /// "dense", "sparse" or "none".
    public var layout: String
    /// Number of contexts in `rows`.
    public var rows: Int
    /// Nonzero α and β written.
    public var marginMultipliers: Int
    public var tieMultipliers: Int
    /// The data set whose rows `rows` names, when the writer knows its file (`analyze`).
    public var data: String? = nil

    enum CodingKeys: String, CodingKey {
        case path, kind, layout, rows, data
        case marginMultipliers = "margin_multipliers", tieMultipliers = "tie_multipliers"
    }

    /// One line for the text report, e.g. "separating W, dense, 100 contexts".
    public var description: String {
        switch kind {
        case "separating-W": return "separating W, \(layout), \(counted(rows, "context"))"
        case "farkas":
            return "Farkas α on \(counted(marginMultipliers, "pair")), β on \(counted(tieMultipliers, "tie")), \(layout), \(counted(rows, "context"))"
        default: return "no certificate: verdict and margin bracket only"
        }
    }
}
