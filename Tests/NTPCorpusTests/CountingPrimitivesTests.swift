import XCTest
@testable import NTPCorpus

/// The radix sort and the interner against the standard library's sort and Dictionary.
final class RadixSortTests: XCTestCase {
    private struct Generator {
        var state: UInt64
        mutating func next() -> UInt64 { state = state &* 6364136223846793005 &+ 1442695040888963407; return state ^ (state >> 29) }
    }

    /// Ascending keys, and equal keys keep their input order (values are input positions).
    func testMatchesStableSortForEverySizeShapeAndThreadCount() {
        var g = Generator(state: 7)
        let shapes: [(String, (inout Generator) -> UInt64)] = [
            ("full 64-bit", { $0.next() }),
            ("few distinct keys", { $0.next() % 5 }),
            ("only high bits vary", { ($0.next() % 300) << 50 }),
            ("63-bit trigram-like", { $0.next() >> 1 }),
            ("all equal", { _ in 42 }),
            ("skewed: one bucket holds 90%", { $0.next() % 10 == 0 ? 1 << 62 : $0.next() % (1 << 40) }),
        ]
        for n in [0, 1, 2, 31, 32, 33, 4096, 4097, 70_000, 300_000] {
            for (name, make) in shapes {
                let input = (0..<n).map { _ in make(&g) }
                let expected = input.enumerated().sorted { $0.element != $1.element ? $0.element < $1.element : $0.offset < $1.offset }
                for threads in [1, 2] {
                    var keys = input, values = (0..<n).map(Int64.init)
                    var tmpKeys = [UInt64](repeating: 0, count: max(n, 1)), tmpValues = [Int64](repeating: 0, count: max(n, 1))
                    keys.withUnsafeMutableBufferPointer { k in
                        values.withUnsafeMutableBufferPointer { v in
                            tmpKeys.withUnsafeMutableBufferPointer { tk in
                                tmpValues.withUnsafeMutableBufferPointer { tv in
                                    RadixSort.sort(k.baseAddress ?? tk.baseAddress!, v.baseAddress ?? tv.baseAddress!, count: n,
                                                   tmpKeys: tk.baseAddress!, tmpValues: tv.baseAddress!, threads: threads)
                                }
                            }
                        }
                    }
                    XCTAssertEqual(keys, expected.map(\.element), "\(name) n=\(n) threads=\(threads)")
                    XCTAssertEqual(values, expected.map { Int64($0.offset) }, "stability: \(name) n=\(n) threads=\(threads)")
                }
                // Keys only.
                var keys = input
                var tmp = [UInt64](repeating: 0, count: max(n, 1))
                keys.withUnsafeMutableBufferPointer { k in
                    tmp.withUnsafeMutableBufferPointer { t in
                        RadixSort.sort(k.baseAddress ?? t.baseAddress!, nil, count: n, tmpKeys: t.baseAddress!, tmpValues: nil)
                    }
                }
                XCTAssertEqual(keys, input.sorted(), "keys only: \(name) n=\(n)")
            }
        }
    }
}

final class TokenInternerTests: XCTestCase {
    /// Tokens of 0–24 bytes (so both inline slots, ≤ 8 bytes, and arena slots), with NUL bytes
    /// and prefixes of one another ("ab" vs "ab\0"), 60,000 distinct so the table grows many
    /// times; looked up one by one and in batches that point into a shared text.
    func testAgreesWithADictionaryThroughGrowthAndBatches() {
        var state: UInt64 = 3
        func next() -> Int { state = state &* 6364136223846793005 &+ 1442695040888963407; return Int(state >> 33) }
        var vocabulary: [[UInt8]] = [Array("ab".utf8), Array("ab".utf8) + [0], [0], [0, 0], Array("abcdefgh".utf8), Array("abcdefghi".utf8),
                                     Array("abcdefgh".utf8) + [0]]
        for _ in 0..<60_000 {
            let length = next() % 25
            vocabulary.append((0..<length).map { _ in UInt8([0, 97, 98, 200][next() % 4] + UInt8(next() % 3)) })
        }
        let interner = TokenInterner()
        var ids: [[UInt8]: UInt32] = [:], counts: [[UInt8]: Int64] = [:]
        for (i, special) in TokenInterner.specials.enumerated() { ids[Array(special.utf8)] = UInt32(i) }
        // One by one.
        for _ in 0..<100_000 {
            let token = vocabulary[next() % vocabulary.count]
            let id = token.withUnsafeBufferPointer { interner.intern($0) }
            if let known = ids[token] { XCTAssertEqual(id, known) } else { ids[token] = id }
            counts[token, default: 0] += 1
        }
        // Batches of 256 tokens pointing into one text buffer.
        let batch = (0..<256).map { _ in vocabulary[next() % vocabulary.count] }
        let text = batch.flatMap { $0 }
        var result = [UInt32](repeating: 0, count: 256), hashes = [UInt64](repeating: 0, count: 256)
        text.withUnsafeBufferPointer { t in
            var offset = 0
            var pointers: [UnsafePointer<UInt8>] = [], lengths: [Int32] = []
            for token in batch { pointers.append((t.baseAddress ?? UnsafePointer(bitPattern: 1)!) + offset); lengths.append(Int32(token.count)); offset += token.count }
            interner.internBatch(pointers, lengths: lengths, count: 256, hashes: &hashes, into: &result)
        }
        for (token, id) in zip(batch, result) {
            if let known = ids[token] { XCTAssertEqual(id, known) } else { ids[token] = id }
            counts[token, default: 0] += 1
        }
        XCTAssertEqual(interner.count, ids.count)
        let occurrences = interner.occurrences
        for (token, id) in ids {
            XCTAssertEqual(Array(interner.bytes(of: Int(id))), token)
            XCTAssertEqual(occurrences[Int(id)], counts[token] ?? 0, "occurrences of \(token)")
        }
    }

    /// Decreasing count, ties by bytes, also when tokens share their first 16 bytes or more.
    func testVocabularyOrderByCountThenBytes() {
        let interner = TokenInterner()
        let tokens = ["b", "a", "https://example.org/x", "https://example.org/w", "https://example.org/xy",
                      "https://example.org/", "aaaaaaaaaaaaaaaab", "aaaaaaaaaaaaaaaa", "aaaaaaaaaaaaaaaa\u{0}", "zz", "é", "e"]
        // Ties inside the URL group and inside the group sharing 16 bytes of "a".
        let tokenCounts = [2, 2, 1, 1, 1, 1, 3, 3, 3, 2, 1, 1]
        var counts: [String: Int] = [:]
        for (token, count) in zip(tokens, tokenCounts) {
            counts[token] = count
            var bytes = Array(token.utf8)
            for _ in 0..<count { _ = bytes.withUnsafeMutableBufferPointer { interner.intern(UnsafeBufferPointer($0)) } }
        }
        let ids = Array(TokenInterner.specials.count..<interner.count)
        let ordered = DataSetBuilder.tokensByFrequency(ids, occurrences: interner.occurrences, interner: interner).map(interner.string(of:))
        let expected = tokens.sorted { a, b in
            counts[a]! != counts[b]! ? counts[a]! > counts[b]! : Array(a.utf8).lexicographicallyPrecedes(Array(b.utf8))
        }
        XCTAssertEqual(ordered, expected)
    }

    /// Thousands of tokens in few count classes, sharing prefixes of 0 to 30 bytes, some ending in
    /// NUL bytes (equal zero-padded words, different tokens): the order equals a plain sort by
    /// (count descending, bytes).
    func testVocabularyOrderOfManyTiesMatchesAPlainSort() {
        var state: UInt64 = 5
        func next(_ bound: Int) -> Int { state = state &* 6364136223846793005 &+ 1442695040888963407; return Int(state >> 33) % bound }
        let prefixes: [[UInt8]] = [[], Array("https://example.org/".utf8), Array("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".utf8), Array("é".utf8)]
        let alphabet: [UInt8] = [0x61, 0x62, 0x00, 0xC3, 0xA9]
        var counts: [[UInt8]: Int] = [:]
        while counts.count < 4000 {
            let token = prefixes[next(prefixes.count)] + (0..<next(12)).map { _ in alphabet[next(alphabet.count)] }
            if !token.isEmpty && counts[token] == nil { counts[token] = 1 + next(3) }
        }
        let interner = TokenInterner()
        for (token, count) in counts {
            var bytes = token
            for _ in 0..<count { _ = bytes.withUnsafeMutableBufferPointer { interner.intern(UnsafeBufferPointer($0)) } }
        }
        let ids = Array(TokenInterner.specials.count..<interner.count)
        let ordered = DataSetBuilder.tokensByFrequency(ids, occurrences: interner.occurrences, interner: interner)
            .map { Array(interner.bytes(of: $0)) }
        let expected = counts.keys.sorted { a, b in counts[a]! != counts[b]! ? counts[a]! > counts[b]! : a.lexicographicallyPrecedes(b) }
        XCTAssertEqual(ordered.count, expected.count)
        XCTAssertTrue(ordered == expected, "first difference at \((0..<min(ordered.count, expected.count)).first { ordered[$0] != expected[$0] } ?? -1)")
    }
}

/// Whole-chunk whitespace tokenization (64-byte masks) against an independent line-by-line count.
final class WhitespaceLinesTests: XCTestCase {
    /// Random text with every ASCII whitespace byte, CRLF and empty lines, tokens of up to 150
    /// bytes (so they cross 64-byte blocks) and non-ASCII letters, fed in pieces of several sizes:
    /// the bigram counts equal those of splitting lines and tokens with the standard library.
    func testMatchesIndependentSplitForAnyPieceSize() throws {
        var state: UInt64 = 11
        func next(_ bound: Int) -> Int { state = state &* 6364136223846793005 &+ 1442695040888963407; return Int(state >> 33) % bound }
        let letters = Array("abcdéß語".unicodeScalars).map(String.init)
        let spaces = [" ", " ", " ", "\t", "\u{0B}", "\u{0C}", "\r", "  "]
        var text = ""
        for _ in 0..<3000 {
            for _ in 0..<next(9) {
                if next(2) == 0 { text += spaces[next(spaces.count)] }
                let length = next(10) == 0 ? 1 + next(150) : 1 + next(6)
                for _ in 0..<length { text += letters[next(letters.count)] }
                text += spaces[next(spaces.count)]
            }
            text += next(4) == 0 ? "\r\n" : "\n"
        }
        text += "last line without newline"
        // Reference: byte lines, then tokens split on the six ASCII whitespace bytes.
        var expected: [String: Int] = [:]
        let whitespace: Set<UInt8> = [0x20, 0x09, 0x0A, 0x0B, 0x0C, 0x0D]
        for line in Array(text.utf8).split(separator: 0x0A, omittingEmptySubsequences: false) {
            let tokens = line.split(whereSeparator: { whitespace.contains($0) }).map { String(decoding: $0, as: UTF8.self) }
            guard !tokens.isEmpty else { continue }
            for (previous, token) in zip(["<s>"] + tokens, tokens + ["</s>"]) { expected["\(previous) \(token)", default: 0] += 1 }
        }
        let bytes = Array(text.utf8)
        for piece in [7, 64, 1000, 1 << 20] {
            var o = IngestOptions(); o.tokenizer = .whitespace; o.order = 2
            var p = try TextProcessor(options: o, boundary: .line, interner: TokenInterner(),
                                      sequences: SequenceCounter(contextLength: 1, padded: true))
            bytes.withUnsafeBufferPointer { all in
                var i = 0
                while i < all.count { let j = min(i + piece, all.count); p.feed(UnsafeBufferPointer(rebasing: all[i..<j])); i = j }
            }
            p.endDocument()
            let d = DataSetBuilder.build(interner: p.interner, sequences: p.sequences, optionsJSON: "{}", maxVocabulary: nil, minCount: 1)
            var got: [String: Int] = [:]
            let v = d.vocabulary!, ctx = d.contexts!
            for j in 0..<d.contextCount {
                for e in d.rowOffsets[j]..<d.rowOffsets[j + 1] { got["\(v[Int(ctx[j])]) \(v[Int(d.columns[e])])"] = Int(d.counts[e]) }
            }
            XCTAssertEqual(got.count, expected.count, "piece \(piece)")
            XCTAssertTrue(got == expected, "piece \(piece): first difference at \(expected.first { got[$0.key] != $0.value }?.key ?? "an extra bigram")")
        }
    }
}
