import Foundation

/// Merges parts (`CountPart`) exactly: the union vocabulary is sorted by bytes like each part's,
/// so a part's ids map into it monotonically and its sorted pairs stay sorted; the runs are
/// merged k-way. The result does not depend on how parts are grouped or ordered.
public enum PartMerger {
    /// Merges `paths` into the part `output` (`asDataSet` false) or into the data set `output`,
    /// which needs every shard; returns the data set's summary in that case.
    @discardableResult
    public static func merge(_ paths: [String], to output: String, asDataSet: Bool, memoryBudget: Int,
                             temporaryParent: String?) throws -> DataSetSummary? {
        guard !paths.isEmpty else { throw CorpusError.option("merge: name at least one part") }
        var parts = try paths.map { try CountPart(path: $0) }
        let first = parts[0].header
        let shards = try checkCompatible(parts)
        var unique: [[UInt8]] = []   // emptied once the data set's ids are made
        let (occurrences, maps) = try unionVocabulary(parts, into: &unique)
        let sequences = parts.reduce(Int64(0)) { $0 + $1.header.sequences }
        let events = parts.reduce(Int64(0)) { $0 + $1.header.events }
        let merger = RunMerger(try parts.map { try $0.pairs() }, remaps: maps.map { m in { m($0) } })
        parts = []   // their vocabularies are in `unique` and `maps` now
        if !asDataSet {
            var header = first
            header.shards = shards
            header.sequences = sequences; header.events = events; header.vocabularySize = unique.count
            let writer = try CountPartWriter(path: output, header: header, vocabulary: unique, occurrences: occurrences)
            try merger.forEach { try writer.append($0, $1) }
            try writer.commit()
            return nil
        }
        let missing = Set(0..<first.shardCount).subtracting(shards)
        guard missing.isEmpty else {
            throw CorpusError.option("merge: a data set needs all \(first.shardCount) shards; missing \(missing.sorted().map(String.init).joined(separator: ", ")) (merge into a part with -o NAME.part to combine a subset)")
        }
        let (newID, vocabulary) = finalTokenIDs(unique, occurrences: occurrences, header: first, sequences: sequences)
        unique = []
        let final = PackedKeyMap(order: first.contextLength + 1, bits: first.bits, map: newID)
        let folder = try SpillFolder(parent: temporaryParent)
        defer { folder.remove() }
        let writer = try StreamingDataSetWriter(folder: folder, contextLength: first.contextLength, bits: first.bits,
                                                eventCount: events, vocabulary: vocabulary, optionsJSON: first.options)
        try sortRenumbered(merger, map: final, budgetBytes: memoryBudget - writer.vocabularyBytes, pairsAtMost: Int(events),
                           folder: folder) { try writer.add($0, $1) }
        return try writer.finish(to: output)
    }

    /// The shards of all parts, sorted, after checking that every part was made with the first
    /// one's options and that no shard comes twice.
    private static func checkCompatible(_ parts: [CountPart]) throws -> [Int] {
        let first = parts[0].header
        var shards: [Int] = []
        for part in parts {
            let h = part.header
            if h.options != first.options || h.shardCount != first.shardCount || h.contextLength != first.contextLength
                || h.bits != first.bits || h.padded != first.padded {
                throw CorpusError.input(part.path, "was made with other options than \(parts[0].path) (\(differences(h, first))); parts to merge must come from the same ingest options and inputs")
            }
            shards += h.shards
        }
        shards.sort()
        if let twice = zip(shards, shards.dropFirst()).first(where: { $0 == $1 }) {
            throw CorpusError.option("merge: shard \(twice.0)/\(first.shardCount) is in more than one part; each shard must be merged once")
        }
        return shards
    }

    /// "order 2 here, 3 there; shards of 4 here, of 8 there" for two headers.
    private static func differences(_ a: CountPartHeader, _ b: CountPartHeader) -> String {
        func fields(_ json: String) -> [String: String] {
            let object = (try? JSONSerialization.jsonObject(with: Data(json.utf8))) as? [String: Any] ?? [:]
            return object.mapValues { value -> String in
                guard JSONSerialization.isValidJSONObject([value]),
                      let data = try? JSONSerialization.data(withJSONObject: [value], options: [.sortedKeys]) else { return "\(value)" }
                return String(decoding: data.dropFirst().dropLast(), as: UTF8.self)
            }
        }
        func lists(_ json: String) -> [String: [String]] {
            ((try? JSONSerialization.jsonObject(with: Data(json.utf8))) as? [String: Any] ?? [:]).compactMapValues { $0 as? [String] }
        }
        let x = fields(a.options), y = fields(b.options), xs = lists(a.options), ys = lists(b.options)
        var out = Set(x.keys).union(y.keys).sorted().filter { x[$0] != y[$0] }.map { key in
            // Long lists (inputs): their lengths and the first difference, not both lists.
            if let p = xs[key], let q = ys[key], max(p.count, q.count) > 3 {
                let i = (0..<min(p.count, q.count)).first { p[$0] != q[$0] } ?? min(p.count, q.count)
                func at(_ l: [String]) -> String { i < l.count ? quoted(l[i]) : "none" }
                return "\(key) \(p.count) here, \(q.count) there, first different at position \(i + 1): \(at(p)) here, \(at(q)) there"
            }
            return "\(key) \(x[key] ?? "absent") here, \(y[key] ?? "absent") there"
        }
        if a.shardCount != b.shardCount { out.append("shards of \(a.shardCount) here, of \(b.shardCount) there") }
        return out.isEmpty ? "context length or padding differ" : out.joined(separator: "; ")
    }

    /// The union vocabulary, sorted by bytes, into `unique`; returns its summed occurrences and each
    /// part's map of ids into it.
    private static func unionVocabulary(_ parts: [CountPart], into unique: inout [[UInt8]]) throws -> ([Int64], [PackedKeyMap]) {
        let first = parts[0].header
        var union = parts.flatMap(\.vocabulary)
        union.sort { $0.lexicographicallyPrecedes($1) }
        unique = []
        unique.reserveCapacity(union.count)
        for token in union where unique.last != token { unique.append(token) }
        union = []
        guard unique.count <= 1 << first.bits || first.bits >= 32 else {
            throw CorpusError.option("merge: \(unique.count) distinct tokens do not fit the \(first.bits)-bit ids of order-\(first.contextLength + 1) keys; lower --order")
        }
        var occurrences = [Int64](repeating: 0, count: unique.count)
        var maps: [PackedKeyMap] = []
        for part in parts {
            var map = [UInt32](repeating: 0, count: part.vocabulary.count)
            var u = 0
            for (r, token) in part.vocabulary.enumerated() {
                while unique[u] != token { u += 1 }
                map[r] = UInt32(u)
                occurrences[u] += part.occurrences[r]
            }
            maps.append(PackedKeyMap(order: first.contextLength + 1, bits: first.bits, map: map))
        }
        return (occurrences, maps)
    }

    /// The data set's id of every union token and its vocabulary, in the order ingest gives them:
    /// --max-vocab and --min-count (as recorded in the parts' options) act on the merged counts.
    /// The interner only orders the vocabulary; it is gone before sorting starts.
    private static func finalTokenIDs(_ unique: [[UInt8]], occurrences: [Int64], header first: CountPartHeader,
                                      sequences: Int64) -> ([UInt32], [String]) {
        let recorded = (try? JSONSerialization.jsonObject(with: Data(first.options.utf8))) as? [String: Any] ?? [:]
        let maxVocabulary = recorded["max_vocab"] as? Int, minCount = recorded["min_count"] as? Int ?? 1
        let interner = TokenInterner()
        var internerID = [UInt32](repeating: 0, count: unique.count)
        for (u, token) in unique.enumerated() {
            internerID[u] = token.withUnsafeBufferPointer { interner.intern($0, occurrences: occurrences[u]) }
        }
        let (byInterner, vocabulary) = DataSetBuilder.finalTokenIDs(
            interner: interner, padded: first.padded, sequenceCount: Int(sequences), contextLength: first.contextLength,
            maxVocabulary: maxVocabulary, minCount: minCount)
        return (internerID.map { byInterner[Int($0)] }, vocabulary)
    }
}
