import XCTest
import TestSupport
import Foundation
@testable import NTPCorpus
import NTPFormats

/// Inputs built to exhaust time or memory, or to mislead: each is refused quickly with a
/// message that says what it is, or read exactly once.
final class HostileInputTests: XCTestCase {
    private func xmlError(_ doc: String) -> XMLExtractionError? {
        let x = try! XMLTextExtractor(selection: .init(include: ["p"]), fileName: "doc.xml")
        do {
            try Array(doc.utf8).withUnsafeBytes { try x.feed($0, onText: { _ in }, onRecordEnd: {}) }
            try x.finish(onText: { _ in }, onRecordEnd: {})
        } catch let e as XMLExtractionError { return e } catch { XCTFail("unexpected \(error)") }
        return nil
    }

    /// One 100,000-byte entity referenced 3,000 times (quadratic, not exponential: libxml2 2.9's
    /// loop guard does not fire). Expansion stops at 10 × the input + 1 MiB: the text produced
    /// when it stops is 22 references × 100,000 bytes = 2,200,000 > 10 × 109,064 + 1,048,576.
    func testQuadraticEntityExpansionIsBoundedByTheInputSize() throws {
        let doc = "<?xml version=\"1.0\"?><!DOCTYPE d [<!ENTITY e \"" + String(repeating: "x", count: 100_000) + "\">]><d><p>"
            + String(repeating: "&e;", count: 3000) + "</p></d>"
        XCTAssertEqual(doc.utf8.count, 109_064)
        let e = try XCTUnwrap(xmlError(doc))
        XCTAssertEqual(e.message, "entity expansion produced 2200000 bytes of text from 109064 bytes of XML, more than 10 times the input (an entity bomb?); if the document is genuine, expand its entities first (xmllint --noent)")
        XCTAssertEqual(e.line, 1)
        // 10 references of a 100-byte entity are ordinary: all 1,000 bytes arrive.
        let x = try XMLTextExtractor(selection: .init(include: ["p"]), fileName: "ok.xml")
        var text = 0
        let ok = "<!DOCTYPE d [<!ENTITY e \"" + String(repeating: "y", count: 100) + "\">]><p>" + String(repeating: "&e;", count: 10) + "</p>"
        try Array(ok.utf8).withUnsafeBytes { try x.feed($0, onText: { text += $0.count }, onRecordEnd: {}) }
        try x.finish(onText: { text += $0.count }, onRecordEnd: {})
        XCTAssertEqual(text, 1000)
    }

    /// 200,000 attributes on one element (libxml2 2.9 compares them pairwise) are refused on
    /// the line of the start tag; 10,000 (the limit) are parsed, as are '=' signs in comments,
    /// quoted values and CDATA, which are not attributes.
    func testTooManyAttributesAreRefusedBeforeTheParser() throws {
        func element(_ n: Int) -> String { "<p " + (0..<n).map { "a\($0)=\"v\"" }.joined(separator: " ") + ">t</p>" }
        let e = try XCTUnwrap(xmlError("<d>\n\n" + element(200_000) + "</d>"))
        XCTAssertEqual(e.message, "a start tag with more than 10000 attributes; split the element or remove attributes (this many make the parser quadratically slow)")
        XCTAssertEqual(e.line, 3)
        XCTAssertNil(xmlError("<d>" + element(10_000) + "</d>"))
        let equalsElsewhere = String(repeating: "=", count: 20_000)
        XCTAssertNil(xmlError("<d><!-- \(equalsElsewhere) --><p a=\"\(equalsElsewhere)\">x</p><![CDATA[\(equalsElsewhere)]]><?pi \(equalsElsewhere)?></d>"))
    }

    /// An 11 MB attribute value spanning many lines passes libxml2's 10 MB item limit: the error
    /// names the limit and the line of the start tag (3), not an "internal error" where parsing stopped.
    func testHugeAttributeValueIsReportedAtItsStartTag() throws {
        let doc = "<d>\n<p>a</p>\n<p x=\"" + String(repeating: "v\n", count: 5_500_000) + "\">b</p>\n</d>\n"
        let e = try XCTUnwrap(xmlError(doc))
        XCTAssertEqual(e.message, "an attribute value longer than 10,000,000 bytes, libxml2's limit for one item; split it or leave the file out")
        XCTAssertEqual(e.line, 3)
    }

    /// Found by the xml fuzz target: "\0<\0\0" (UCS-4 3412) makes libxml2 report an encoding error
    /// while the parser is being created, before our state was attached to it (a NULL dereference).
    func testEncodingErrorWhileCreatingTheParserIsAnError() throws {
        let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/fuzz/xml/ucs4-encoding-error-during-parser-creation")
        let bytes = Array(try Data(contentsOf: fixture))
        XCTAssertEqual(bytes, [0, 0x3C, 0, 0])
        let e = try XCTUnwrap(xmlError(String(decoding: bytes, as: UTF8.self)))
        XCTAssertEqual(e.message, "encoding not supported UCS4 3412 (not well-formed XML: fix the file or leave it out)")
    }

    /// UTF-16 without a byte order mark is named as such (it used to be "NUL byte … binary").
    func testUTF16WithoutByteOrderMarkIsNamed() throws {
        for (encoding, order) in [(String.Encoding.utf16LittleEndian, "LE"), (.utf16BigEndian, "BE")] {
            let path = temporaryFile(Array("In the beginning was the word\n".data(using: encoding)!))
            XCTAssertThrowsError(try ingest([path])) { error in
                XCTAssertEqual("\(error)", "\(path): looks like UTF-16\(order) text without a byte order mark (every other byte is NUL); convert it with iconv -f UTF-16\(order) -t UTF-8")
            }
        }
    }

    /// ISO-2022 text is 7-bit, so it passed UTF-8 validation and was counted as ASCII garbage: it
    /// is refused at its first designation escape (byte offsets from iconv's output), also past
    /// the first 1 MiB chunk. Terminal resets (ESC ( B ESC [ m) and lone ESCs are still text.
    func testISO2022TextIsRefusedAtItsEscape() throws {
        let cases: [(String, [UInt8], String)] = [
            // iconv -t ISO-2022-JP of "Emacs 入門ガイド.": the start of Emacs' TUTORIAL.ja.
            ("ISO-2022-JP", Array("Emacs ".utf8) + [0x1B, 0x24, 0x42] + Array("F~Lg%,%$%I".utf8) + [0x1B, 0x28, 0x42] + Array(".\n".utf8), "ESC $ B"),
            ("ISO-2022-KR", [0x1B, 0x24, 0x29, 0x43, 0x0E, 0x47, 0x51, 0x0F] + Array(" text\n".utf8), "ESC $ ) C"),
            ("ISO-2022-CN", Array("abc ".utf8) + [0x1B, 0x24, 0x29, 0x41, 0x0E, 0x56, 0x50, 0x4E, 0x44, 0x0F, 0x0A], "ESC $ ) A"),
        ]
        for (encoding, bytes, sequence) in cases {
            let escape = bytes.firstIndex(of: 0x1B)!
            for padding in [0, Ingestor.chunkSize + 5] {
                let path = temporaryFile(Array(repeating: UInt8(ascii: "\n"), count: padding) + bytes)
                XCTAssertThrowsError(try ingest([path])) { error in
                    XCTAssertEqual("\(error)", "\(path): byte \(padding + escape): looks like \(encoding) text (escape sequence \(sequence)); convert it with iconv -f \(encoding) -t UTF-8")
                }
            }
        }
        let terminal = temporaryFile(Array("make \u{1B}[1mall\u{1B}(B\u{1B}[m done \u{1B} x\n".utf8))
        XCTAssertEqual(try ingest([terminal]).eventCount, 6)
    }

    /// Files that are no corpus are named by their magic bytes with what to do, not given
    /// encoding advice ("invalid UTF-8 (byte 0x89); convert the file with iconv"), nor called UTF-16
    /// (UTF-32 with a byte order mark) or read with their header as ids (.npy as --format u16).
    func testNonCorpusFilesAreNamedByTheirMagic() throws {
        let dir = temporaryDirectory()
        let text = Array("a b c\n".utf8)
        let cases: [(String, [UInt8], (inout IngestOptions) -> Void, String)] = [
            ("figure.png", [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13], { _ in }, "a PNG image, not text; leave it out of the inputs"),
            ("figure.png", [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13], { $0.xmlElements = ["p"] }, "a PNG image, not text; leave it out of the inputs"),
            ("pages.zip", [0x50, 0x4B, 0x03, 0x04, 20, 0], { _ in }, "a zip archive; unpack it (unzip) and give its files or their folder"),
            ("data.npz", [0x50, 0x4B, 0x03, 0x04, 20, 0], { _ in }, "an .npz archive, not a corpus: give a data set to stats, check or sweep, and token ids as a .npy file (np.save('ids.npy', ids))"),
            ("wiki.xml.xz", [0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00, 0, 4], { _ in }, "xz-compressed; decompress it first (xz -d): gzip and bzip2 are read directly"),
            ("wiki.xml.zst", [0x28, 0xB5, 0x2F, 0xFD, 4, 0], { _ in }, "zstd-compressed; decompress it first (zstd -d): gzip and bzip2 are read directly"),
            ("ja.txt", [0xFF, 0xFE, 0, 0] + text.flatMap { [$0, 0, 0, 0] }, { _ in }, "UTF-32LE text (byte order mark at byte 0); convert it with iconv -f UTF-32 -t UTF-8"),
            ("ja.txt", [0, 0, 0xFE, 0xFF] + text.flatMap { [0, 0, 0, $0] }, { _ in }, "UTF-32BE text (byte order mark at byte 0); convert it with iconv -f UTF-32 -t UTF-8"),
        ]
        for (name, bytes, configure, message) in cases {
            let path = dir.appendingPathComponent(name).path
            _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
            XCTAssertThrowsError(try ingest([path], configure)) { XCTAssertEqual("\($0)", "\(path): \(message)") }
        }
        // Compressed twice: one layer is undone on reading, and the next is named (QA round 8). A file
        // compressed once is read as before.
        let once = dir.appendingPathComponent("once.txt").path
        _ = FileManager.default.createFile(atPath: once, contents: Data(text))
        try Python.run("""
        import gzip, bz2
        raw = open('\(once)', 'rb').read()
        open('\(once).gz', 'wb').write(gzip.compress(raw)); open('\(once).bz2', 'wb').write(bz2.compress(raw))
        open('\(once).gz.gz', 'wb').write(gzip.compress(gzip.compress(raw)))
        open('\(once).bz2.bz2', 'wb').write(bz2.compress(bz2.compress(raw)))
        """)
        XCTAssertEqual(try ingest([once + ".gz"]).eventCount, 4)
        XCTAssertEqual(try ingest([once + ".bz2"]).eventCount, 4)
        for (suffix, tool) in [(".gz.gz", "gzip"), (".bz2.bz2", "bzip2")] {
            XCTAssertThrowsError(try ingest([once + suffix])) {
                XCTAssertEqual("\($0)", "\(once + suffix): \(tool)-compressed twice (its content is \(tool) data again); decompress it once (\(tool == "gzip" ? "gunzip" : "bunzip2")) and read the result")
            }
        }
        let ids = dir.appendingPathComponent("ids.npy").path, big = dir.appendingPathComponent("big.npy").path
        try writeNPY(NPYArray(descr: "<u2", shape: [3], fortranOrder: false, data: [1, 0, 2, 0, 1, 0]), to: ids)
        try writeNPY(NPYArray(descr: ">i4", shape: [1], fortranOrder: false, data: [0, 0, 0, 1]), to: big)
        XCTAssertThrowsError(try ingest([ids]) { $0.format = .u16 }) {
            XCTAssertEqual("\($0)", "\(ids): a .npy file read as raw --format u16 ids would count its header as ids; use --format npy (or auto)")
        }
        XCTAssertThrowsError(try ingest([big])) {
            XCTAssertEqual("\($0)", "\(big): a .npy token stream needs a little-endian integer dtype (got '>i4'); save it with np.save(path, ids.astype('<i4'))")
        }
    }

    /// Links to ".", ".." and a cycle between two folders: each directory is walked once, so the
    /// one file (3 tokens + </s> at order 1) is counted once and the walk ends.
    func testDirectoryLinksAreFollowedOnce() throws {
        let root = temporaryDirectory()
        let sub = root.appendingPathComponent("a/b")
        try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true)
        try "x y z\n".write(to: sub.appendingPathComponent("f.txt"), atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: sub.appendingPathComponent("self").path, withDestinationPath: ".")
        try FileManager.default.createSymbolicLink(atPath: sub.appendingPathComponent("up").path, withDestinationPath: "..")
        try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("a/loop").path, withDestinationPath: sub.path)
        XCTAssertEqual(try InputFiles.expand([root.path]), [sub.appendingPathComponent("f.txt").path])
        XCTAssertEqual(try ingest([root.path]) { $0.order = 1 }.eventCount, 4)
    }

    /// A file named twice, and a link to it in a folder also named, are read and counted again (3 times 4 events at
    /// order 1), each with a note naming the first name; shard 0 of 3 says the same, the other shards nothing.
    func testAFileReadAgainGetsANote() throws {
        let root = temporaryDirectory()
        let file = root.appendingPathComponent("a.txt").path, folder = root.appendingPathComponent("d")
        try "x y z\n".write(toFile: file, atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: folder.appendingPathComponent("link.txt").path, withDestinationPath: file)
        let inputs = [file, file, folder.path], link = folder.appendingPathComponent("link.txt").path
        let expected = ["\(file): the same file as \(file) (named twice, or a link to it), read and counted again; name it once to count it once",
                        "\(link): the same file as \(file) (named twice, or a link to it), read and counted again; name it once to count it once"]
        var options = IngestOptions()
        options.order = 1
        let ingestor = try Ingestor(options: options)
        try ingestor.ingest(inputs)
        XCTAssertEqual(try ingestor.makeDataSet().eventCount, 12)
        XCTAssertEqual(ingestor.notes, expected)
        for shard in 0..<3 {
            let part = try Ingestor(options: options)
            try part.ingest(inputs, shard: shard, of: 3)
            XCTAssertEqual(part.notes, shard == 0 ? expected : [], "shard \(shard)")
        }
        XCTAssertEqual(InputFiles.repeatNotes([file, "-", link]).count, 1)
    }

    /// A file whose name is not UTF-8 (Latin-1 `caf\xe9.txt`, legal on Linux) and a link to nothing are
    /// refused by name, never skipped: both used to drop out of the walk without a word.
    func testUnreadableNamesInAFolderAreRefusedByName() throws {
        let root = temporaryDirectory()
        try "x y\n".write(to: root.appendingPathComponent("a.txt"), atomically: true, encoding: .utf8)
        let latin1 = root.path + "/caf"
        let created = (Array(latin1.utf8) + [0xe9] + Array(".txt".utf8) + [0]).withUnsafeBufferPointer { p in
            p.withMemoryRebound(to: CChar.self) { creat($0.baseAddress!, 0o644) }
        }
        XCTAssertGreaterThanOrEqual(created, 0)
        close(created)
        XCTAssertThrowsError(try InputFiles.expand([root.path])) {
            XCTAssertEqual("\($0)", "\(root.path): holds caf\\xe9.txt, whose name is not valid UTF-8; rename it (e.g. convmv -f latin1 -t utf-8) or move it out: ntpsep reads names as UTF-8 and would not find it")
        }
        let other = temporaryDirectory()
        try "x y\n".write(to: other.appendingPathComponent("a.txt"), atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: other.appendingPathComponent("b.txt").path, withDestinationPath: "/nonexistent-ntpsep-target")
        XCTAssertThrowsError(try InputFiles.expand([other.path])) {
            XCTAssertEqual("\($0)", "\(other.path)/b.txt: No such file or directory (a symbolic link whose target is missing? remove the link)")
        }
    }
}
