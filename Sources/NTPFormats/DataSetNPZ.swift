extension DataSet {
    /// The data-set file format version this build writes (int64 scalar member `format_version`).
    /// 1: the legacy layout without the member (vocabulary only as `vocab`, '<U').
    /// 2: `format_version` present; the vocabulary is either `vocab` ('<U') or, when padding every
    ///    token to the longest would waste memory, `vocab_utf8` + `vocab_offsets` (see `writeNPZ`).
    public static let formatVersion: Int64 = 2

    /// Loads a data set from any `scipy.sparse.save_npz` file (compressed or not) in csr, csc or
    /// coo format, with data of any bool/int/uint/float dtype and int32/int64 indices. The matrix
    /// is converted to CSR with sorted columns. Optional members: `vocab` (1-D strings) or
    /// `vocab_utf8` + `vocab_offsets`, `contexts` (2-D integers m × (N−1); sets `contextLength`),
    /// `options` (0-d string holding JSON), `format_version`.
    ///
    /// Every invariant the readers rely on is checked here, once: a known format version;
    /// consistent shapes; `indptr` starting at 0, never decreasing and ending at nnz; indices in
    /// range; no (row, column) pair stored twice; counts positive, finite and below 2⁵³ with a
    /// total below 2⁵³; context ids in 0..<V; no context in two rows; vocabulary offsets within
    /// the bytes and every token valid UTF-8; memory for the CSR arrays available. Each violation
    /// is one line naming the file, the member, the position and what to do.
    public init(contentsOfNPZ path: String) throws {
        try self.init(npzMembers: NPZArchive.read(path: path, decodingStrings: true), name: path)
    }

    /// The data set held by the members of an `.npz` (see `init(contentsOfNPZ:)`, which checks
    /// the same invariants); `name` is the file name used in messages.
    public init(npzMembers members: [String: NPYArray], name path: String) throws {
        let file = NPZMembers(path: path, members: members)
        try file.checkFormatVersion(accepting: DataSet.formatVersion, kind: "data set")
        let format = try file.strings("format").first ?? ""
        let shape = try file.ints("shape")
        guard shape.count == 2, shape[0] >= 0, shape[1] >= 0 else {
            throw file.error("member 'shape' must hold two non-negative numbers, found \(shape)")
        }
        let m = Int(shape[0]), v = Int(shape[1])
        guard v <= Int(Int32.max) + 1 else { throw file.error("vocabulary size \(v) in 'shape' exceeds the supported 2^31 columns") }
        let values = try file.doubles("data")
        guard !values.isEmpty else {
            throw file.error("holds no counts ('data' is empty), so there is nothing to analyze; ingest a corpus with at least one token")
        }
        try Self.checkCounts(values, file)
        let pairs = try Self.readPairs(file, format: format, m: m, v: v, count: values.count)
        // The row pointer and the sort below: (m + 1) + (m + 1) + nnz words.
        try AvailableMemory.require(product: [m + 1 + m + 1 + pairs.rows.count, MemoryLayout<Int>.size],
                                    for: "\(path): a CSR matrix of \(m) rows", advice: "load it on a machine with more memory")
        let csr = try Self.sortedRows(pairs, values: values, m: m, file)
        let vocabulary = try Self.readVocabulary(file, size: v)
        let (contexts, contextLength) = try Self.readContexts(file, m: m, v: v)
        var options: String? = nil
        if let a = members["options"] {
            guard a.shape.isEmpty || a.count == 1 else { throw file.error("'options' must be a single (0-d) string, found shape \(a.shape)") }
            options = try file.strings("options").first
            if let text = options, !OptionsText.isJSONObject(text) {
                throw file.error("member 'options' is not a JSON object that ntpsep can read (\"\(OptionsText.preview(text))\"); store json.dumps(a dict) there, or leave the member out")
            }
        }
        self.init(contextCount: m, vocabularySize: v, rowOffsets: csr.offsets, columns: csr.columns, counts: csr.counts,
                  vocabulary: vocabulary, contexts: contexts, contextLength: contextLength, optionsJSON: options)
        do { try validate() } catch let e as DataSetError { throw file.error(e.description) }
    }

    /// (row, column) pairs in whatever order the format stores them; `member` names the array
    /// whose positions the pairs have, for messages.
    private struct StoredPairs {
        var rows: [Int], cols: [Int]
        var member: String
    }

    /// The pairs of a csr, csc or coo matrix of shape (m, v) with `count` entries, every index checked.
    private static func readPairs(_ file: NPZMembers, format: String, m: Int, v: Int, count: Int) throws -> StoredPairs {
        switch format {
        case "csr", "csc":
            return try compressedPairs(file, format: format, m: m, v: v, count: count)
        case "coo":
            return try coordinatePairs(file, m: m, v: v, count: count)
        case "bsr", "dia":
            throw file.error("sparse format '\(format)' is not supported; convert with .tocsr() before save_npz")
        default:
            throw file.error("unknown sparse format '\(format)' (expected csr, csc or coo)")
        }
    }

    /// csr or csc: `indptr` over the major axis, `indices` on the minor one.
    private static func compressedPairs(_ file: NPZMembers, format: String, m: Int, v: Int, count: Int) throws -> StoredPairs {
        let indptr = try file.ints("indptr"), indices = try file.ints("indices")
        let major = format == "csr" ? m : v, minor = format == "csr" ? v : m
        guard indptr.count == major + 1 else { throw file.error("'indptr' has \(counted(indptr.count, "entry", plural: "entries")), expected \(major + 1) for shape (\(m), \(v)) \(format)") }
        guard indices.count == count else { throw file.error("'indices' has \(counted(indices.count, "entry", plural: "entries")) but 'data' has \(count)") }
        guard indptr[0] == 0, indptr[major] == Int64(indices.count) else {
            throw file.corrupt("'indptr' must start at 0 and end at nnz = \(indices.count), found \(indptr[0])…\(indptr[major])")
        }
        // Monotone from 0 to nnz means every entry lies in 0...nnz: check all before using any.
        for j in 0..<major where indptr[j] > indptr[j + 1] {
            throw file.corrupt("'indptr' decreases at position \(j + 1) (\(indptr[j]) then \(indptr[j + 1]))")
        }
        try AvailableMemory.require(product: [indices.count, 4 * MemoryLayout<Int>.size], for: "\(file.path): loading \(indices.count) entries",
                                    advice: "load it on a machine with more memory")
        var r = [Int](repeating: 0, count: indices.count)
        for j in 0..<major { for e in Int(indptr[j])..<Int(indptr[j + 1]) { r[e] = j } }
        var c = [Int](repeating: 0, count: indices.count)
        for (e, x) in indices.enumerated() {
            guard x >= 0, x < Int64(minor) else { throw file.corrupt("index \(x) out of range 0..<\(minor) at position \(e) of 'indices'") }
            c[e] = Int(x)
        }
        let (rows, cols) = format == "csr" ? (r, c) : (c, r)
        return StoredPairs(rows: rows, cols: cols, member: "indices")
    }

    /// coo: `row` and `col`, or `coords` (2 × nnz).
    private static func coordinatePairs(_ file: NPZMembers, m: Int, v: Int, count: Int) throws -> StoredPairs {
        let members = file.members
        var r: [Int64], c: [Int64]
        if members["row"] != nil || members["coords"] == nil {
            r = try file.ints("row"); c = try file.ints("col")
        } else {
            let coords = try file.need("coords")
            let flat = try file.ints("coords")
            guard coords.shape.count == 2, coords.shape[0] == 2 else { throw file.error("'coords' must have shape (2, nnz), found \(coords.shape)") }
            let nnz = coords.shape[1]
            r = Array(flat[0..<nnz]); c = Array(flat[nnz..<(2 * nnz)])
        }
        guard r.count == count, c.count == count else {
            throw file.error("coo arrays disagree: \(counted(r.count, "row")), \(counted(c.count, "column")), \(counted(count, "value"))")
        }
        var rows: [Int] = [], cols: [Int] = []
        rows.reserveCapacity(r.count); cols.reserveCapacity(c.count)
        for e in 0..<r.count {
            guard r[e] >= 0, r[e] < Int64(m), c[e] >= 0, c[e] < Int64(v) else {
                throw file.corrupt("coo entry \(e) at (\(r[e]), \(c[e])) is outside shape (\(m), \(v))")
            }
            rows.append(Int(r[e])); cols.append(Int(c[e]))
        }
        return StoredPairs(rows: rows, cols: cols, member: members["row"] != nil ? "row/col" : "coords")
    }

    /// CSR arrays of the pairs: counting sort by row (stable), then each row sorted by column; a
    /// pair stored twice is an error.
    private static func sortedRows(_ pairs: StoredPairs, values: [Double], m: Int,
                                   _ file: NPZMembers) throws -> (offsets: [Int], columns: [Int32], counts: [Double]) {
        let rows = pairs.rows, cols = pairs.cols
        var offsets = [Int](repeating: 0, count: m + 1)
        for r in rows { offsets[r + 1] += 1 }
        for j in 0..<m { offsets[j + 1] += offsets[j] }
        var next = offsets
        var order = [Int](repeating: 0, count: rows.count)
        for (e, r) in rows.enumerated() { order[next[r]] = e; next[r] += 1 }
        var outCols = [Int32](), outVals = [Double]()
        outCols.reserveCapacity(rows.count); outVals.reserveCapacity(rows.count)
        for j in 0..<m {
            let lo = offsets[j], hi = offsets[j + 1]
            var sorted = true
            if hi - lo > 1 { for k in (lo + 1)..<hi where cols[order[k - 1]] >= cols[order[k]] { sorted = false; break } }
            // Canonical input (scipy's usual output) needs no sort; otherwise sort this row only.
            if !sorted { order[lo..<hi].sort { (cols[$0], $0) < (cols[$1], $1) } }
            if hi - lo > 1 {
                for k in (lo + 1)..<hi where cols[order[k - 1]] == cols[order[k]] {
                    throw file.corrupt("positions \(order[k - 1]) and \(order[k]) of '\(pairs.member)' both store a count for row \(j), column \(cols[order[k]]) (call .sum_duplicates() before save_npz)")
                }
            }
            for e in order[lo..<hi] { outCols.append(Int32(cols[e])); outVals.append(values[e]) }
        }
        return (offsets, outCols, outVals)
    }

    /// The optional `contexts` member (m × (N−1) token ids) and its width; (nil, 0) when absent.
    private static func readContexts(_ file: NPZMembers, m: Int, v: Int) throws -> ([Int32]?, Int) {
        guard let a = file.members["contexts"] else { return (nil, 0) }
        guard a.shape.count == 2, a.shape[0] == m else { throw file.error("'contexts' must have shape (\(m), N−1), found \(a.shape)") }
        let ids = try file.ints("contexts")
        if let e = ids.firstIndex(where: { $0 < 0 || $0 >= Int64(v) }) {
            throw file.corrupt("'contexts' holds token id \(ids[e]) at row \(e / max(1, a.shape[1])), position \(e % max(1, a.shape[1])), outside the vocabulary 0..<\(v)")
        }
        if let (first, again) = firstRepeatedRow(ids, width: a.shape[1], rows: m) {
            let shown = ids[(first * a.shape[1])..<((first + 1) * a.shape[1])].map(String.init).joined(separator: ", ")
            throw file.error("rows \(first) and \(again) have the same context (contexts[\(first)] = contexts[\(again)] = [\(shown)]); a data set holds each distinct context once, in one row: sum the rows of equal contexts into one, or write the file again with ntpsep ingest")
        }
        return (ids.map { Int32($0) }, a.shape[1])
    }

    /// The first row that repeats an earlier one, with that earlier row: (i, j), i < j, j smallest;
    /// nil when the `rows` contexts of `width` ids are distinct. A repeated context made one
    /// context count as several, so m and the entropy came out wrong (QA round 11: contexts =
    /// zeros((20, 2)) gave "m = 20 distinct"). ntpsep writes contexts in increasing order, which
    /// one pass confirms. Other files have a 64-bit hash of each row sorted (equal rows hash
    /// alike, so distinct hashes prove distinct rows: 3.7 M rows in about 0.5 s); only when
    /// two hashes agree are the rows themselves sorted, to name the first repeat.
    static func firstRepeatedRow(_ ids: [Int64], width w: Int, rows m: Int) -> (Int, Int)? {
        guard m > 1 else { return nil }
        return ids.withUnsafeBufferPointer { p -> (Int, Int)? in
            /// −1, 0 or 1 as row a is below, equal to or above row b, id by id.
            func compare(_ a: Int, _ b: Int) -> Int {
                for t in 0..<w where p[a * w + t] != p[b * w + t] { return p[a * w + t] < p[b * w + t] ? -1 : 1 }
                return 0
            }
            if (1..<m).allSatisfy({ compare($0 - 1, $0) < 0 }) { return nil }
            var hashes = (0..<m).map { r in
                (0..<w).reduce(UInt64(0x9E37_79B9_7F4A_7C15)) { h, t in
                    let x = (h ^ UInt64(bitPattern: p[r * w + t])) &* 0xBF58_476D_1CE4_E5B9
                    return x ^ (x >> 31)
                }
            }
            hashes.sort()
            if !(1..<m).contains(where: { hashes[$0 - 1] == hashes[$0] }) { return nil }
            var order = Array(0..<m)
            order.sort { let c = compare($0, $1); return c != 0 ? c < 0 : $0 < $1 }
            // Within a run of equal rows the indices increase: its first two are the candidate.
            var best: (Int, Int)? = nil, runStart = 0
            for k in 1..<m {
                guard compare(order[k - 1], order[k]) == 0 else { runStart = k; continue }
                if k - 1 == runStart, best.map({ order[k] < $0.1 }) ?? true { best = (order[runStart], order[k]) }
            }
            return best
        }
    }

    /// Counts must be positive, finite and below 2⁵³ (so integral counts and their totals are
    /// exact in float64), and so must their sum.
    private static func checkCounts(_ values: [Double], _ file: NPZMembers) throws {
        var total = 0.0
        for (e, x) in values.enumerated() {
            guard x > 0, x < countLimit else {
                throw file.corrupt("'data'[\(e)] = \(x) is not a count: counts must be positive, finite and below 2^53 (drop zeros with .eliminate_zeros(), rescale large weights)")
            }
            total += x
        }
        guard total < countLimit else {
            throw file.corrupt("the counts in 'data' sum to \(total), at or above 2^53, so totals would not be exact in float64 (rescale the weights)")
        }
    }

    /// `vocab` ('<U' or '|S', UTF-8 bytes) or the pair `vocab_utf8` (uint8 bytes) +
    /// `vocab_offsets` (V + 1 byte offsets from 0 to the byte count, never decreasing); nil when
    /// neither is stored. Invalid UTF-8 is refused in either form (QA round 11: '|S' bytes became
    /// U+FFFD while the same bytes in `vocab_utf8` were refused).
    private static func readVocabulary(_ file: NPZMembers, size v: Int) throws -> [String]? {
        if file.members["vocab_utf8"] != nil || file.members["vocab_offsets"] != nil {
            let bytes = try file.need("vocab_utf8"), offsets = try file.ints("vocab_offsets")
            guard bytes.descr == "|u1", bytes.shape.count == 1, bytes.data.count == bytes.count else {
                throw file.error("'vocab_utf8' must be a 1-D uint8 array, found \(bytes.descr) of shape \(bytes.shape)")
            }
            try checkVocabularyOffsets(offsets, byteCount: bytes.count, size: v, file)
            var words: [String] = []
            words.reserveCapacity(v)
            for t in 0..<v {
                let token = bytes.data[Int(offsets[t])..<Int(offsets[t + 1])]
                guard let word = validUTF8(token) else {
                    throw file.corrupt("token \(t) (bytes \(offsets[t])..<\(offsets[t + 1]) of 'vocab_utf8') is not valid UTF-8")
                }
                words.append(word)
            }
            return words
        }
        guard let a = file.members["vocab"] else { return nil }
        guard a.shape.count == 1 else { throw file.error("'vocab' must be 1-D, found shape \(a.shape)") }
        return try file.strings("vocab")
    }

    /// Every offset is checked before any slices `vocab_utf8`: V + 1 of them, the first 0, the
    /// last the byte count, none past it and none below the one before (QA round 11: offsets
    /// were compared pairwise while slicing, so [0, …, 6, 100, 8] over 8 bytes trapped).
    private static func checkVocabularyOffsets(_ offsets: [Int64], byteCount: Int, size v: Int, _ file: NPZMembers) throws {
        guard offsets.count == v + 1, offsets.first == 0, offsets.last == Int64(byteCount) else {
            throw file.corrupt("'vocab_offsets' must hold V + 1 = \(v + 1) offsets from 0 to \(byteCount) (the length of 'vocab_utf8'), found \(offsets.count) ending at \(offsets.last ?? -1)")
        }
        for t in 1..<offsets.count {
            if offsets[t] > Int64(byteCount) {
                throw file.corrupt("'vocab_offsets'[\(t)] = \(offsets[t]) is past the \(counted(byteCount, "byte")) of 'vocab_utf8'")
            }
            if offsets[t] < offsets[t - 1] {
                throw file.corrupt("'vocab_offsets' decreases at position \(t) (\(offsets[t - 1]) then \(offsets[t]))")
            }
        }
    }

    /// Writes the data set as an `.npz` that `scipy.sparse.load_npz` reads as the m × V CSR count
    /// matrix, with members in this order: indices (int32), indptr (int32 if it fits, else
    /// int64), format (b"csr"), shape (int64 (2,)), data (int64 when every count is integral,
    /// else float64), then the vocabulary, contexts ('<i4' m × contextLength) and options (0-d
    /// '<U' JSON) when present, and format_version (int64 0-d, `DataSet.formatVersion`).
    ///
    /// The vocabulary is `vocab` ('<U', what `np.load(f)['vocab']` shows as strings) unless numpy's
    /// padding of every token to the longest would more than quadruple it (and exceed 2²⁴
    /// characters): then it is `vocab_utf8` (uint8, the tokens' UTF-8 bytes back to back) plus
    /// `vocab_offsets` (int64, V + 1; token t is `bytes[offsets[t]:offsets[t+1]].tobytes().decode()`),
    /// so memory follows the bytes of the tokens. Atomic and byte-identical for identical data sets.
    public func writeNPZ(to path: String) throws {
        do { try validate() } catch let e as DataSetError { throw NTPFormatError("cannot write \(path): \(e.description)") }
        // The large arrays are written from their own storage (`NPZMember.pieces`), not copied.
        var members: [(String, NPZMember)] = []
        members.append(("indices", .integers(columns, descr: "<i4", shape: [columns.count])))
        if let last = rowOffsets.last, last > Int(Int32.max) {
            members.append(("indptr", .converted(rowOffsets, descr: "<i8", shape: [rowOffsets.count]) { Int64($0).littleEndian }))
        } else {
            members.append(("indptr", .converted(rowOffsets, descr: "<i4", shape: [rowOffsets.count]) { Int32($0).littleEndian }))
        }
        members.append(("format", .array(NPYArray(bytesString: "csr"))))
        members.append(("shape", .array(NPYArray(int64: [Int64(contextCount), Int64(vocabularySize)], shape: [2]))))
        // validate() keeps counts below 2^53, so the Int64 conversion of integral counts is exact.
        if counts.allSatisfy({ $0 == $0.rounded() }) {
            members.append(("data", .converted(counts, descr: "<i8", shape: [counts.count]) { Int64($0).littleEndian }))
        } else {
            members.append(("data", .converted(counts, descr: "<f8", shape: [counts.count]) { $0.bitPattern.littleEndian }))
        }
        // A '<U' vocabulary is padded and compressed in pieces (see `NPZMember.strings`).
        if let vocabulary { members += Self.vocabularyMembers(vocabulary) }
        if let contexts { members.append(("contexts", .integers(contexts, descr: "<i4", shape: [contextCount, contextLength]))) }
        if let optionsJSON { members.append(("options", .array(NPYArray(strings: [optionsJSON], shape: [])))) }
        let version = FormatVersion.member(Self.formatVersion)
        members.append((version.0, .array(version.1)))
        try NPZArchive.write(members, to: path)
    }

    /// `vocab` as '<U' when padding costs at most 4× (or under 2²⁴ characters), else the
    /// unpadded `vocab_utf8` + `vocab_offsets` pair: the vocabulary members of every data set
    /// file (in-memory and streamed writers alike).
    public static func vocabularyMembers(_ vocabulary: [String]) -> [(String, NPZMember)] {
        var characters = 0, longest = 0
        for word in vocabulary { let n = word.unicodeScalars.count; characters += n; longest = max(longest, n) }
        let padded = vocabulary.count.multipliedReportingOverflow(by: max(1, longest))
        if !padded.overflow, padded.partialValue <= max(4 * characters, 1 << 24) {
            return [("vocab", .strings(vocabulary))]
        }
        var bytes: [UInt8] = [], offsets: [Int64] = [0]
        offsets.reserveCapacity(vocabulary.count + 1)
        for word in vocabulary { bytes += word.utf8; offsets.append(Int64(bytes.count)) }
        return [("vocab_utf8", .array(NPYArray(descr: "|u1", shape: [bytes.count], data: bytes))),
                ("vocab_offsets", .integers(offsets, descr: "<i8", shape: [offsets.count]))]
    }
}

/// Counts and their totals must stay below 2⁵³: every integer up to it is exact in float64.
let countLimit = 9_007_199_254_740_992.0

/// The bytes as a String when they are valid UTF-8, else nil.
func validUTF8<C: Collection>(_ bytes: C) -> String? where C.Element == UInt8 {
    var failed = false
    var scalars = String.UnicodeScalarView()
    failed = transcode(bytes.makeIterator(), from: UTF8.self, to: UTF32.self, stoppingOnError: true) {
        scalars.append(Unicode.Scalar($0)!)
    }
    return failed ? nil : String(scalars)
}

/// The members of one `.npz` file, with typed accessors whose errors name the file and member.
struct NPZMembers {
    let path: String
    let members: [String: NPYArray]

    /// A one-line error about this file.
    func error(_ what: String) -> NTPFormatError { NTPFormatError("\(path): \(what)") }

    /// An error about content that cannot be a valid data set, with what to do.
    func corrupt(_ what: String) -> NTPFormatError {
        error("\(what); the file is corrupt: write it again (ntpsep ingest/synth, or scipy.sparse.save_npz of a canonical matrix)")
    }

    func need(_ key: String) throws -> NPYArray {
        guard let a = members[key] else {
            throw error("missing array '\(key)' (expected a scipy.sparse.save_npz file; has \(members.keys.sorted().joined(separator: ", ")))")
        }
        return a
    }

    func ints(_ key: String) throws -> [Int64] { try typed(key) { try $0.int64s() } }
    func doubles(_ key: String) throws -> [Double] { try typed(key) { try $0.doubles() } }
    func strings(_ key: String) throws -> [String] { try typed(key) { try $0.strings() } }

    private func typed<T>(_ key: String, _ convert: (NPYArray) throws -> T) throws -> T {
        let a = try need(key)
        do { return try convert(a) } catch let e as NTPFormatError { throw error("array '\(key)': \(e.description)") }
    }

    /// Accepts files without `format_version` (version 1) and versions up to `newest`.
    func checkFormatVersion(accepting newest: Int64, kind: String) throws {
        try FormatVersion.check(npz: members, newest: newest, kind: kind, path: path)
    }
}
