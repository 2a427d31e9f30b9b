import Foundation
import XCTest
@testable import NTPFormats

/// Each invariant of a data set .npz broken once, by numpy, on the 3 × 4 matrix
/// [[0,2,0,1],[0,0,0,0],[3,0,5,0]] (indptr [0,2,2,4], indices [1,3,0,2], data [2,1,3,5],
/// contexts [[0],[1],[3]]): the loader refuses each with one line naming member and position.
final class CorruptDataSetTests: TempDirTestCase {
    let corrupt = "; the file is corrupt: write it again (ntpsep ingest/synth, or scipy.sparse.save_npz of a canonical matrix)"
    let notACount = " is not a count: counts must be positive, finite and below 2^53 (drop zeros with .eliminate_zeros(), rescale large weights)"

    /// Writes NAME.npz from the good members with `changes` (Python keyword arguments) applied.
    func craft(_ cases: [(String, String)]) throws {
        var code = """
        import numpy as np
        def save(name, **changes):
            m = dict(indices=np.array([1, 3, 0, 2], 'i4'), indptr=np.array([0, 2, 2, 4], 'i4'), format=np.array(b'csr'),
                     shape=np.array([3, 4]), data=np.array([2, 1, 3, 5]), contexts=np.array([[0], [1], [3]], 'i4'))
            m.update(changes)
            np.savez(name + '.npz', **{k: v for k, v in m.items() if v is not None})

        """
        for (name, changes) in cases { code += "save('\(name)', \(changes))\n" }
        try python(code)
    }

    func loadError(_ name: String) -> String? {
        errorText { _ = try DataSet(contentsOfNPZ: path(name + ".npz")) }
    }

    func testEachBrokenInvariantIsOneLineNamingMemberAndPosition() throws {
        let cases: [(String, String, String)] = [
            ("good", "", ""),
            // indptr: shifted by 1000 (the crash of issue 9), not starting at 0, not ending at nnz.
            ("shifted", "indptr=np.array([0, 2, 1002, 4], 'i4')", "'indptr' decreases at position 3 (1002 then 4)" + corrupt),
            ("start", "indptr=np.array([1, 2, 2, 4], 'i4')", "'indptr' must start at 0 and end at nnz = 4, found 1…4" + corrupt),
            ("end", "indptr=np.array([0, 2, 2, 3], 'i4')", "'indptr' must start at 0 and end at nnz = 4, found 0…3" + corrupt),
            ("ptrlen", "indptr=np.array([0, 2, 4], 'i4')", "'indptr' has 3 entries, expected 4 for shape (3, 4) csr"),
            // indices: out of range both ways, repeated within a row.
            ("high", "indices=np.array([1, 3, 0, 4], 'i4')", "index 4 out of range 0..<4 at position 3 of 'indices'" + corrupt),
            ("negative", "indices=np.array([1, -1, 0, 2], 'i4')", "index -1 out of range 0..<4 at position 1 of 'indices'" + corrupt),
            ("repeated", "indices=np.array([1, 1, 0, 2], 'i4')",
             "positions 0 and 1 of 'indices' both store a count for row 0, column 1 (call .sum_duplicates() before save_npz)" + corrupt),
            // counts: zero, negative, NaN, infinite, 2^62, and a sum reaching 2^53.
            ("zero", "data=np.array([2, 0, 3, 5])", "'data'[1] = 0.0" + notACount + corrupt),
            ("minus", "data=np.array([2, 1, -3, 5])", "'data'[2] = -3.0" + notACount + corrupt),
            ("nan", "data=np.array([2, 1, 3, np.nan])", "'data'[3] = nan" + notACount + corrupt),
            ("inf", "data=np.array([np.inf, 1, 3, 5])", "'data'[0] = inf" + notACount + corrupt),
            ("huge", "data=np.array([2**62, 1, 3, 5])", "'data'[0] = 4.611686018427388e+18" + notACount + corrupt),
            ("sum", "data=np.array([2**52, 2**52 - 8, 4, 4])",
             "the counts in 'data' sum to 9007199254740992.0, at or above 2^53, so totals would not be exact in float64 (rescale the weights)" + corrupt),
            // contexts: ids outside 0..<V, wrong row count.
            ("ctxhigh", "contexts=np.array([[0], [1], [4]], 'i4')", "'contexts' holds token id 4 at row 2, position 0, outside the vocabulary 0..<4" + corrupt),
            ("ctxneg", "contexts=np.array([[0, 0], [0, -5], [3, 3]], 'i8')", "'contexts' holds token id -5 at row 1, position 1, outside the vocabulary 0..<4" + corrupt),
            ("ctxrows", "contexts=np.array([[0], [1]], 'i4')", "'contexts' must have shape (3, N−1), found [2, 1]"),
            ("nodata", "indices=np.array([], 'i4'), indptr=np.array([0, 0, 0, 0], 'i4'), data=np.array([], 'i8'), contexts=None",
             "holds no counts ('data' is empty), so there is nothing to analyze; ingest a corpus with at least one token"),
            // shape and version.
            ("shape", "shape=np.array([3, -4])", "member 'shape' must hold two non-negative numbers, found [3, -4]"),
            ("newer", "format_version=np.array(99)", "data set format version 99 is newer than this ntpsep reads (up to 2); upgrade ntpsep to read it"),
            ("badversion", "format_version=np.array([1, 2])", "'format_version' must be one positive integer, found [1, 2] of shape [2]"),
            ("v1", "format_version=np.array(1)", ""),
            // the unpadded vocabulary pair.
            ("vocabok", "vocab_utf8=np.frombuffer('abcnaïve'.encode(), 'u1'), vocab_offsets=np.array([0, 1, 2, 3, 9])", ""),
            ("vocaboff", "vocab_utf8=np.frombuffer(b'abcd', 'u1'), vocab_offsets=np.array([0, 2, 1, 3, 4])", "'vocab_offsets' decreases at position 2 (2 then 1)" + corrupt),
            ("vocabend", "vocab_utf8=np.frombuffer(b'abcd', 'u1'), vocab_offsets=np.array([0, 1, 2, 3])",
             "'vocab_offsets' must hold V + 1 = 5 offsets from 0 to 4 (the length of 'vocab_utf8'), found 4 ending at 3" + corrupt),
            ("vocabutf", "vocab_utf8=np.frombuffer(b'ab\\xffd', 'u1'), vocab_offsets=np.array([0, 1, 2, 3, 4])",
             "token 2 (bytes 2..<3 of 'vocab_utf8') is not valid UTF-8" + corrupt),
            ("vocabonly", "vocab_offsets=np.array([0, 1, 2, 3, 4])", "missing array 'vocab_utf8' (expected a scipy.sparse.save_npz file; has contexts, data, format, indices, indptr, shape, vocab_offsets)"),
        ]
        try craft(cases.map { ($0.0, $0.1) })
        for (name, _, message) in cases {
            XCTAssertEqual(loadError(name), message.isEmpty ? nil : "\(path(name + ".npz")): \(message)", name)
        }
        let good = DataSet(contextCount: 3, vocabularySize: 4, rowOffsets: [0, 2, 2, 4], columns: [1, 3, 0, 2],
                           counts: [2, 1, 3, 5], contexts: [0, 1, 3], contextLength: 1)
        XCTAssertEqual(try DataSet(contentsOfNPZ: path("good.npz")), good)
        XCTAssertEqual(try DataSet(contentsOfNPZ: path("v1.npz")), good)
        XCTAssertEqual(try DataSet(contentsOfNPZ: path("vocabok.npz")).vocabulary, ["a", "b", "c", "naïve"])
    }

    /// Offsets past the end of `vocab_utf8` are refused before any token is sliced (QA round 11:
    /// [0, …, 6, 100, 8] and [0, …, 6, 9, 8] over 8 bytes trapped in `readVocabulary`), and a
    /// '|S' vocabulary of bytes that are not UTF-8 is refused as `vocab_utf8` is, stored or deflated.
    func testVocabularyOffsetsPastTheBytesAndBadUTF8AreRefused() throws {
        let cases: [(String, String, String)] = [
            ("far", "vocab_utf8=np.frombuffer(b'abcd', 'u1'), vocab_offsets=np.array([0, 1, 2, 100, 4])",
             "'vocab_offsets'[3] = 100 is past the 4 bytes of 'vocab_utf8'" + corrupt),
            ("near", "vocab_utf8=np.frombuffer(b'abcd', 'u1'), vocab_offsets=np.array([0, 1, 2, 5, 4])",
             "'vocab_offsets'[3] = 5 is past the 4 bytes of 'vocab_utf8'" + corrupt),
            ("first", "vocab_utf8=np.frombuffer(b'abcd', 'u1'), vocab_offsets=np.array([0, 9, 2, 3, 4])",
             "'vocab_offsets'[1] = 9 is past the 4 bytes of 'vocab_utf8'" + corrupt),
            ("bytesbad", "vocab=np.array([b'a', b'b', b'\\xff', b'd'])",
             "array 'vocab': string 2 is not valid UTF-8 ('|S' strings are read as UTF-8 bytes; store text as '<U', e.g. np.array(words, dtype=str))"),
            ("bytesok", "vocab=np.array([b'a', b'b', b'c', 'na\u{EF}ve'.encode()])", ""),
        ]
        try craft(cases.map { ($0.0, $0.1) })
        for (name, _, message) in cases {
            XCTAssertEqual(loadError(name), message.isEmpty ? nil : "\(path(name + ".npz")): \(message)", name)
        }
        XCTAssertEqual(try DataSet(contentsOfNPZ: path("bytesok.npz")).vocabulary, ["a", "b", "c", "na\u{EF}ve"])
        // Deflated, the strings are decoded while inflating: the same refusal, naming the member.
        try python("import numpy as np; z = dict(np.load('bytesbad.npz')); np.savez_compressed('deflated.npz', **z)")
        XCTAssertEqual(loadError("deflated"),
                       "\(path("deflated.npz")) member 'vocab.npy': string 2 is not valid UTF-8 ('|S' strings are read as UTF-8 bytes; store text as '<U', e.g. np.array(words, dtype=str))")
    }

    /// A context stored in two rows is refused, naming the first row that repeats an earlier one
    /// (QA round 11: contexts = zeros((20, 2)) loaded, and stats said "m = 20 distinct").
    func testRepeatedContextsAreRefused() throws {
        let tail = "; a data set holds each distinct context once, in one row: sum the rows of equal contexts into one, or write the file again with ntpsep ingest"
        let cases: [(String, String, String)] = [
            ("adjacent", "contexts=np.array([[0], [0], [3]], 'i4')", "rows 0 and 1 have the same context (contexts[0] = contexts[1] = [0])" + tail),
            ("apart", "contexts=np.array([[3], [1], [3]], 'i8')", "rows 0 and 2 have the same context (contexts[0] = contexts[2] = [3])" + tail),
            ("wide", "contexts=np.array([[2, 1], [1, 2], [1, 2]], 'i4')", "rows 1 and 2 have the same context (contexts[1] = contexts[2] = [1, 2])" + tail),
            ("unsorted", "contexts=np.array([[3], [0], [1]], 'i4')", ""),
        ]
        try craft(cases.map { ($0.0, $0.1) })
        for (name, _, message) in cases {
            XCTAssertEqual(loadError(name), message.isEmpty ? nil : "\(path(name + ".npz")): \(message)", name)
        }
        XCTAssertEqual(try DataSet(contentsOfNPZ: path("unsorted.npz")).contexts, [3, 0, 1])
    }

    /// The pair named is the first row that repeats an earlier one, whatever the order of rows.
    func testFirstRepeatedRowIsTheEarliestRepeat() {
        // Rows [5,5] [1,2] [3,3] [1,2] [5,5] [3,3]: repeats at rows 3 (of 1), 4 (of 0) and 5 (of 2).
        XCTAssertEqual(DataSet.firstRepeatedRow([5, 5, 1, 2, 3, 3, 1, 2, 5, 5, 3, 3], width: 2, rows: 6).map { [$0.0, $0.1] }, [1, 3])
        XCTAssertEqual(DataSet.firstRepeatedRow([7, 7, 1, 1, 7, 7, 7, 7], width: 2, rows: 4).map { [$0.0, $0.1] }, [0, 2])
        XCTAssertNil(DataSet.firstRepeatedRow([5, 5, 1, 2, 3, 3, 1, 3], width: 2, rows: 4))
        XCTAssertNil(DataSet.firstRepeatedRow([1, 2, 1, 3, 2, 0], width: 2, rows: 3))
        XCTAssertNil(DataSet.firstRepeatedRow([4], width: 1, rows: 1))
        // Order 1: every row has the empty context, so two rows are one context twice.
        XCTAssertEqual(DataSet.firstRepeatedRow([], width: 0, rows: 2).map { [$0.0, $0.1] }, [0, 1])
        // 100,000 shuffled distinct rows pass; one repeat among them is found.
        var rng = SystemRandomNumberGenerator()
        let rows = (0..<100_000).map { [Int64($0 / 300), Int64($0 % 300)] }.shuffled(using: &rng)
        XCTAssertNil(DataSet.firstRepeatedRow(rows.flatMap { $0 }, width: 2, rows: rows.count))
        var repeated = rows
        repeated[70_000] = rows[40_000]
        XCTAssertEqual(DataSet.firstRepeatedRow(repeated.flatMap { $0 }, width: 2, rows: rows.count).map { [$0.0, $0.1] }, [40_000, 70_000])
    }

    /// A coo matrix of 10^15 empty rows is refused before its row pointer is allocated.
    func testAbsurdRowCountIsRefusedBeforeAllocating() throws {
        try python("""
        import numpy as np
        np.savez('rows.npz', row=np.array([0]), col=np.array([0]), format=np.array(b'coo'), shape=np.array([10**15, 4]), data=np.array([1]))
        """)
        let message = try XCTUnwrap(loadError("rows"))
        XCTAssertTrue(message.hasPrefix("\(path("rows.npz")): a CSR matrix of 1000000000000000 rows needs 14.2 PiB of memory but only "), message)
        XCTAssertTrue(message.hasSuffix(" is available (MemAvailable, or the cgroup limit less its usage); load it on a machine with more memory"), message)
    }

    /// A deflated member whose header claims more than deflate's 1032:1 can produce.
    func testInflatedSizeClaimBeyondDeflateIsRefused() throws {
        try python("""
        import numpy as np, struct
        np.savez_compressed('z.npz', a=np.zeros(10, 'i8'))
        b = bytearray(open('z.npz', 'rb').read())
        cd = b.rfind(b'PK\\x01\\x02')
        b[cd + 24:cd + 28] = struct.pack('<I', 0xfffffff0)
        open('bomb.npz', 'wb').write(b)
        """)
        let message = try XCTUnwrap(errorText { _ = try NPZArchive.read(path: path("bomb.npz")) })
        XCTAssertTrue(message.hasPrefix("\(path("bomb.npz")): member 'a.npy' claims 4294967280 bytes from "), message)
        XCTAssertTrue(message.contains("compressed, beyond deflate's 1032:1 limit (corrupt header)"), message)
    }

    /// One 100,000-character token: the vocabulary is stored unpadded as UTF-8 bytes plus offsets,
    /// numpy decodes it, and it reads back; an ordinary vocabulary stays the '<U' `vocab`.
    func testLongTokenVocabularyIsStoredUnpadded() throws {
        let long = String(repeating: "é", count: 100_000)
        let words = ["<s>", "a", long] + (0..<997).map { "w\($0)" }
        let d = DataSet(contextCount: 1, vocabularySize: words.count, rowOffsets: [0, 2], columns: [1, 2], counts: [1, 1],
                        vocabulary: words)
        try d.writeNPZ(to: path("long.npz"))
        XCTAssertEqual(try DataSet(contentsOfNPZ: path("long.npz")), d)
        let out = try python("""
        import numpy as np
        z = np.load('long.npz')
        b, o = z['vocab_utf8'], z['vocab_offsets']
        words = [b[o[i]:o[i + 1]].tobytes().decode() for i in range(len(o) - 1)]
        print(sorted(z.files), b.dtype.str, len(b), len(words), len(words[2]), words[:2], words[-1], int(z['format_version']))
        """)
        // UTF-8 bytes: 3 + 1 + 200,000 + Σ len("w0"…"w996") = 10·2 + 90·3 + 897·4 = 3,878.
        XCTAssertEqual(out, "['data', 'format', 'format_version', 'indices', 'indptr', 'shape', 'vocab_offsets', 'vocab_utf8'] |u1 203882 1000 100000 ['<s>', 'a'] w996 2")
        let size = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: path("long.npz"))[.size] as? Int)
        XCTAssertLessThan(size, 300_000) // '<U100000' × 1000 would be 400 MB before deflate
        let short = DataSet(contextCount: 1, vocabularySize: 3, rowOffsets: [0, 1], columns: [1], counts: [1], vocabulary: ["<s>", "a", "bb"])
        try short.writeNPZ(to: path("short.npz"))
        XCTAssertEqual(try NPZArchive.read(path: path("short.npz"))["vocab"]?.descr, "<U3")
    }
}
