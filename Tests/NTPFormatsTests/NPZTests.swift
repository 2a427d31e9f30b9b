import Foundation
import XCTest
@testable import NTPFormats

final class NPZTests: TempDirTestCase {
    /// 3 × 4 counts [[0,2,0,1],[0,0,0,0],[3,0,5,0]] with vocabulary, bigram contexts and options.
    let sample = DataSet(contextCount: 3, vocabularySize: 4, rowOffsets: [0, 2, 2, 4], columns: [1, 3, 0, 2],
                         counts: [2, 1, 3, 5], vocabulary: ["the", "cat", "naïve", "日本"], contexts: [0, 1, 3],
                         contextLength: 1, optionsJSON: "{\"order\": 2}")

    func testScipyAndNumpyReadOurDataSet() throws {
        try sample.writeNPZ(to: path("d.npz"))
        let out = try python("""
        import numpy as np, scipy.sparse as sp, zipfile
        m = sp.load_npz('d.npz')
        z = np.load('d.npz')
        print(type(m).__name__, m.format, m.shape, m.toarray().tolist(), m.dtype)
        print(z['vocab'].tolist(), z['vocab'].dtype.str, z['contexts'].tolist(), z['contexts'].dtype.str, z['options'][()])
        print(zipfile.ZipFile('d.npz').namelist(), [z[k].dtype.str for k in ['indices', 'indptr', 'format', 'shape', 'data']])
        print(zipfile.ZipFile('d.npz').testzip(), [i.date_time for i in zipfile.ZipFile('d.npz').infolist()][0])
        """)
        XCTAssertEqual(out, """
        csr_matrix csr (3, 4) [[0, 2, 0, 1], [0, 0, 0, 0], [3, 0, 5, 0]] int64
        ['the', 'cat', 'naïve', '日本'] <U5 [[0], [1], [3]] <i4 {"order": 2}
        ['indices.npy', 'indptr.npy', 'format.npy', 'shape.npy', 'data.npy', 'vocab.npy', 'contexts.npy', 'options.npy', 'format_version.npy'] ['<i4', '<i4', '|S3', '<i8', '<i8']
        None (1980, 1, 1, 0, 0, 0)
        """)
        XCTAssertEqual(try DataSet(contentsOfNPZ: path("d.npz")), sample)
        // Deterministic: the same data set gives the same bytes.
        try sample.writeNPZ(to: path("e.npz"))
        XCTAssertEqual(try bytes("d.npz"), try bytes("e.npz"))
        // Member order is kept.
        XCTAssertEqual(try NPZArchive.readOrdered(path: path("d.npz")).map(\.0),
                       ["indices", "indptr", "format", "shape", "data", "vocab", "contexts", "options", "format_version"])
    }

    func testFloatCountsAndNoExtras() throws {
        let d = DataSet(contextCount: 2, vocabularySize: 3, rowOffsets: [0, 1, 3], columns: [2, 0, 1], counts: [0.5, 1, 2.25])
        try d.writeNPZ(to: path("f.npz"))
        let out = try python("""
        import numpy as np, scipy.sparse as sp
        print(sp.load_npz('f.npz').toarray().tolist(), sorted(np.load('f.npz').files), np.load('f.npz')['data'].dtype.str)
        """)
        XCTAssertEqual(out, "[[0.0, 0.0, 0.5], [1.0, 2.25, 0.0]] ['data', 'format', 'format_version', 'indices', 'indptr', 'shape'] <f8")
        XCTAssertEqual(try DataSet(contentsOfNPZ: path("f.npz")), d)
    }

    /// Arrays of several MiB are written from their own storage in pieces: the file equals, byte for
    /// byte, the same members copied into `NPYArray`s first, and numpy reads the values back.
    func testLargeMembersWrittenInPiecesEqualCopiedArrays() throws {
        let m = 150_000, pairs = 2 * m
        let offsets = (0...m).map { 2 * $0 }
        var columns = [Int32](repeating: 0, count: pairs)
        for row in 0..<m { columns[2 * row + 1] = Int32(1 + row % 6) }
        let counts = (0..<pairs).map { Double(1 + $0 % 1000) }
        let contexts = (0..<m).map { Int32($0 % 7) }
        let d = DataSet(contextCount: m, vocabularySize: 7, rowOffsets: offsets, columns: columns, counts: counts,
                        contexts: contexts, contextLength: 1)
        try d.writeNPZ(to: path("pieces.npz"))
        let version = FormatVersion.member(DataSet.formatVersion)
        var copied: [(String, NPYArray)] = [("indices", NPYArray(int32: columns, shape: [pairs]))]
        copied.append(("indptr", NPYArray(int32: offsets.map { Int32($0) }, shape: [m + 1])))
        copied.append(("format", NPYArray(bytesString: "csr")))
        copied.append(("shape", NPYArray(int64: [Int64(m), 7], shape: [2])))
        copied.append(("data", NPYArray(int64: counts.map { Int64($0) }, shape: [pairs])))
        copied.append(("contexts", NPYArray(int32: contexts, shape: [m, 1])))
        copied.append(version)
        try NPZArchive.write(copied, to: path("copied.npz"))
        XCTAssertEqual(try bytes("pieces.npz"), try bytes("copied.npz"))
        let out = try python("""
        import numpy as np, scipy.sparse as sp
        a = sp.load_npz('pieces.npz'); z = np.load('pieces.npz')
        print(a.shape, int(a.sum()), int(a.indptr[-1]), int(a.indices[-1]), int(z['contexts'][-1, 0]), a.data.dtype.str)
        """)
        // Σ counts = 300 passes over 1…1000.
        XCTAssertEqual(out, "(150000, 7) 150150000 300000 \(columns[pairs - 1]) \((m - 1) % 7) <i8")
    }

    /// Every scipy layout converts to the same CSR (sorted columns); a pair stored twice is refused.
    func testReadScipyFiles() throws {
        try python("""
        import numpy as np, scipy.sparse as sp
        dense = np.array([[0, 2, 0, 1.5], [0, 0, 0, 0], [3, 0, 5, 0]])
        for comp in (False, True):
            for fmt in ('csr', 'csc', 'coo'):
                for it in ('int32', 'int64'):
                    m = sp.csr_matrix(dense).asformat(fmt)
                    if fmt == 'coo':
                        m.row = m.row.astype(it); m.col = m.col.astype(it)
                    else:
                        m.indices = m.indices.astype(it); m.indptr = m.indptr.astype(it)
                    sp.save_npz(f'{fmt}_{it}_{int(comp)}.npz', m, compressed=comp)
        # Unsorted coo with duplicates and float32 data; a sparse array (extra _is_array member).
        c = sp.coo_matrix((np.array([0.5, 2, 3, 1, 5], dtype='float32'), ([0, 0, 2, 0, 2], [3, 1, 0, 3, 2])), shape=(3, 4))
        sp.save_npz('dup.npz', c, compressed=False)
        sp.save_npz('arr.npz', sp.csr_array(dense))
        # csr with unsorted indices.
        u = sp.csr_matrix((np.array([1.5, 2, 5, 3]), np.array([3, 1, 2, 0]), np.array([0, 2, 2, 4])), shape=(3, 4))
        sp.save_npz('unsorted.npz', u)
        sp.save_npz('bsr.npz', sp.bsr_matrix(dense))
        """)
        let expected = DataSet(contextCount: 3, vocabularySize: 4, rowOffsets: [0, 2, 2, 4], columns: [1, 3, 0, 2], counts: [2, 1.5, 3, 5])
        var names = ["arr.npz", "unsorted.npz"]
        for c in 0...1 { for f in ["csr", "csc", "coo"] { for t in ["int32", "int64"] { names.append("\(f)_\(t)_\(c).npz") } } }
        for n in names { XCTAssertEqual(try DataSet(contentsOfNPZ: path(n)), expected, n) }
        // scipy would sum the two counts of (0, 3); a data set has one count per pair.
        XCTAssertEqual(errorText { _ = try DataSet(contentsOfNPZ: path("dup.npz")) },
                       "\(path("dup.npz")): positions 0 and 3 of 'row/col' both store a count for row 0, column 3 (call .sum_duplicates() before save_npz); the file is corrupt: write it again (ntpsep ingest/synth, or scipy.sparse.save_npz of a canonical matrix)")
        XCTAssertEqual(errorText { _ = try DataSet(contentsOfNPZ: path("bsr.npz")) },
                       "\(path("bsr.npz")): sparse format 'bsr' is not supported; convert with .tocsr() before save_npz")
    }

    func testRejectsBadFiles() throws {
        try python("""
        import numpy as np, scipy.sparse as sp
        sp.save_npz('neg.npz', sp.csr_matrix(np.array([[1, -2]])))
        sp.save_npz('nan.npz', sp.csr_matrix(np.array([[1, np.nan]])))
        np.savez('nokeys.npz', a=np.arange(3))
        np.savez('badvocab.npz', indices=np.array([0], 'i4'), indptr=np.array([0, 1], 'i4'), format=b'csr',
                 shape=np.array([1, 2]), data=np.array([1]), vocab=np.array(['only-one']))
        np.savez('badptr.npz', indices=np.array([0], 'i4'), indptr=np.array([0, 1, 1], 'i4'), format=b'csr',
                 shape=np.array([1, 2]), data=np.array([1]))
        np.savez('badidx.npz', indices=np.array([5], 'i4'), indptr=np.array([0, 1], 'i4'), format=b'csr',
                 shape=np.array([1, 2]), data=np.array([1]))
        ok = dict(indices=np.array([0], 'i4'), indptr=np.array([0, 1], 'i4'), format=b'csr', shape=np.array([1, 2]), data=np.array([1]))
        np.savez('textoptions.npz', options=np.array('order=3, tokenizer=icu'), **ok)
        np.savez('listoptions.npz', options=np.array('[3, "icu"]'), **ok)
        np.savez('dictoptions.npz', options=np.array('{"order": 3}'), **ok)
        np.savez('nuloptions.npz', options=np.array('{"order": 3}\\x00x\\ny'), **ok)
        """)
        let corruptAdvice = "; the file is corrupt: write it again (ntpsep ingest/synth, or scipy.sparse.save_npz of a canonical matrix)"
        let cases: [(String, String)] = [
            ("neg.npz", "'data'[1] = -2.0 is not a count: counts must be positive, finite and below 2^53 (drop zeros with .eliminate_zeros(), rescale large weights)" + corruptAdvice),
            ("nan.npz", "'data'[1] = nan is not a count: counts must be positive, finite and below 2^53 (drop zeros with .eliminate_zeros(), rescale large weights)" + corruptAdvice),
            ("nokeys.npz", "missing array 'format' (expected a scipy.sparse.save_npz file; has a)"),
            ("badvocab.npz", "invalid data set: vocab has 1 entry but the matrix has 2 columns"),
            ("badptr.npz", "'indptr' has 3 entries, expected 2 for shape (1, 2) csr"),
            ("badidx.npz", "index 5 out of range 0..<2 at position 0 of 'indices'" + corruptAdvice),
            ("textoptions.npz", "member 'options' is not a JSON object that ntpsep can read (\"order=3, tokenizer=icu\"); store json.dumps(a dict) there, or leave the member out"),
            ("listoptions.npz", "member 'options' is not a JSON object that ntpsep can read (\"[3, \"icu\"]\"); store json.dumps(a dict) there, or leave the member out"),
            ("nuloptions.npz", "member 'options' is not a JSON object that ntpsep can read (\"{\"order\": 3}\\u{0}x\\u{a}y\"); store json.dumps(a dict) there, or leave the member out"),
        ]
        for (n, msg) in cases {
            XCTAssertEqual(errorText { _ = try DataSet(contentsOfNPZ: path(n)) }, "\(path(n)): \(msg)")
        }
        XCTAssertEqual(try DataSet(contentsOfNPZ: path("dictoptions.npz")).optionsJSON, "{\"order\": 3}")
        // Not a zip; a truncated zip; a nonexistent file.
        try write("text.npz", Array("just some text".utf8))
        XCTAssertEqual(errorText { _ = try DataSet(contentsOfNPZ: path("text.npz")) },
                       "\(path("text.npz")): not a zip archive (no end-of-central-directory record); expected an .npz (zip) archive as written by numpy/scipy or ntpsep")
        try sample.writeNPZ(to: path("ok.npz"))
        let whole = try bytes("ok.npz")
        try write("trunc.npz", Array(whole[0..<(whole.count / 2)]))
        XCTAssertEqual(errorText { _ = try DataSet(contentsOfNPZ: path("trunc.npz")) },
                       "\(path("trunc.npz")): truncated zip archive (no end-of-central-directory record, file has \(whole.count / 2) bytes); expected an .npz (zip) archive as written by numpy/scipy or ntpsep")
        XCTAssertEqual(errorText { _ = try DataSet(contentsOfNPZ: path("none.npz")) },
                       "cannot read \(path("none.npz")): No such file or directory")
        // A flipped payload byte is caught by the CRC.
        var corrupt = whole
        corrupt[30 + 11 + 128 + 4] ^= 0xff // second entry of 'indices'
        try write("crc.npz", corrupt)
        XCTAssertEqual(errorText { _ = try NPZArchive.read(path: path("crc.npz")) },
                       "\(path("crc.npz")): member 'indices.npy': CRC-32 mismatch (data corrupt) at byte 41; expected an .npz (zip) archive as written by numpy/scipy or ntpsep")
    }

    /// A flipped bit inside a deflated string member mostly breaks a string or the header before the CRC is
    /// reached; the error names the CRC mismatch as for stored members, with the member's offset (QA round 21: "string
    /// 8121 holds an invalid code point"). Python finds the member's data offset and flips one bit of each kind.
    func testDamageInADeflatedStringMemberIsNamedByItsCRC() throws {
        let start = try python("""
        import numpy as np, zipfile
        words = np.array(['w%d' % (i * 7919 % 100003) for i in range(20000)])
        np.savez_compressed('s.npz', vocab=words)
        info = zipfile.ZipFile('s.npz').getinfo('vocab.npy')
        raw = bytearray(open('s.npz', 'rb').read())
        start = info.header_offset + 30 + int.from_bytes(raw[info.header_offset + 26:info.header_offset + 28], 'little') \\
            + int.from_bytes(raw[info.header_offset + 28:info.header_offset + 30], 'little')
        for i, where in enumerate([info.compress_size // 2, info.compress_size // 3, 40]):
            bad = bytearray(raw); bad[start + where] ^= 0x10
            open('flip%d.npz' % i, 'wb').write(bad)
        print(start)
        """).trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertEqual(try NPZArchive.read(path: path("s.npz"), decodingStrings: true)["vocab"]?.strings().count, 20000)
        for i in 0..<3 {
            let file = path("flip\(i).npz")
            XCTAssertEqual(errorText { _ = try NPZArchive.read(path: file, decodingStrings: true) },
                           "\(file): member 'vocab.npy': CRC-32 mismatch (data corrupt) at byte \(start); expected an .npz (zip) archive as written by numpy/scipy or ntpsep")
        }
    }

    /// np.savez_compressed (deflate, data descriptors from zipfile streaming) and ZIP64 extras.
    func testGenericArchiveRead() throws {
        try python("""
        import numpy as np
        np.savez_compressed('c.npz', x=np.arange(10000, dtype='<i8') % 7, s=np.array(['a', 'bb']), e=np.zeros((0, 3)))
        """)
        let d = try NPZArchive.read(path: path("c.npz"))
        XCTAssertEqual(Set(d.keys), ["x", "s", "e"])
        XCTAssertEqual(try d["x"]!.int64s(), (0..<10000).map { Int64($0 % 7) })
        XCTAssertEqual(try d["s"]!.strings(), ["a", "bb"])
        XCTAssertEqual(d["e"]!.shape, [0, 3])
        // Written to a non-seekable stream: zipfile then uses data descriptors (flag bit 3, zero
        // sizes in local headers) and ZIP64 extras in the local headers.
        try python("""
        import numpy as np, zipfile, io
        class Stream(io.RawIOBase):
            def __init__(self, f): self.f = f
            def writable(self): return True
            def write(self, b): return self.f.write(b)
        with open('dd.npz', 'wb') as f, zipfile.ZipFile(Stream(f), 'w', compression=zipfile.ZIP_DEFLATED) as z:
            with z.open('y.npy', 'w', force_zip64=True) as m:
                np.lib.format.write_array(m, np.array([[1, 2], [3, 4]], dtype='>i2'))
            z.writestr('readme.txt', 'ignored')
        assert zipfile.ZipFile('dd.npz').infolist()[0].flag_bits & 8
        """)
        let dd = try NPZArchive.readOrdered(path: path("dd.npz"))
        XCTAssertEqual(dd.map(\.0), ["y"])
        XCTAssertEqual(try dd[0].1.int64s(), [1, 2, 3, 4])
        // Our writer round-trips arbitrary members, and numpy reads them.
        try NPZArchive.write([("b", NPYArray(doubles: [1, 2, 3, 4], shape: [2, 2], fortranOrder: true)), ("a", NPYArray(bytesString: "hi"))], to: path("w.npz"))
        XCTAssertEqual(try python("import numpy as np; z = np.load('w.npz'); print(z.files, z['b'].tolist(), z['a'][()])"),
                       "['b', 'a'] [[1.0, 3.0], [2.0, 4.0]] b'hi'")
    }

    /// Unicode string members are deflated (numpy pads every string to the longest), the others
    /// stored; numpy and our reader get the same arrays back.
    func testStringMembersAreDeflated() throws {
        let words = ["<s>", "a", "naïve", String(repeating: "long", count: 100)]
        try NPZArchive.write([("vocab", NPYArray(strings: words, shape: [4])), ("n", NPYArray(int32: [1, 2], shape: [2]))],
                             to: path("s.npz"))
        XCTAssertEqual(try python("""
            import numpy as np, zipfile
            print([(i.filename, i.compress_type, i.compress_size < i.file_size) for i in zipfile.ZipFile('s.npz').infolist()])
            z = np.load('s.npz'); print(z['vocab'].dtype.str, [len(w) for w in z['vocab']], z['vocab'][2], z['n'].tolist())
            """), "[('vocab.npy', 8, True), ('n.npy', 0, False)]\n<U400 [3, 1, 5, 400] naïve [1, 2]")
        let back = try NPZArchive.read(path: path("s.npz"))
        XCTAssertEqual(try back["vocab"]?.strings(), words)
        XCTAssertEqual(try back["n"]?.int64s(), [1, 2])
    }

    /// 65 536 members (the minimum) force the ZIP64 end-of-central-directory records, both ways.
    func testZip64EndRecords() throws {
        let n = 65_536
        let members = (0..<n).map { ("m\($0)", NPYArray(int32: [Int32($0)], shape: [1])) }
        try NPZArchive.write(members, to: path("many.npz"))
        XCTAssertEqual(try python("""
        import numpy as np, zipfile, io
        z = zipfile.ZipFile('many.npz')
        print(len(z.namelist()), np.load(io.BytesIO(z.read('m0.npy'))).tolist(), np.load(io.BytesIO(z.read('m65535.npy'))).tolist())
        b = io.BytesIO(); np.save(b, np.array([7], dtype='<i8'))
        with zipfile.ZipFile('theirs.npz', 'w') as w:
            for i in range(65536): w.writestr(f'k{i}.npy', b.getvalue())
        """), "65536 [0] [65535]")
        let ours = try NPZArchive.readOrdered(path: path("many.npz"))
        XCTAssertEqual(ours.count, n)
        XCTAssertEqual(ours.last?.0, "m65535")
        let theirs = try NPZArchive.read(path: path("theirs.npz"))
        XCTAssertEqual(theirs.count, n)
        XCTAssertEqual(try theirs["k65535"]?.int64s(), [7])
        // The ZIP64 record is really there: signature 0x06064b50 before locator and EOCD.
        let b = try bytes("many.npz")
        XCTAssertEqual(Array(b[(b.count - 22 - 20 - 56)..<(b.count - 22 - 20 - 52)]), [0x50, 0x4b, 0x06, 0x06])
    }
}
