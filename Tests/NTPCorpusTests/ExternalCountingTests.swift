import XCTest
@testable import NTPCorpus

/// The pieces of out-of-core counting against plain dictionaries.
final class ExternalCountingTests: XCTestCase {
    func testRunFileRoundTripsKeysOfEveryMagnitude() throws {
        let folder = try SpillFolder()
        let pairs: [(UInt64, Int64)] = [(0, 1), (1, 127), (128, 128), (300, 16_384), (1 << 35, 1 << 40), (.max - 1, 7), (.max, 1)]
        let writer = try RunWriter(in: folder, stem: "t")
        for (k, c) in pairs { try writer.append(k, c) }
        try writer.close()
        // Delta and count varints: 1+1, 1+1, 1+2 (delta 127, count 128), 2+3, 5+6, 10+1, 1+1 bytes.
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: writer.path)[.size] as? Int, 36)
        let reader = try RunReader(path: writer.path, folder: folder, bufferSize: 24)
        var read: [(UInt64, Int64)] = []
        while try reader.advance() { read.append((reader.key, reader.count)) }
        XCTAssertEqual(read.map(\.0), pairs.map(\.0))
        XCTAssertEqual(read.map(\.1), pairs.map(\.1))
        let path = folder.path
        folder.remove()
        XCTAssertFalse(FileManager.default.fileExists(atPath: path))
    }

    func testExternalSorterWithTinyBuffersSumsLikeADictionary() throws {
        let folder = try SpillFolder()
        var state: UInt64 = 12345
        var expected: [UInt64: Int64] = [:]
        for capacity in [2, 7, 1000, 1 << 20] {
            let sorter = ExternalSorter(capacity: capacity, folder: folder)
            expected = [:]
            for i in 0..<20_000 {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                let key = (state >> 40) % 3000, count = Int64(i % 5 + 1)
                try sorter.add(key, count)
                expected[key, default: 0] += count
            }
            var got: [(UInt64, Int64)] = []
            try sorter.forEachSorted { got.append(($0, $1)) }
            XCTAssertEqual(got.map(\.0), expected.keys.sorted(), "capacity \(capacity)")
            XCTAssertEqual(got.map(\.1), expected.keys.sorted().map { expected[$0]! }, "capacity \(capacity)")
            XCTAssertEqual(sorter.runCount > 0, capacity < 20_000, "capacity \(capacity)")
        }
    }

    /// The union of byte-sorted vocabularies equals sorting their concatenation and dropping
    /// repeats, for any number of lists (tokens sharing prefixes, a prefix of another, non-ASCII).
    func testByteOrderUnionMatchesSortingTheConcatenation() {
        var state: UInt64 = 99
        func next(_ bound: Int) -> Int { state = state &* 6364136223846793005 &+ 1442695040888963407; return Int(state >> 33) % bound }
        let alphabet: [UInt8] = [0x61, 0x62, 0xC3, 0xA9, 0x7A]
        for listCount in [1, 2, 3, 5, 8] {
            let lists: [[[UInt8]]] = (0..<listCount).map { _ in
                Array(Set((0..<next(300)).map { _ in (0..<(1 + next(10))).map { _ in alphabet[next(alphabet.count)] } }))
                    .sorted { $0.lexicographicallyPrecedes($1) }
            }
            let expected = Array(Set(lists.joined())).sorted { $0.lexicographicallyPrecedes($1) }
            XCTAssertEqual(ByteOrder.union(lists), expected, "\(listCount) lists")
        }
        XCTAssertEqual(ByteOrder.union([]), [])
    }

    /// A part whose vocabulary is not in byte order cannot be merged (each part's ids are mapped
    /// into the union in one forward pass): reading it is one error naming the token, not a crash.
    func testPartWithVocabularyOutOfOrderIsRefused() throws {
        let folder = try SpillFolder()
        defer { folder.remove() }
        let path = folder.newFile("bad") + ".part"
        let header = CountPartHeader(options: "{}", shards: [0], shardCount: 1, contextLength: 1, bits: 32, padded: true,
                                     sequences: 1, events: 2, vocabularySize: 3)
        let writer = try CountPartWriter(path: path, header: header, vocabulary: [Array("<s>".utf8), Array("b".utf8), Array("a".utf8)],
                                         occurrences: [0, 1, 1])
        try writer.append(1 << 32 | 2, 1)
        try writer.commit()
        XCTAssertThrowsError(try CountPart(path: path)) { error in
            XCTAssertEqual("\(error)", "\(path): damaged part file (vocabulary token #3 is not after #2 in byte order); make it again with ntpsep ingest --shard I/N (or merge -o PART)")
        }
    }

    /// Pairs a part cannot hold, in a file whose CRC-32 and pair count are right (QA round 12b): a
    /// rank past the vocabulary crashed `merge`; a repeated key and a zero count went into the data set.
    func testPartPairsOutsideTheirLimitsAreRefused() throws {
        let folder = try SpillFolder()
        defer { folder.remove() }
        let vocabulary = ["</s>", "<s>", "a", "b"].map { Array($0.utf8) }   // byte order
        let cases: [([(UInt64, Int64)], String)] = [
            ([(0 << 32 | 2, 1), (2 << 32 | 4, 1)], "pair #2: token rank 4, past the 4 of its vocabulary"),
            ([(0 << 32 | 2, 1), (0 << 32 | 2, 1)], "pair #2: its key is not above the one before"),
            ([(0 << 32 | 2, 1), (2 << 32 | 3, 0)], "pair #2: count 0"),
        ]
        for (i, (pairs, problem)) in cases.enumerated() {
            let path = folder.newFile("bad\(i)") + ".part"
            let header = CountPartHeader(options: "{}", shards: [0], shardCount: 1, contextLength: 1, bits: 32, padded: true,
                                         sequences: 1, events: 2, vocabularySize: vocabulary.count)
            let writer = try CountPartWriter(path: path, header: header, vocabulary: vocabulary, occurrences: [0, 1, 1, 1])
            for (key, count) in pairs { try writer.append(key, count) }
            try writer.commit()
            let reader = try CountPart(path: path).pairs()
            XCTAssertThrowsError(try { while try reader.advance() {} }()) { error in
                XCTAssertEqual("\(error)", "\(path): damaged part file (\(problem)); make it again with ntpsep ingest --shard I/N (or merge -o PART)")
            }
        }
    }

    func testPackedKeyMapRenumbersEveryPosition() {
        // Order 3, 21-bit ids: (2, 0, 1) -> (map[2], map[0], map[1]) = (9, 5, 7).
        let map = PackedKeyMap(order: 3, bits: 21, map: [5, 7, 9])
        let key: UInt64 = 2 << 42 | 0 << 21 | 1
        XCTAssertEqual(map(key), 9 << 42 | 5 << 21 | 7)
    }
}
