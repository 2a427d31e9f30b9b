import NTPFormats

/// The point behind a positive entropy-gap lower end as the members of an `.npz` file
/// (`ntpsep check --gap-certificate GAP.npz`), checkable with numpy alone by `scripts/verify_certificate.py`:
/// from the counts, H and q it recomputes Σ_j π̂_j H(q_j) − 𝓗 and the moment residual
/// r = Σ_j π̂_j (q_j − p̂_j) h̄_jᵀ, and so the lower end Σ π̂ H(q) − 𝓗 − B ‖r‖_F on CE(W) − 𝓗 for every W with
/// ‖W‖_F ≤ B (`EntropyGapInterval.normRadius`). README.md ("Certificates anyone can check with numpy")
/// documents every member.
///
/// It holds every context of the data set checked (π̂ and 𝓗 are over all of them), ordered by input row
/// (`rows`): counts as CSR (`support_indptr`, `support_indices`, `count_data`), H as in `CertificateFile` (dense `H`, d × m, or
/// CSC `H_*` for sparse features), and q as CSR over the same rows (`q_indptr`, `q_indices`, `q_data`,
/// its nonzero entries).
public struct EntropyGapCertificateFile: Sendable {
    /// Its own layout version (the separability certificate's moved on to 2 without this file changing).
    public static let formatVersion: Int64 = 1
    /// The archive members, in writing order.
    public let members: [(String, NPYArray)]

    /// Members for `interval` and its point (token-major V × m: entry (a, j) at a·m + j), on `data` with
    /// `features`; `originalRows[j]` is the input row of context j (nil: not subsampled).
    public init(_ interval: EntropyGapInterval, point: [Double], data: DataSet, features: ContextFeatures,
                originalRows: [Int]? = nil) {
        let v = data.vocabularySize, m = data.contextCount
        func original(_ j: Int) -> Int { originalRows?[j] ?? j }
        let order = (0..<m).sorted { original($0) < original($1) }
        var countPtr: [Int64] = [0], countTokens: [Int64] = [], counts: [Double] = []
        var qPtr: [Int64] = [0], qTokens: [Int64] = [], q: [Double] = []
        for j in order {
            for e in data.rowOffsets[j]..<data.rowOffsets[j + 1] {
                countTokens.append(Int64(data.columns[e])); counts.append(data.counts[e])
            }
            countPtr.append(Int64(counts.count))
            for a in 0..<v where point[a * m + j] > 0 { qTokens.append(Int64(a)); q.append(point[a * m + j]) }
            qPtr.append(Int64(q.count))
        }
        let dense: Bool
        switch features.storage {
        case .dense: dense = features.dimension * m <= CertificateFile.denseEntryLimit
        case .identity, .sparse: dense = false
        }
        let scalar = { (x: Double) in NPYArray(doubles: [x], shape: []) }
        var members: [(String, NPYArray)] = [
            ("format_version", NPYArray(int64: [EntropyGapCertificateFile.formatVersion], shape: [])),
            ("verdict", NPYArray(strings: ["entropy-gap-lower"], shape: [])),
            ("tolerance", scalar(interval.tolerance)),
            ("vocab_size", NPYArray(int64: [Int64(v)], shape: [])),
            ("lower", scalar(interval.lower)),
            ("norm_radius", scalar(interval.normRadius ?? 0)),
            ("rows", NPYArray(int64: order.map { Int64(original($0)) }, shape: [m])),
            ("support_indptr", NPYArray(int64: countPtr, shape: [countPtr.count])),
            ("support_indices", NPYArray(int64: countTokens, shape: [countTokens.count])),
            ("count_data", NPYArray(doubles: counts, shape: [counts.count])),
        ]
        members += CertificateFile.embeddingMembers(features, contexts: order, dense: dense)
        members += [("q_indptr", NPYArray(int64: qPtr, shape: [qPtr.count])),
                    ("q_indices", NPYArray(int64: qTokens, shape: [qTokens.count])),
                    ("q_data", NPYArray(doubles: q, shape: [q.count]))]
        self.members = members
    }

    /// Writes the members to `path` atomically (same inputs, same bytes).
    public func write(to path: String) throws {
        try NPZArchive.write(members, to: path)
    }
}
