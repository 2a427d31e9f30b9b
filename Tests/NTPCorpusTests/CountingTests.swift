import XCTest
import TestSupport
@testable import NTPCorpus
import NTPFormats

final class CountingTests: XCTestCase {
    // "a b a" / "b a": hand-counted bigram events with <s> … </s> padding.
    func testBigramLinesHandCounted() throws {
        let d = try ingest([temporaryFile("a b a\nb a\n")]) { $0.order = 2 }
        XCTAssertEqual(d.vocabulary!, ["<s>", "</s>", "a", "b"])
        XCTAssertEqual(rows(d), ["<s> -> a:1 b:1", "a -> </s>:2 b:1", "b -> a:2"])
        XCTAssertEqual(d.eventCount, 7)
        // 𝓗 = 2/7·ln 2 + 3/7·(ln 3 − 2/3·ln 2) + 0 = 3/7·ln 3.
        XCTAssertEqual(d.entropy(), 3.0 / 7.0 * log(3.0), accuracy: 1e-15)
        XCTAssertNoThrow(try d.validate())
    }

    /// One line of 20 MiB, longer than the 16 MiB a line may carry across reads (text8 is one line):
    /// it is processed in pieces cut at whitespace, so no word is split (QA round 8: `lor`, `do`). By
    /// hand: 5 words repeated n times give 5n + 1 events (with `</s>`), V = 7 with `<s>` and `</s>`.
    func testALineLongerThanTheCarryKeepsItsWords() throws {
        let phrase = Array("lorem ipsum dolor sit amet ".utf8)
        let n = (20 << 20) / phrase.count
        let path = temporaryFile(Array([[UInt8]](repeating: phrase, count: n).joined()) + [0x0A])
        // A sentence that long is cut the same way (and segmented a bounded number of times).
        let cases: [(IngestOptions.Tokenizer, IngestOptions.Boundary)] = [(.whitespace, .line), (.icu, .line), (.whitespace, .sentence)]
        for (tokenizer, boundary) in cases {
            do {
                let d = try ingest([path]) { $0.tokenizer = tokenizer; $0.order = 2; $0.boundary = boundary }
                XCTAssertEqual(d.vocabulary.map(Set.init), ["<s>", "</s>", "lorem", "ipsum", "dolor", "sit", "amet"], "\(tokenizer) \(boundary)")
                XCTAssertEqual(d.eventCount, Double(5 * n + 1), "\(tokenizer) \(boundary)")
            }
            let ingestor = try Ingestor(options: IngestOptions())
            try ingestor.ingest([path])
            XCTAssertEqual(ingestor.notes, [])
        }
    }

    /// A run of 17 MiB without white space is over what a unit may carry across reads: it is
    /// counted in two pieces (17 MiB = 16 MiB + 1 MiB here, by the read buffers), and a note says so
    /// instead of nothing (QA round 12); the line with white space above gets no note.
    func testARunWithoutWhiteSpaceLongerThanTheCarryIsNoted() throws {
        let path = temporaryFile([UInt8](repeating: 0x51, count: 17 << 20) + [0x0A])
        var o = IngestOptions()
        o.tokenizer = .whitespace; o.order = 1
        let ingestor = try Ingestor(options: o)
        try ingestor.ingest([path])
        let d = try ingestor.makeDataSet()
        XCTAssertEqual(d.eventCount, 3)   // two pieces and </s>
        XCTAssertEqual(ingestor.notes, ["\(path): 1 cut in text without white space: a unit over 16 MiB with no ASCII white space is counted in pieces cut at a character, where the read buffers fall (an ICU token can straddle a cut); split such text if its tokens matter"])
    }

    /// Text and token ids never share one vocabulary (the id 1 and the word "1" would be one token):
    /// the second kind of file is refused by name, in either order (QA round 8: a folder of both gave an
    /// error naming no file, or with --boundary document one merged vocabulary).
    func testTextAndTokenIDsAreNotMixed() throws {
        let text = temporaryFile("the cat sat\n"), ids = temporaryFile([1, 0, 2, 0, 3, 0], suffix: ".bin")
        for (paths, named) in [([text, ids], ids), ([ids, text], text)] {
            XCTAssertThrowsError(try ingest(paths) { $0.tokenizer = .icu; $0.boundary = .document }) { error in
                XCTAssertTrue("\(error)".hasPrefix(named + ": "), "\(error)")
                XCTAssertTrue("\(error)".hasSuffix("would share one vocabulary; ingest the two kinds of file separately"), "\(error)")
            }
        }
    }

    func testTrigramPaddingAndEmptyLines() throws {
        // The blank and whitespace-only lines are not sequences; CRLF and a missing final newline are fine.
        let d = try ingest([temporaryFile("x y\r\n\r\n   \nx\n y")]) { $0.order = 3 }
        XCTAssertEqual(d.vocabulary!, ["<s>", "</s>", "x", "y"])
        XCTAssertEqual(rows(d), [
            "<s> <s> -> x:2 y:1",
            "<s> x -> </s>:1 y:1",
            "<s> y -> </s>:1",
            "x y -> </s>:1",
        ])
        XCTAssertEqual(d.eventCount, 3 + 2 + 2)
    }

    func testUnigramHasOneEmptyContext() throws {
        let d = try ingest([temporaryFile("b a b\n")]) { $0.order = 1 }
        XCTAssertEqual(d.contextCount, 1)
        XCTAssertEqual(d.contextLength, 0)
        XCTAssertEqual(d.vocabulary!, ["</s>", "b", "a"])   // <s> never occurs at order 1
        XCTAssertEqual(rows(d), [" -> </s>:1 b:2 a:1"])
    }

    func testBoundaryNoneIsOneStreamAcrossLinesAndFiles() throws {
        let d = try ingest([temporaryFile("a b\nc"), temporaryFile("a b")]) { $0.order = 2; $0.boundary = .none }
        // stream a b c a b: events (a,b) (b,c) (c,a) (a,b)
        XCTAssertEqual(d.vocabulary!, ["a", "b", "c"])
        XCTAssertEqual(rows(d), ["a -> b:2", "b -> c:1", "c -> a:1"])
    }

    func testBoundaryDocumentPadsEachFile() throws {
        let d = try ingest([temporaryFile("a b\nc"), temporaryFile("a")]) { $0.order = 2; $0.boundary = .document }
        XCTAssertEqual(rows(d), ["<s> -> a:2", "a -> </s>:1 b:1", "b -> c:1", "c -> </s>:1"])
    }

    func testMaxVocabMapsRareTokensToUnknownAndMergesContexts() throws {
        // counts: a 3, b 2, c 1, d 1 -> keep a, b; c and d become <unk>, so contexts "c" and "d" merge.
        let d = try ingest([temporaryFile("a b a\nc a\nd a b\n")]) { $0.order = 2; $0.maxVocabulary = 2 }
        XCTAssertEqual(d.vocabulary!, ["<s>", "</s>", "<unk>", "a", "b"])
        XCTAssertEqual(rows(d), ["<s> -> <unk>:2 a:1", "<unk> -> a:2", "a -> </s>:2 b:2", "b -> </s>:1 a:1"])
        let e = try ingest([temporaryFile("a b a\nc a\nd a b\n")]) { $0.order = 2; $0.minCount = 2 }
        XCTAssertEqual(rows(e), rows(d))
    }

    func testTieOrderIsByBytesAndLiteralSpecialsMapToSpecials() throws {
        let d = try ingest([temporaryFile("zeta alpha <unk>\n")]) { $0.order = 1 }
        XCTAssertEqual(d.vocabulary!, ["</s>", "<unk>", "alpha", "zeta"])
    }

    func testBOMIsSkippedAndOffsetsOfBadUTF8AreReported() throws {
        let bom: [UInt8] = [0xEF, 0xBB, 0xBF] + Array("hello world\n".utf8)
        XCTAssertEqual(try ingest([temporaryFile(bom)]).vocabulary!, ["<s>", "</s>", "hello", "world"])
        let bad = Array("ok fine\nab".utf8) + [0xC3, 0x28] + Array(" more\n".utf8)
        let path = temporaryFile(bad)
        XCTAssertThrowsError(try ingest([path])) { error in
            XCTAssertEqual("\(error)", "\(path): byte 10: invalid UTF-8 (byte 0xC3); convert the file with iconv -f ENCODING -t UTF-8, or use --format u16|u32|npy for token ids")
        }
        let binary = temporaryFile([0x7F, 0x45, 0x4C, 0x46, 0x02, 0x01, 0x00, 0x00], suffix: ".dat")
        XCTAssertThrowsError(try ingest([binary])) { error in
            XCTAssertTrue("\(error)".hasPrefix("\(binary): byte 6: NUL byte"), "\(error)")
        }
        let truncated = temporaryFile(Array("word ".utf8) + [0xE2, 0x82])
        XCTAssertThrowsError(try ingest([truncated])) { error in
            XCTAssertTrue("\(error)".contains("byte 5: invalid UTF-8: the file ends inside a multi-byte character"), "\(error)")
        }
    }

    /// Classic Mac files end lines with a lone CR: they used to be one sequence. Now a file whose
    /// first line end is a lone CR counts like its LF version (ICU and whitespace, line and
    /// sentence boundaries), also when that line end lies past the first 1 MiB chunk; CRLF files
    /// count as before, and a CR inside an LF file stays white space.
    func testLoneCRLineEndsAreLineBreaks() throws {
        let lf = "a b\nc d\n\ne f. g h\n"
        for tokenizer in [IngestOptions.Tokenizer.whitespace, .icu] {
            for boundary in [IngestOptions.Boundary.line, .sentence] {
                let reference = try ingest([temporaryFile(lf)]) { $0.order = 2; $0.tokenizer = tokenizer; $0.boundary = boundary }
                for variant in [lf.replacingOccurrences(of: "\n", with: "\r"), lf.replacingOccurrences(of: "\n", with: "\r\n")] {
                    let data = try ingest([temporaryFile(variant)]) { $0.order = 2; $0.tokenizer = tokenizer; $0.boundary = boundary }
                    XCTAssertEqual(rows(data), rows(reference), "\(tokenizer) \(boundary) \(variant.debugDescription)")
                }
            }
        }
        XCTAssertEqual(try ingest([temporaryFile(lf.replacingOccurrences(of: "\n", with: "\r"))]) { $0.order = 2 }.eventCount, 11)   // 8 tokens, 3 lines
        let long = String(repeating: "x", count: Ingestor.chunkSize + 10) + "\ry\r"
        XCTAssertEqual(rows(try ingest([temporaryFile(long)]) { $0.order = 2 }), ["<s> -> x\(String(repeating: "x", count: Ingestor.chunkSize + 9)):1 y:1", "x\(String(repeating: "x", count: Ingestor.chunkSize + 9)) -> </s>:1", "y -> </s>:1"])
        XCTAssertEqual(rows(try ingest([temporaryFile("a b\nc\rd\n")]) { $0.order = 2 }), ["<s> -> a:1 c:1", "a -> b:1", "b -> </s>:1", "c -> d:1", "d -> </s>:1"])
    }

    /// Bytes in memory (the fuzz target's path) count like the same bytes in a file, gzip
    /// included, and errors name the given name at the same byte.
    func testBytesInMemoryCountLikeAFile() throws {
        func fromMemory(_ bytes: [UInt8], name: String) throws -> DataSet {
            var o = IngestOptions()
            o.tokenizer = .whitespace
            o.order = 2
            let ingestor = try Ingestor(options: o)
            try ingestor.ingest(bytes: bytes, name: name)
            return try ingestor.makeDataSet()
        }
        let d = try fromMemory(Array("a b a\nb a\n".utf8), name: "mem.txt")
        XCTAssertEqual(rows(d), ["<s> -> a:1 b:1", "a -> </s>:2 b:1", "b -> a:2"])
        // Python's gzip.compress(b"a b a\nb a\n", mtime=0).
        let gz: [UInt8] = [0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0x4b, 0x54, 0x48, 0x52, 0x48, 0xe4,
                           0x02, 0x61, 0x00, 0x0f, 0x15, 0x64, 0xbe, 0x0a, 0x00, 0x00, 0x00]
        XCTAssertEqual(rows(try fromMemory(gz, name: "mem.gz")), rows(d))
        XCTAssertThrowsError(try fromMemory(Array("ok fine\nab".utf8) + [0xC3, 0x28], name: "mem.txt")) { error in
            XCTAssertEqual("\(error)", "mem.txt: byte 10: invalid UTF-8 (byte 0xC3); convert the file with iconv -f ENCODING -t UTF-8, or use --format u16|u32|npy for token ids")
        }
    }

    func testEmptyCorpusAndBadOptions() throws {
        let empty = temporaryFile("\n  \n")
        XCTAssertThrowsError(try ingest([empty])) {
            XCTAssertEqual("\($0)", "\(empty): no tokens: it holds no words, only white space (4 bytes); give a file with text, or leave it out")
        }
        // One uint16 token id: a token stream's `auto` boundary is none, so order 2 has no event, and
        // the message says why, counting the tokens (it used to say "no tokens found", for a file holding one).
        let oneID = temporaryFile([7, 0])
        XCTAssertThrowsError(try ingest([oneID]) { $0.format = .u16; $0.order = 2 }) {
            XCTAssertEqual("\($0)", "no n-grams in \(oneID): 1 token, and with --boundary none order 2 needs at least 2 (a lower --order, or padding with --boundary line or document)")
        }
        XCTAssertThrowsError(try ingest([empty]) { $0.order = 0 }) {
            XCTAssertEqual("\($0)", "--order must be at least 1 (got 0): order N uses the previous N−1 tokens as context")
        }
        XCTAssertThrowsError(try ingest(["/nonexistent/corpus.txt"])) {
            XCTAssertEqual("\($0)", "/nonexistent/corpus.txt: No such file or directory (check the path)")
        }
    }

    /// An input without tokens says why, in one line: empty, white space only, a byte order mark
    /// only, no selected XML element (with the elements seen, and the case of a near miss), selected
    /// elements holding only undefined entities, an empty id stream. A blank .xml among other
    /// inputs is skipped like a blank .txt (it used to stop the run: "root element <?>").
    func testNoTokensSaysWhy() throws {
        func error(_ bytes: [UInt8], _ suffix: String, _ configure: (inout IngestOptions) -> Void = { _ in }) -> String {
            let path = temporaryFile(bytes, suffix: suffix)
            do { _ = try ingest([path], configure); return "no error" } catch {
                return "\(error)".replacingOccurrences(of: path, with: "F")
            }
        }
        let give = "give a file with text, or leave it out"
        XCTAssertEqual(error([], ".txt"), "F: no tokens: the file is empty (0 bytes); \(give)")
        XCTAssertEqual(error([0xEF, 0xBB, 0xBF], ".txt"), "F: no tokens: it holds only a UTF-8 byte order mark; \(give)")
        XCTAssertEqual(error(Array(" . ,\n".utf8), ".txt") { $0.tokenizer = .icu; $0.keepPunctuation = false },
                       "F: no tokens: it holds no words, only white space and punctuation (--drop-punctuation drops punctuation) (5 bytes); \(give)")
        // Options of the other kind of input would be ignored: refused, naming the file (QA round 8).
        XCTAssertEqual(error(Array("a b\n".utf8), ".txt") { $0.separatorID = 5 },
                       "F: --separator-id splits token id streams, and this file is text; drop it (text is split by --boundary)")
        XCTAssertEqual(error([1, 0, 2, 0], ".bin") { $0.caseFold = true; $0.normalization = .nfkc },
                       "F: token ids (u16, by content and name) take no text options, and --case-fold, --normalize would be ignored; drop them")
        XCTAssertThrowsError(try InputFiles.expand(["-", "-"])) {
            XCTAssertEqual("\($0)", "standard input (-) is named twice; name it once")
        }
        XCTAssertTrue(error(Array("a , b\n".utf8), ".txt") { $0.keepPunctuation = false }
                        .hasSuffix("--drop-punctuation needs --tokenizer icu (whitespace tokens are taken as they stand); drop it, or tokenize with ICU"))
        XCTAssertEqual(error([], ".xml"), "F: no tokens: the file is empty (0 bytes); \(give)")
        XCTAssertEqual(error(Array(" \n".utf8), ".xml"), "F: no tokens: it holds no words, only white space (2 bytes); \(give)")
        let doc = Array("<doc><head><title>t</title></head><P>a b</P></doc>".utf8)
        XCTAssertEqual(error(doc, ".xml") { $0.xmlElements = ["text"] },
                       "F: no tokens: no <text> element in the XML (elements seen: doc, head, title, P); name the elements that hold the text with --xml-element NAME")
        XCTAssertEqual(error(doc, ".xml") { $0.xmlElements = ["p"] },
                       "F: no tokens: no <p> element in the XML (elements seen: doc, head, title, P); element names are case-sensitive: use --xml-element P")
        XCTAssertEqual(error(Array("<chapter><para>&kappname;</para><para> &kde; </para></chapter>".utf8), ".docbook"),
                       "F: no tokens: its 2 <para> or <simpara> elements hold no text once 2 undefined entity references (e.g. &kappname;) are skipped; define those entities in the file's DOCTYPE, or leave the file out")
        XCTAssertEqual(error([], ".bin"), "F: no tokens: the file is empty (0 bytes); give a file with token ids, or leave it out")
        let blank = temporaryFile([], suffix: ".xml"), text = temporaryFile("a b\n")
        XCTAssertEqual(try ingest([blank, text]) { $0.order = 2 }.eventCount, 3)
        XCTAssertThrowsError(try ingest([blank, blank])) {
            XCTAssertEqual("\($0)", "no tokens in any of the 2 inputs; the first, \(blank): the file is empty (0 bytes); \(give)")
        }
        for (name, message) in [("", "--xml-element needs an element name (got an empty one), e.g. --xml-element p"),
                                ("tei:p", "--xml-element tei:p: elements match by their local name, in any namespace; use --xml-element p")] {
            XCTAssertThrowsError(try ingest([text]) { $0.xmlElements = [name] }) { XCTAssertEqual("\($0)", message) }
        }
    }

    func testTokenIDStreamsWithSeparator() throws {
        // uint16 little-endian: 5 7 5 | 7 (separator 9)
        let ids: [UInt16] = [5, 7, 5, 9, 7]
        let raw = ids.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
        let d = try ingest([temporaryFile(raw, suffix: ".bin")]) { $0.order = 2; $0.separatorID = 9 }
        XCTAssertEqual(d.vocabulary!, ["<s>", "</s>", "5", "7"])
        XCTAssertEqual(rows(d), ["<s> -> 5:1 7:1", "5 -> </s>:1 7:1", "7 -> </s>:1 5:1"])
        let plain = try ingest([temporaryFile(raw, suffix: ".bin")]) { $0.order = 2 }
        XCTAssertEqual(rows(plain), ["5 -> 7:1 9:1", "7 -> 5:1", "9 -> 7:1"])
    }

    func testWrappedLinesJoinInsideParagraphs() {
        var t = Array("one\ntwo\n\nthree\r\nfour".utf8)
        joinWrappedLines(&t, final: true)
        XCTAssertEqual(String(decoding: t, as: UTF8.self), "one two\n\nthree  four")
        // A lone CR is a space (ICU would end a sentence there); one at the end waits for the next piece.
        var u = Array("abc\rdef ghi.\r\n\r\nnext\r".utf8)
        joinWrappedLines(&u, final: false)
        XCTAssertEqual(String(decoding: u, as: UTF8.self), "abc def ghi.\r\n\r\nnext\r")
        joinWrappedLines(&u, final: true)
        XCTAssertEqual(String(decoding: u, as: UTF8.self), "abc def ghi.\r\n\r\nnext ")
    }

    /// QA round 12: under --boundary sentence a lone CR ended a sentence; it is a space as under line.
    func testALoneCRInsideASentenceIsASpace() throws {
        let path = temporaryFile("first line.\nabc\rdef ghi.\n")
        for boundary in [IngestOptions.Boundary.line, .sentence] {
            let d = try ingest([path]) { $0.order = 2; $0.boundary = boundary }
            XCTAssertTrue(rows(d).contains("abc -> def:1"), "\(boundary): \(rows(d))")
        }
    }

    func testResultDoesNotDependOnHowTextIsCut() throws {
        let text = Array("the cat sat\non the mat\n\nthe end the cat\n".utf8)
        for boundary in [IngestOptions.Boundary.line, .document, .none] {
            var reference: [String]? = nil
            for piece in [1, 2, 3, 5, 64] {
                var o = IngestOptions(); o.tokenizer = .whitespace; o.order = 3
                var p = try TextProcessor(options: o, boundary: boundary, interner: TokenInterner(),
                                          sequences: SequenceCounter(contextLength: 2, padded: boundary != .none))
                text.withUnsafeBufferPointer { all in
                    var i = 0
                    while i < all.count { let j = min(i + piece, all.count); p.feed(UnsafeBufferPointer(rebasing: all[i..<j])); i = j }
                }
                p.endDocument()
                let d = DataSetBuilder.build(interner: p.interner, sequences: p.sequences, optionsJSON: "{}", maxVocabulary: nil, minCount: 1)
                if let r = reference { XCTAssertEqual(rows(d), r, "boundary \(boundary) piece \(piece)") } else { reference = rows(d) }
            }
        }
    }
}

final class CountingPathTests: XCTestCase {
    /// Counts the same random text through the packed table, the general counter, and a packed
    /// table that overflows mid-stream (order 6 packs ids in 10 bits, so the 1,024th type moves it).
    func testPackedGeneralAndMigratedCountsAgree() throws {
        var state: UInt64 = 12345
        func next() -> UInt64 { state = state &* 6364136223846793005 &+ 1442695040888963407; return state >> 33 }
        var words: [String] = []
        for line in 0..<400 {
            let length = Int(next() % 12)
            // Zipf-like choice among 3,000 types; later lines use rarer words so the overflow happens mid-stream.
            words.append((0..<length).map { _ in "w\(Int(next() % UInt64(50 + line * 8)))" }.joined(separator: " "))
        }
        let text = Array(words.joined(separator: "\n").utf8)
        for order in [1, 2, 3, 6] {
            for boundary in [IngestOptions.Boundary.line, .none] {
                var results: [[String]] = []
                // Packed with the default buffer (one unmerged run), packed with a 97-event
                // buffer (dozens of merges plus an unmerged tail the builder folds in), general.
                for (packing, buffer) in [(true, 1 << 22), (true, 97), (false, 1 << 22)] {
                    var o = IngestOptions(); o.tokenizer = .whitespace; o.order = order
                    var p = try TextProcessor(options: o, boundary: boundary, interner: TokenInterner(),
                                              sequences: SequenceCounter(contextLength: order - 1, padded: boundary != .none,
                                                                         packing: packing, runBufferCapacity: buffer))
                    text.withUnsafeBufferPointer { p.feed($0) }
                    p.endDocument()
                    if order == 6 && packing { XCTAssertNil(p.sequences.packed, "order 6 should have left the packed table") }
                    let d = DataSetBuilder.build(interner: p.interner, sequences: p.sequences, optionsJSON: "{}", maxVocabulary: 40, minCount: 1)
                    XCTAssertNoThrow(try d.validate())
                    results.append(rows(d))
                }
                XCTAssertEqual(results[0], results[2], "order \(order) boundary \(boundary)")
                XCTAssertEqual(results[1], results[2], "order \(order) boundary \(boundary), small run buffer")
            }
        }
    }
}

final class NGramRunsTests: XCTestCase {
    func testSortedRunsCountLikeADictionaryAcrossManyFlushes() {
        var state: UInt64 = 99
        func next() -> UInt64 { state = state &* 6364136223846793005 &+ 1442695040888963407; return state >> 20 }
        let runs = NGramRuns(bufferCapacity: 1000)
        var reference: [UInt64: Int64] = [:]
        for _ in 0..<25_000 {
            let key = next() % 3000 | (next() % 4 == 0 ? 1 << 60 : 0)   // high digits vary too
            runs.add(key); reference[key, default: 0] += 1
        }
        var seen: [(UInt64, Int64)] = []
        runs.forEach { seen.append(($0, $1)) }
        XCTAssertEqual(seen.map(\.0), reference.keys.sorted())
        XCTAssertEqual(seen.map(\.1), reference.keys.sorted().map { reference[$0]! })
    }

    /// `writeDataSet` skips the last merge when `pairsAtMost` fits the budget: it must bound the
    /// distinct keys at every point, and `mayHaveSpilled` must be set by a spill or a run that may spill.
    func testPairsAtMostBoundsTheDistinctKeysWithoutWaitingForTheWorker() throws {
        let runs = NGramRuns(bufferCapacity: 100)
        var distinct = Set<UInt64>()
        for i in 0..<1_050 {
            let key = UInt64(i % 400)   // 400 distinct keys, each seen 2 or 3 times
            runs.add(key); distinct.insert(key)
            XCTAssertGreaterThanOrEqual(runs.pairsAtMost, distinct.count, "after \(i + 1) events")
        }
        XCTAssertFalse(runs.mayHaveSpilled)
        let unmerged = runs.finish()
        XCTAssertEqual(unmerged.count, 50)
        XCTAssertEqual(runs.pairsAtMost, 400 + 100 + 50)   // the run, the last hand-off (merged), the buffer
        runs.spillLimit = 550
        XCTAssertTrue(runs.mayHaveSpilled)   // a merge under this limit could spill
        runs.spillLimit = 551
        XCTAssertFalse(runs.mayHaveSpilled)

        let folder = try SpillFolder(parent: NSTemporaryDirectory())
        defer { folder.remove() }
        let spilling = NGramRuns(bufferCapacity: 100)
        spilling.spillFolder = { folder }
        spilling.spillLimit = 150
        for i in 0..<300 { spilling.add(UInt64(i)) }   // the second merge reaches 200 ≥ 150 and spills
        spilling.finish()
        XCTAssertEqual(spilling.spilledRuns.count, 1)
        spilling.spillLimit = .max
        XCTAssertTrue(spilling.mayHaveSpilled)
    }
}

final class StatisticsTests: XCTestCase {
    /// Supports of "a b a / b a" at order 2 are 2, 2, 1 (sorted 1, 2, 2).
    func testHistogramAndQuantilesOfHandCountedSupports() throws {
        let d = try ingest([temporaryFile("a b a\nb a\n")]) { $0.order = 2 }
        let s = try CorpusStatistics(d, largest: 2)
        XCTAssertEqual(s.supportHistogram, ["1": 1, "2": 2])
        XCTAssertEqual(s.supportQuantiles, ["min": 1, "p25": 1, "p50": 2, "p75": 2, "p90": 2, "p99": 2, "max": 2])
        XCTAssertEqual(s.singleSupportContextShare, 1.0 / 3.0)
        XCTAssertEqual(s.singleSupportEventShare, 2.0 / 7.0)   // context "b" (count 2) of 7 events
        XCTAssertEqual(s.largestSupports.map(\.context), ["a", "<s>"])   // k = 2 both; count 3 before 2
        XCTAssertEqual(try CorpusStatistics(d, largest: 0).largestSupports.count, 0)
    }

    /// An id stream 1 2 3 1 2 4 (u16, --boundary none) at order 3 has the events 12→3, 23→1, 31→2,
    /// 12→4; its order-2 marginal has 4 events, while counting at order 2 also has 1→2 first: 5.
    /// So the derived row is flagged inexact; with `<s>` padding it equals the direct count, flagged exact.
    func testDerivedOrdersAreFlaggedExactOnlyWithPadding() throws {
        let ids: [UInt16] = [1, 2, 3, 1, 2, 4]
        let stream = temporaryFile(ids.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }, suffix: ".bin")
        let trigram = try ingest([stream]) { $0.format = .u16; $0.order = 3 }
        let unpadded = try CorpusStatistics(trigram, largest: 0, orders: [2, 3])
        XCTAssertEqual(unpadded.orders?.first?.contexts, 3)   // 2, 3, 1
        XCTAssertEqual(try trigram.marginalized(toContextLength: 1).eventCount, 4)
        XCTAssertEqual(try ingest([stream]) { $0.format = .u16; $0.order = 2 }.eventCount, 5)
        XCTAssertEqual(unpadded.ordersExact, false)
        XCTAssertEqual(try CorpusStatistics(trigram, largest: 0, orders: [3]).ordersExact, true)
        XCTAssertNil(try CorpusStatistics(trigram, largest: 0).ordersExact)

        let text = temporaryFile("a b a\nb a\n")
        let padded = try CorpusStatistics(try ingest([text]) { $0.order = 3 }, largest: 0, orders: [1, 2, 3])
        XCTAssertEqual(padded.ordersExact, true)
        XCTAssertEqual(padded.orders?[1].entropy ?? .nan,
                       try ingest([text]) { $0.order = 2 }.entropy(), accuracy: 1e-15)
        var anonymous = try ingest([text]) { $0.order = 3 }
        anonymous.optionsJSON = nil   // a scipy file without options: padding unknown
        XCTAssertEqual(try CorpusStatistics(anonymous, largest: 0, orders: [2]).ordersExact, false)
    }
}
