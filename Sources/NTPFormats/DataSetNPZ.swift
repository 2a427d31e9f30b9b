extension DataSet {
    /// Loads a data set from any `scipy.sparse.save_npz` file (compressed or not) in csr, csc or
    /// coo format, with data of any bool/int/uint/float dtype and int32/int64 indices. The matrix
    /// is converted to CSR with sorted columns and duplicates summed. Optional members: `vocab`
    /// (1-D strings), `contexts` (2-D integers m × (N−1); sets `contextLength`), `options`
    /// (0-d string holding JSON). Errors are one line naming the file.
    public init(contentsOfNPZ path: String) throws {
        let members = try NPZArchive.read(path: path, decodingStrings: true)
        func bad(_ what: String) -> NTPFormatError { NTPFormatError("\(path): \(what)") }
        func need(_ key: String) throws -> NPYArray {
            guard let a = members[key] else {
                throw bad("missing array '\(key)' (expected a scipy.sparse.save_npz file; has \(members.keys.sorted().joined(separator: ", ")))")
            }
            return a
        }
        func ints(_ key: String) throws -> [Int64] {
            do { return try need(key).int64s() } catch let e as NTPFormatError where !e.description.hasPrefix(path) {
                throw bad("array '\(key)': \(e.description)")
            }
        }
        let format: String
        do { format = try need("format").strings().first ?? "" } catch let e as NTPFormatError where !e.description.hasPrefix(path) {
            throw bad("array 'format': \(e.description)")
        }
        let shape = try ints("shape")
        guard shape.count == 2, shape[0] >= 0, shape[1] >= 0 else { throw bad("'shape' must hold two non-negative numbers, found \(shape)") }
        let m = Int(shape[0]), v = Int(shape[1])
        guard v <= Int(Int32.max) + 1 else { throw bad("vocabulary size \(v) exceeds the supported 2^31 columns") }
        let values: [Double]
        do { values = try need("data").doubles() } catch let e as NTPFormatError where !e.description.hasPrefix(path) {
            throw bad("array 'data': \(e.description)")
        }

        // Gather (row, column, value) triplets in whatever order the format stores them.
        var rows: [Int], cols: [Int]
        switch format {
        case "csr", "csc":
            let indptr = try ints("indptr"), indices = try ints("indices")
            let major = format == "csr" ? m : v, minor = format == "csr" ? v : m
            guard indptr.count == major + 1 else { throw bad("'indptr' has \(indptr.count) entries, expected \(major + 1) for shape (\(m), \(v)) \(format)") }
            guard indices.count == values.count else { throw bad("'indices' has \(indices.count) entries but 'data' has \(values.count)") }
            guard indptr[0] == 0, indptr[major] == Int64(indices.count) else {
                throw bad("'indptr' must start at 0 and end at nnz = \(indices.count), found \(indptr[0])…\(indptr[major])")
            }
            var r = [Int](repeating: 0, count: indices.count)
            for j in 0..<major {
                guard indptr[j] <= indptr[j + 1] else { throw bad("'indptr' decreases at \(j)") }
                for e in Int(indptr[j])..<Int(indptr[j + 1]) { r[e] = j }
            }
            var c = [Int](repeating: 0, count: indices.count)
            for (e, x) in indices.enumerated() {
                guard x >= 0, x < Int64(minor) else { throw bad("index \(x) out of range 0..<\(minor) at position \(e) of 'indices'") }
                c[e] = Int(x)
            }
            (rows, cols) = format == "csr" ? (r, c) : (c, r)
        case "coo":
            var r: [Int64], c: [Int64]
            if members["row"] != nil || members["coords"] == nil {
                r = try ints("row"); c = try ints("col")
            } else {
                let coords = try need("coords")
                let flat = try ints("coords")
                guard coords.shape.count == 2, coords.shape[0] == 2 else { throw bad("'coords' must have shape (2, nnz), found \(coords.shape)") }
                let nnz = coords.shape[1]
                r = Array(flat[0..<nnz]); c = Array(flat[nnz..<(2 * nnz)])
            }
            guard r.count == values.count, c.count == values.count else {
                throw bad("coo arrays disagree: \(r.count) rows, \(c.count) columns, \(values.count) values")
            }
            rows = []; cols = []
            rows.reserveCapacity(r.count); cols.reserveCapacity(c.count)
            for e in 0..<r.count {
                guard r[e] >= 0, r[e] < Int64(m), c[e] >= 0, c[e] < Int64(v) else {
                    throw bad("coo entry \(e) at (\(r[e]), \(c[e])) is outside shape (\(m), \(v))")
                }
                rows.append(Int(r[e])); cols.append(Int(c[e]))
            }
        case "bsr", "dia":
            throw bad("sparse format '\(format)' is not supported; convert with .tocsr() before save_npz")
        default:
            throw bad("unknown sparse format '\(format)' (expected csr, csc or coo)")
        }

        // Counting sort by row (stable), then sort each row by column and sum duplicates.
        var offsets = [Int](repeating: 0, count: m + 1)
        for r in rows { offsets[r + 1] += 1 }
        for j in 0..<m { offsets[j + 1] += offsets[j] }
        var next = offsets
        var order = [Int](repeating: 0, count: rows.count)
        for (e, r) in rows.enumerated() { order[next[r]] = e; next[r] += 1 }
        var outOffsets = [Int](repeating: 0, count: m + 1)
        var outCols: [Int32] = [], outVals: [Double] = []
        outCols.reserveCapacity(rows.count); outVals.reserveCapacity(rows.count)
        for j in 0..<m {
            let lo = offsets[j], hi = offsets[j + 1]
            var sorted = true
            if hi - lo > 1 { for k in (lo + 1)..<hi where cols[order[k - 1]] >= cols[order[k]] { sorted = false; break } }
            // Canonical input (scipy's usual output) needs no sort; otherwise sort this row only.
            if !sorted { order[lo..<hi].sort { (cols[$0], $0) < (cols[$1], $1) } }
            for e in order[lo..<hi] {
                if let last = outCols.last, outCols.count > outOffsets[j], Int(last) == cols[e] {
                    outVals[outVals.count - 1] += values[e]
                } else {
                    outCols.append(Int32(cols[e])); outVals.append(values[e])
                }
            }
            outOffsets[j + 1] = outCols.count
        }

        var vocabulary: [String]? = nil
        if let a = members["vocab"] {
            guard a.shape.count == 1 else { throw bad("'vocab' must be 1-D, found shape \(a.shape)") }
            do { vocabulary = try a.strings() } catch let e as NTPFormatError { throw bad("array 'vocab': \(e.description)") }
        }
        var contexts: [Int32]? = nil
        var contextLength = 0
        if let a = members["contexts"] {
            guard a.shape.count == 2, a.shape[0] == m else { throw bad("'contexts' must have shape (\(m), N−1), found \(a.shape)") }
            let ids = try ints("contexts")
            guard ids.allSatisfy({ $0 >= 0 && $0 <= Int64(Int32.max) }) else { throw bad("'contexts' holds ids outside 0…\(Int32.max)") }
            contexts = ids.map { Int32($0) }
            contextLength = a.shape[1]
        }
        var options: String? = nil
        if let a = members["options"] {
            guard a.shape.isEmpty || a.count == 1 else { throw bad("'options' must be a single (0-d) string, found shape \(a.shape)") }
            do { options = try a.strings().first } catch let e as NTPFormatError { throw bad("array 'options': \(e.description)") }
        }
        self.init(contextCount: m, vocabularySize: v, rowOffsets: outOffsets, columns: outCols, counts: outVals,
                  vocabulary: vocabulary, contexts: contexts, contextLength: contextLength, optionsJSON: options)
        do { try validate() } catch let e as DataSetError { throw bad(e.description) }
    }

    /// Writes the data set as an `.npz` that `scipy.sparse.load_npz` reads as the m × V CSR count
    /// matrix, with members in this order: indices (int32), indptr (int32 if it fits, else
    /// int64), format (b"csr"), shape (int64 (2,)), data (int64 when every count is integral,
    /// else float64), then vocab ('<U'), contexts ('<i4' m × contextLength) and options (0-d
    /// '<U' JSON) when present. Atomic and byte-identical for identical data sets.
    public func writeNPZ(to path: String) throws {
        do { try validate() } catch let e as DataSetError { throw NTPFormatError("cannot write \(path): \(e.description)") }
        var members: [(String, NPYArray)] = []
        var vocabularyMember: [(String, NPZMember)] = []
        members.append(("indices", NPYArray(int32: columns, shape: [columns.count])))
        if let last = rowOffsets.last, last > Int(Int32.max) {
            members.append(("indptr", NPYArray(int64: rowOffsets.map { Int64($0) }, shape: [rowOffsets.count])))
        } else {
            members.append(("indptr", NPYArray(int32: rowOffsets.map { Int32($0) }, shape: [rowOffsets.count])))
        }
        members.append(("format", NPYArray(bytesString: "csr")))
        members.append(("shape", NPYArray(int64: [Int64(contextCount), Int64(vocabularySize)], shape: [2])))
        let limit = 9.2e18 // below Int64.max, so the conversion is exact for integral doubles
        if counts.allSatisfy({ $0 == $0.rounded() && abs($0) < limit }) {
            members.append(("data", NPYArray(int64: counts.map { Int64($0) }, shape: [counts.count])))
        } else {
            members.append(("data", NPYArray(doubles: counts, shape: [counts.count])))
        }
        // The vocabulary is padded and compressed in pieces (see `NPZMember.strings`).
        if let vocabulary { vocabularyMember = [("vocab", .strings(vocabulary))] }
        var tail: [(String, NPYArray)] = []
        if let contexts { tail.append(("contexts", NPYArray(int32: contexts, shape: [contextCount, contextLength]))) }
        if let optionsJSON { tail.append(("options", NPYArray(strings: [optionsJSON], shape: []))) }
        try NPZArchive.write(members.map { ($0.0, NPZMember.array($0.1)) } + vocabularyMember + tail.map { ($0.0, NPZMember.array($0.1)) }, to: path)
    }
}
