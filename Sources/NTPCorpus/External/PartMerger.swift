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
        let merger = RunMerger(try zip(parts, maps).map { try $0.pairs(remappedBy: $1) })
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
        func fields(_ json: String) -> [String: Any] {
            (try? JSONSerialization.jsonObject(with: Data(json.utf8))) as? [String: Any] ?? [:]
        }
        let x = fields(a.options), y = fields(b.options)
        var out = Set(x.keys).union(y.keys).sorted().compactMap { key in difference(key, x[key], y[key]) }
        if a.shardCount != b.shardCount { out.append("shards of \(a.shardCount) here, of \(b.shardCount) there") }
        return out.isEmpty ? "context length or padding differ" : out.joined(separator: "; ")
    }

    /// One option's difference, nil when equal: lists (the inputs) by their lengths and first
    /// differing entry, other values as JSON cut to 80 characters, so the line stays short.
    private static func difference(_ key: String, _ here: Any?, _ there: Any?) -> String? {
        func text(_ value: Any?) -> String {
            guard let value else { return "absent" }
            guard JSONSerialization.isValidJSONObject([value]),
                  let data = try? JSONSerialization.data(withJSONObject: [value], options: [.sortedKeys, .withoutEscapingSlashes]) else { return "\(value)" }
            let s = String(decoding: data.dropFirst().dropLast(), as: UTF8.self)
            return s.count > 80 ? String(s.prefix(77)) + "..." : s
        }
        if let p = here as? [Any], let q = there as? [Any] {
            let ps = p.map { text($0) }, qs = q.map { text($0) }
            guard ps != qs else { return nil }
            let i = (0..<min(ps.count, qs.count)).first { ps[$0] != qs[$0] } ?? min(ps.count, qs.count)
            return "\(key): \(ps.count) here, \(qs.count) there, first different at #\(i + 1): "
                + "\(i < ps.count ? ps[i] : "none") here, \(i < qs.count ? qs[i] : "none") there"
        }
        let p = text(here), q = text(there)
        return p == q ? nil : "\(key) \(p) here, \(q) there"
    }

    /// The union vocabulary, sorted by bytes, into `unique`; returns its summed occurrences and each
    /// part's map of ids into it.
    private static func unionVocabulary(_ parts: [CountPart], into unique: inout [[UInt8]]) throws -> ([Int64], [PackedKeyMap]) {
        let first = parts[0].header
        unique = ByteOrder.union(parts.map(\.vocabulary))
        guard unique.count <= 1 << first.bits || first.bits >= 32 else {
            throw CorpusError.option("merge: \(unique.count) distinct tokens do not fit the \(first.bits)-bit ids of order-\(first.contextLength + 1) keys; lower --order, or ingest without --shard (one process has no such limit)")
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
