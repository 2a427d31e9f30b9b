import Dispatch
/// A next-token-prediction data set grouped by distinct context.
///
/// Row `j` of the sparse `m × V` count matrix holds how often each token followed context `j`
/// (CSR: `rowOffsets`, `columns`, `counts`). Columns within a row are strictly increasing.
/// This is exactly what `scipy.sparse.load_npz` returns for the `.npz` files `ntpsep` writes;
/// `vocabulary` and `contexts` are optional extras stored beside it in the same archive.
public struct DataSet: Equatable, Sendable {
    /// Number of distinct contexts `m` (rows).
    public var contextCount: Int
    /// Vocabulary size `V` (columns).
    public var vocabularySize: Int
    /// CSR row pointer, `m + 1` entries, `rowOffsets[0] == 0`.
    public var rowOffsets: [Int]
    /// CSR column (token) ids, one per stored entry, increasing within each row.
    public var columns: [Int32]
    /// Counts (or, for user-supplied files, positive weights), one per stored entry, each and
    /// their sum below 2⁵³.
    public var counts: [Double]
    /// Token strings, index = token id; `nil` when the archive carries none.
    public var vocabulary: [String]?
    /// Context token ids, row-major `m × contextLength`; `nil` when the archive carries none.
    public var contexts: [Int32]?
    /// Number of tokens in each context (`N − 1` for order `N`); 0 when unknown.
    public var contextLength: Int
    /// Options that produced the data set, as a JSON object text (stored as `options` in the archive).
    public var optionsJSON: String?

    public init(contextCount: Int, vocabularySize: Int, rowOffsets: [Int], columns: [Int32],
                counts: [Double], vocabulary: [String]? = nil, contexts: [Int32]? = nil,
                contextLength: Int = 0, optionsJSON: String? = nil) {
        self.contextCount = contextCount
        self.vocabularySize = vocabularySize
        self.rowOffsets = rowOffsets
        self.columns = columns
        self.counts = counts
        self.vocabulary = vocabulary
        self.contexts = contexts
        self.contextLength = contextLength
        self.optionsJSON = optionsJSON
    }

    /// Number of stored (context, token) pairs: Σ_j k_j.
    public var storedCount: Int { columns.count }

    /// Total number of events `n` (sum of all counts).
    public var eventCount: Double { counts.reduce(0, +) }

    /// Support size `k_j` of context `j`.
    @inlinable public func supportSize(_ j: Int) -> Int { rowOffsets[j + 1] - rowOffsets[j] }

    /// Total count of context `j`.
    public func rowTotal(_ j: Int) -> Double {
        var s = 0.0
        for e in rowOffsets[j]..<rowOffsets[j + 1] { s += counts[e] }
        return s
    }

    /// Context frequencies π̂_j = count(x̄_j) / n.
    public func contextFrequencies() -> [Double] {
        let n = eventCount
        return (0..<contextCount).map { rowTotal($0) / n }
    }

    /// Empirical next-token probabilities p̂_{j,z}, aligned with `columns`.
    public func conditionalProbabilities() -> [Double] {
        var p = [Double](repeating: 0, count: counts.count)
        for j in 0..<contextCount {
            let t = rowTotal(j)
            for e in rowOffsets[j]..<rowOffsets[j + 1] { p[e] = counts[e] / t }
        }
        return p
    }

    /// The entropy bound 𝓗 = −Σ_j π̂_j Σ_z p̂_{j,z} log p̂_{j,z}, in nats.
    ///
    /// Neumaier-compensated sums (corpora have millions of terms) over fixed blocks of 65,536
    /// rows, computed on two threads and combined in block order: the value depends only on the
    /// data (a data set of one block gets exactly the plain compensated sum).
    public func entropy() -> Double {
        let n = eventCount
        let blockRows = 1 << 16
        let blocks = (contextCount + blockRows - 1) / blockRows
        var partial = [CompensatedSum](repeating: CompensatedSum(), count: blocks)
        rowOffsets.withUnsafeBufferPointer { offsets in
            counts.withUnsafeBufferPointer { counts in
                partial.withUnsafeMutableBufferPointer { out in
                    // Worker w writes only the blocks w, w + workers, … of `out`; the data is read only.
                    let shared = WorkerShared((offsets: offsets, counts: counts, out: out))
                    let workers = min(2, blocks)
                    DispatchQueue.concurrentPerform(iterations: workers) { worker in
                        let (offsets, counts, out) = shared.value
                        var b = worker
                        while b < blocks {
                            var sum = CompensatedSum()
                            for j in (b * blockRows)..<min((b + 1) * blockRows, contextCount) {
                                let lo = offsets[j], hi = offsets[j + 1]
                                var t = 0.0
                                for e in lo..<hi { t += counts[e] }
                                // A single-token row adds −π̂·log 1 = −0: skipping it changes no bit.
                                for e in lo..<hi where counts[e] > 0 && counts[e] != t {
                                    sum.add(-counts[e] / n * Foundation_log(counts[e] / t))
                                }
                            }
                            out[b] = sum
                            b += workers
                        }
                    }
                }
            }
        }
        var total = CompensatedSum()
        for block in partial { total.add(block.sum); total.add(block.compensation) }
        return total.value
    }

    /// Checks the CSR invariants; throws `DataSetError.invalid` describing the first violation.
    public func validate() throws {
        guard rowOffsets.count == contextCount + 1, rowOffsets.first == 0,
              rowOffsets.last == columns.count, columns.count == counts.count else {
            throw DataSetError.invalid("CSR arrays are inconsistent (indptr length \(rowOffsets.count), m = \(contextCount), indices \(columns.count), data \(counts.count))")
        }
        // Offsets start at 0, end at the entry count and never decrease (checked row by row
        // before the row is read), so every entry read is in range: no bounds checks needed.
        try rowOffsets.withUnsafeBufferPointer { rowOffsets in
        try columns.withUnsafeBufferPointer { columns in
        try counts.withUnsafeBufferPointer { counts in
            for j in 0..<contextCount {
                guard rowOffsets[j] <= rowOffsets[j + 1] else {
                    throw DataSetError.invalid("indptr decreases at row \(j)")
                }
                var previous: Int32 = -1
                for e in rowOffsets[j]..<rowOffsets[j + 1] {
                    let c = columns[e]
                    guard c > previous, Int(c) < vocabularySize else {
                        throw DataSetError.invalid("row \(j): column \(c) out of range or not strictly increasing (V = \(vocabularySize))")
                    }
                    guard counts[e] > 0, counts[e] < countLimit else {
                        throw DataSetError.invalid("row \(j): count \(counts[e]) is not positive, finite and below 2^53")
                    }
                    previous = c
                }
            }
        }}}
        if let v = vocabulary, v.count != vocabularySize {
            throw DataSetError.invalid("vocab has \(counted(v.count, "entry", plural: "entries")) but the matrix has \(counted(vocabularySize, "column"))")
        }
        guard eventCount < countLimit else {
            throw DataSetError.invalid("the counts sum to \(eventCount), at or above 2^53, so totals would not be exact")
        }
        if let c = contexts, c.count != contextCount * contextLength {
            throw DataSetError.invalid("contexts has \(c.count) ids, expected m × (N−1) = \(contextCount) × \(contextLength)")
        }
        if let c = contexts, let e = c.firstIndex(where: { $0 < 0 || Int($0) >= vocabularySize }) {
            throw DataSetError.invalid("contexts holds token id \(c[e]) at row \(e / max(1, contextLength)), outside the vocabulary 0..<\(vocabularySize)")
        }
    }
}

/// Errors about the content of a data set.
public enum DataSetError: Error, CustomStringConvertible, Equatable {
    case invalid(String)
    public var description: String {
        switch self { case .invalid(let s): return "invalid data set: \(s)" }
    }
}

#if canImport(Glibc)
import Glibc
@usableFromInline func Foundation_log(_ x: Double) -> Double { Glibc.log(x) }
#else
import Darwin
@usableFromInline func Foundation_log(_ x: Double) -> Double { Darwin.log(x) }
#endif

/// A Neumaier-compensated running sum.
public struct CompensatedSum: Sendable {
    public var sum = 0.0, compensation = 0.0
    public init() {}
    @inline(__always) public mutating func add(_ term: Double) {
        let s = sum + term
        compensation += abs(sum) >= abs(term) ? (sum - s) + term : (term - s) + sum
        sum = s
    }
    public var value: Double { sum + compensation }
}

extension DataSet {
    /// A 64-bit FNV-1a hash of what training and the solvers read: m, V and the CSR arrays (row
    /// offsets, token ids and the counts' bits), not the vocabulary or context strings. `solve`
    /// stores it so that `train --reference` can refuse a solution of other data with the same
    /// shapes (QA round 9: a solution of seed 0's data was taken for seed 9's).
    public var fingerprint: UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        @inline(__always) func mix(_ word: UInt64) {
            var w = word
            for _ in 0..<8 {
                h = (h ^ (w & 0xff)) &* 0x0000_0100_0000_01b3
                w >>= 8
            }
        }
        mix(UInt64(contextCount)); mix(UInt64(vocabularySize))
        for o in rowOffsets { mix(UInt64(o)) }
        for c in columns { mix(UInt64(UInt32(bitPattern: c))) }
        for x in counts { mix(x.bitPattern) }
        return h
    }
}
