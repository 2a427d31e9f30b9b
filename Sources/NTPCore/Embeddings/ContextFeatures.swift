import NTPFormats

/// The fixed context embeddings H = [h̄_1 … h̄_m] (d × m) that the decoder W (V × d) acts on.
///
/// Storage follows the structure of the features so that no layer ever needs a dense copy of a
/// structured H: one-hot contexts are the identity, positional one-hot features are a fixed
/// number of unit entries per context, everything else is a dense column-major d × m block.
public struct ContextFeatures: Sendable {
    /// How the columns h̄_j are stored.
    public enum Storage: Sendable {
        /// H = I_m, so d = m.
        case identity
        /// Column-major d × m: column j is `values[j*d ..< (j+1)*d]`.
        case dense([Double])
        /// Every context has exactly `nonzerosPerContext` entries; `indices` is row-major
        /// m × nonzerosPerContext (feature ids in 0..<d, increasing within a context);
        /// `values` is aligned with `indices`, or `nil` when every entry is 1.
        case sparse(nonzerosPerContext: Int, indices: [Int32], values: [Double]?)
    }

    /// Embedding dimension d.
    public let dimension: Int
    /// Number of contexts m.
    public let contextCount: Int
    /// The columns.
    public let storage: Storage

    /// CRC-32 of d, m and the stored entries' bytes: identifies the matrix H itself, which a
    /// `file:` embedding's path does not (the file can be saved again with other values).
    public var checksum: UInt32 {
        var crc = withUnsafeBytes(of: (dimension, contextCount)) { crc32($0) }
        switch storage {
        case .identity: break
        case .dense(let values): crc = values.withUnsafeBytes { crc32($0, continuing: crc) }
        case .sparse(_, let indices, let values):
            crc = indices.withUnsafeBytes { crc32($0, continuing: crc) }
            if let values { crc = values.withUnsafeBytes { crc32($0, continuing: crc) } }
        }
        return crc
    }

    public init(dimension: Int, contextCount: Int, storage: Storage) {
        self.dimension = dimension
        self.contextCount = contextCount
        self.storage = storage
    }

    /// Whether H = I (one-hot contexts).
    public var isIdentity: Bool { if case .identity = storage { return true } else { return false } }

    /// Writes h̄_j into `out[0..<d]` (dense), whatever the storage.
    public func column(_ j: Int, into out: UnsafeMutablePointer<Double>) {
        switch storage {
        case .identity:
            out.initialize(repeating: 0, count: dimension)
            out[j] = 1
        case .dense(let values):
            values.withUnsafeBufferPointer { out.update(from: $0.baseAddress! + j * dimension, count: dimension) }
        case .sparse(let r, let indices, let values):
            out.initialize(repeating: 0, count: dimension)
            for t in 0..<r { out[Int(indices[j * r + t])] += values?[j * r + t] ?? 1 }
        }
    }

    /// Sparse features restricted to the feature ids some context uses, renumbered in order, with
    /// those ids; nil for other storage or when more than half of the d features are used. A decoder
    /// trained from W = 0 never moves the other columns (their gradient is 0), so training on the
    /// restriction and copying its columns back is the same run at a fraction of the memory.
    public func usedColumns() -> (features: ContextFeatures, columns: [Int])? {
        guard case .sparse(let r, let indices, let values) = storage else { return nil }
        var newId = [Int32](repeating: -1, count: dimension)
        for i in indices { newId[Int(i)] = 0 }
        var columns: [Int] = []
        for f in 0..<dimension where newId[f] == 0 { newId[f] = Int32(columns.count); columns.append(f) }
        guard 2 * columns.count <= dimension else { return nil }
        let restricted = ContextFeatures(dimension: columns.count, contextCount: contextCount,
                                         storage: .sparse(nonzerosPerContext: r, indices: indices.map { newId[Int($0)] }, values: values))
        return (restricted, columns)
    }

    /// The dense d × m matrix (column-major). Only for small problems and tests.
    public func denseMatrix() -> [Double] {
        var h = [Double](repeating: 0, count: dimension * contextCount)
        h.withUnsafeMutableBufferPointer { p in
            for j in 0..<contextCount { column(j, into: p.baseAddress! + j * dimension) }
        }
        return h
    }
}

/// A parsed `--embedding SPEC`.
public enum EmbeddingSpec: Equatable, Sendable, CustomStringConvertible {
    /// h̄_j = e_j, d = m.
    case onehot
    /// i.i.d. N(0, 1/D) per distinct context, nested in D: the first d feature rows of
    /// `gaussian:D:S` are `gaussian:d:S` times √(d/D) (see `ContextFeatures.make`).
    case gaussian(dimension: Int, seed: UInt64)
    /// Concatenated one-hot vectors of the N−1 context tokens, d = (N−1)·V.
    case positionalOnehot
    /// A fixed N(0, 1/D) vector per (position, token), concatenated: d = (N−1)·D; nested in D per
    /// position block (each vector of `positional-gaussian:d:S` is the first d entries of the D one, rescaled).
    case positionalGaussian(dimension: Int, seed: UInt64)
    /// A d × m float array from a `.npy` file.
    case file(path: String)

    /// Default seed for random embeddings when the spec names none.
    public static let defaultSeed: UInt64 = 0

    /// Parses `onehot`, `gaussian:D[:SEED]`, `positional-onehot`, `positional-gaussian:D[:SEED]`, `file:PATH`.
    public init(parsing text: String) throws {
        if text.hasPrefix("file:") {
            let path = String(text.dropFirst(5))
            guard !path.isEmpty else { throw EmbeddingSpecError.invalid(text, "file: needs a path, e.g. file:H.npy") }
            self = .file(path: path)
            return
        }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        func dimAndSeed() throws -> (Int, UInt64) {
            guard parts.count == 2 || parts.count == 3, let d = Int(parts[1]), d > 0 else {
                throw EmbeddingSpecError.invalid(text, "expected \(parts[0]):D[:SEED] with D a positive integer")
            }
            var seed = EmbeddingSpec.defaultSeed
            if parts.count == 3 {
                guard let s = UInt64(parts[2]) else { throw EmbeddingSpecError.invalid(text, "SEED must be a non-negative integer") }
                seed = s
            }
            return (d, seed)
        }
        switch parts[0] {
        case "onehot" where parts.count == 1: self = .onehot
        case "positional-onehot" where parts.count == 1: self = .positionalOnehot
        case "gaussian": let (d, s) = try dimAndSeed(); self = .gaussian(dimension: d, seed: s)
        case "positional-gaussian": let (d, s) = try dimAndSeed(); self = .positionalGaussian(dimension: d, seed: s)
        default:
            throw EmbeddingSpecError.invalid(text, "known embeddings: onehot, gaussian:D[:SEED], positional-onehot, positional-gaussian:D[:SEED], file:PATH.npy")
        }
    }

    public var description: String {
        switch self {
        case .onehot: return "onehot"
        case .gaussian(let d, let s): return "gaussian:\(d):\(s)"
        case .positionalOnehot: return "positional-onehot"
        case .positionalGaussian(let d, let s): return "positional-gaussian:\(d):\(s)"
        case .file(let p): return "file:\(p)"
        }
    }
}

/// A malformed `--embedding` value.
public enum EmbeddingSpecError: Error, CustomStringConvertible {
    case invalid(String, String)
    case incompatible(String)
    public var description: String {
        switch self {
        case .invalid(let spec, let why): return "invalid embedding '\(spec)': \(why)"
        case .incompatible(let why): return why
        }
    }
}

extension ContextFeatures {
    /// Builds the features `spec` describes for `data` (positional kinds need `data.contexts`;
    /// `file:PATH` reads a d × m real array from a `.npy`, C or Fortran order).
    ///
    /// `rowsOf`, when `data` keeps some contexts of a larger data set: their rows there and its context
    /// count, so that `file:` may also hold a column for every context of that set (see `load`).
    public static func make(_ spec: EmbeddingSpec, for data: DataSet, rowsOf original: (rows: [Int], count: Int)? = nil) throws -> ContextFeatures {
        let m = data.contextCount
        switch spec {
        case .onehot:
            return ContextFeatures(dimension: m, contextCount: m, storage: .identity)
        case .gaussian(let d, let seed):
            // Drawn feature row by feature row (row i = one draw per context, in context order), so
            // gaussian:d:S is gaussian:D:S's first d rows times √(D/d) for every D ≥ d: a dimension
            // sweep sees nested embeddings, whose separability is monotone in d (theory.md §7).
            try AvailableMemory.require(product: [d, m, MemoryLayout<Double>.size], for: "--embedding \(spec) on \(m) contexts",
                                        advice: "use a smaller D")
            var rng = SeededGenerator(seed: seed)
            let scale = 1 / Double(d).squareRoot()
            var h = [Double](repeating: 0, count: d * m)
            for i in 0..<d { for j in 0..<m { h[j * d + i] = rng.nextGaussian() * scale } }
            return ContextFeatures(dimension: d, contextCount: m, storage: .dense(h))
        case .positionalOnehot, .positionalGaussian:
            guard let ctx = data.contexts, data.contextLength > 0 else {
                throw EmbeddingSpecError.incompatible("\(spec) needs context token ids (order ≥ 2 data with a 'contexts' array); use gaussian:D or onehot")
            }
            let r = data.contextLength, v = data.vocabularySize
            if case .positionalGaussian(let dd, let seed) = spec {
                // The (position, token) table and H: (N−1)·D·(V + m) doubles.
                try AvailableMemory.require(approximately: 8 * Double(r) * Double(dd) * (Double(v) + Double(m)),
                                            for: "--embedding \(spec) on \(m) contexts of length \(r), V = \(v)", advice: "use a smaller D")
                var rng = SeededGenerator(seed: seed)
                let scale = 1 / Double(dd).squareRoot()
                // table[p][token] is a D-vector. Drawn coordinate by coordinate (then position, then
                // token), so every (position, token) vector of positional-gaussian:D':S is the first D'
                // entries of positional-gaussian:D:S's times √(D/D'): nested per position block.
                var table = [Double](repeating: 0, count: r * v * dd)
                for t in 0..<dd { for pv in 0..<(r * v) { table[pv * dd + t] = rng.nextGaussian() * scale } }
                let d = r * dd
                var h = [Double](repeating: 0, count: d * m)
                for j in 0..<m {
                    for p in 0..<r {
                        let tok = Int(ctx[j * r + p])
                        let src = (p * v + tok) * dd, dst = j * d + p * dd
                        for t in 0..<dd { h[dst + t] = table[src + t] }
                    }
                }
                return ContextFeatures(dimension: d, contextCount: m, storage: .dense(h))
            }
            var idx = [Int32](repeating: 0, count: m * r)
            for j in 0..<m { for p in 0..<r { idx[j * r + p] = Int32(p * v) + ctx[j * r + p] } }
            return ContextFeatures(dimension: r * v, contextCount: m,
                                   storage: .sparse(nonzerosPerContext: r, indices: idx, values: nil))
        case .file(let path):
            return try load(npyPath: path, contextCount: m, rowsOf: original)
        }
    }

    /// The accepted range of the largest |entry| of an embedding read from a file.
    public static let scaleRange: ClosedRange<Double> = 1e-60...1e60

    /// Reads a d × m array of context embeddings (columns = contexts, any real dtype): finite,
    /// with the largest |entry| in `scaleRange` (or all zero). With `rowsOf` (the contexts kept by
    /// `--max-contexts` and the like, and the count of the data set they come from), a d × count array
    /// is read too: column `rows[j]` is context j's (QA round 8: a subset's random rows could not be
    /// matched by hand). Only the columns read are checked.
    public static func load(npyPath path: String, contextCount m: Int, rowsOf original: (rows: [Int], count: Int)? = nil) throws -> ContextFeatures {
        let a = try readNPY(path: path)
        let columns: [Int]
        if a.shape.count == 2, a.shape[1] == m, a.shape[0] > 0 {
            columns = Array(0..<m)
        } else if let original, original.rows.count == m, a.shape.count == 2, a.shape[1] == original.count, a.shape[0] > 0 {
            columns = original.rows
        } else {
            let either = original.map { $0.count == m ? "" : " (the contexts kept) or m = \($0.count) (every context of the data set, of which the kept ones' columns are read)" } ?? ""
            throw EmbeddingSpecError.incompatible("\(path): expected a d × m array with m = \(counted(m, "context"))\(either), got shape \(a.shape); save H with np.save(path, H) where H.shape == (d, m)")
        }
        let d = a.shape[0], width = a.shape[1]
        // C order whatever the file's order: element (i, k) at i*width + k.
        let c: [Double]
        do { c = try a.doubles() } catch {
            throw EmbeddingSpecError.incompatible("\(path): \(error); save H as numbers, e.g. np.save(path, H.astype(np.float64))")
        }
        var h = [Double](repeating: 0, count: d * m)
        for i in 0..<d { for (j, k) in columns.enumerated() { h[j * d + i] = c[i * width + k] } }
        if let e = h.firstIndex(where: { !$0.isFinite }) {
            throw EmbeddingSpecError.incompatible("\(path): entry (\(e % d), \(columns[e / d])) of H is \(h[e]); embeddings must be finite (replace NaN/inf before np.save)")
        }
        // The LPs and the solvers square and multiply entries of H: far from 1 they overflow or
        // lose every digit (GLPK aborts on such a matrix). Separability does not depend on the scale of H.
        let largest = h.reduce(0) { max($0, abs($1)) }
        guard largest == 0 || (largest >= Self.scaleRange.lowerBound && largest <= Self.scaleRange.upperBound) else {
            throw EmbeddingSpecError.incompatible("\(path): the largest |entry| of H is \(largest), outside \(Self.scaleRange.lowerBound)…\(Self.scaleRange.upperBound); rescale H (e.g. H / np.abs(H).max()): separability does not depend on the scale of H")
        }
        return ContextFeatures(dimension: d, contextCount: m, storage: .dense(h))
    }
}
