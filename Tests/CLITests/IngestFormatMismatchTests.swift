import XCTest
import TestSupport
import Foundation

/// Inputs that do not match the format asked for, or options that do not apply to them: one line
/// naming the file (and position), what to do, and no output file.
final class IngestFormatMismatchTests: XCTestCase {
    private func write(_ text: String, _ name: String, in dir: URL) throws -> String {
        let url = dir.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    /// Plain text read as XML: the line and column of its first character, and --format text.
    func testPlainTextReadAsXMLIsRefusedWithItsPosition() throws {
        let dir = temporaryDirectory()
        let text = try write("\u{FEFF}\n  Project Gutenberg's text\n", "book.txt", in: dir)
        let out = dir.appendingPathComponent("x.npz")
        for extra in [[], ["--xml-element", "p"], ["--xml-preset", "tei"]] {
            assertFails(try ntpsep(["ingest", text, "--format", "xml", "-o", out.path] + extra),
                        with: "\(text):2:3: not XML: it starts with 'P', and an XML document starts with '<' (a tag or <?xml …?>); read it as plain text with --format text", noFileAt: out)
        }
        // Taken for XML by its name alone.
        let named = try write("verse one\n", "bible.xml", in: dir)
        assertFails(try ntpsep(["ingest", named, "-o", out.path]), with: "\(named):1:1: not XML: it starts with 'v'", noFileAt: out)
        // Real XML still reads.
        let xml = try write("<doc><p>a b c</p></doc>\n", "d.xml", in: dir)
        XCTAssertEqual(try ntpsep(["ingest", xml, "--format", "xml", "--xml-element", "p", "-o", out.path, "-q"]).status, 0)
    }

    /// `auto` reads a file as XML only for `<?xml`, a DOCTYPE, a known root element or an XML name
    /// (QA round 9: pre-tokenized text starting with `<s>` was refused as XML with root <s>). A file
    /// that starts with another tag is read as text, with a note. Events by hand, order 3, whitespace:
    /// `<s> hello world </s>` is 4 tokens (literal specials) + `</s>` = 5; the three lines of the
    /// WikiExtractor-style file have 3, 2 and 1 tokens, each + `</s>`: 9; its `<doc>` text alone is
    /// `hello world </s>`: 3, as is the MediaWiki record's.
    func testTextStartingWithATagIsTextUnlessItsRootIsKnown() throws {
        let dir = temporaryDirectory()
        let out = dir.appendingPathComponent("x.npz")
        func ingest(_ path: String, _ extra: [String] = []) throws -> Run {
            let run = try ntpsep(["ingest", path, "--tokenizer", "whitespace", "-o", out.path] + extra)
            XCTAssertEqual(run.status, 0, run.stderr)
            return run
        }
        let specials = try write("<s> hello world </s>\n", "tokens.txt", in: dir)
        XCTAssertTrue(try ingest(specials).stdout.contains(": 5 events"))
        XCTAssertEqual(try ingest(specials).stderr, "")
        let wiki = try write("<doc id=\"1\" title=\"A\">\nhello world\n</doc>\n", "wiki_00", in: dir)
        let asText = try ingest(wiki)
        XCTAssertTrue(asText.stdout.contains(": 9 events"), asText.stdout)
        XCTAssertEqual(asText.stderr, "\(wiki): starts with the tag <doc> but is read as text (auto reads XML for <?xml, a DOCTYPE, a known root element or an .xml name); to count its elements' text give --format xml --xml-element NAME\n")
        XCTAssertTrue(try ingest(wiki, ["--format", "xml", "--xml-element", "doc"]).stdout.contains(": 3 events"))
        let known = try write("<mediawiki><page><text>hello world</text></page></mediawiki>", "dump.txt", in: dir)
        XCTAssertTrue(try ingest(known).stdout.contains(": 3 events"))
        // A known root named in running text is not markup: 5 tokens + `</s>`.
        let prose = try write("the <tei> element holds text\n", "notes.txt", in: dir)
        XCTAssertTrue(try ingest(prose).stdout.contains(": 6 events"))
    }

    /// --xml-element and --xml-preset on input read as plain text are refused, not ignored.
    func testXMLOptionsOnPlainTextAreRefused() throws {
        let dir = temporaryDirectory()
        let text = try write("a b c a b d\n", "plain.txt", in: dir)
        let out = dir.appendingPathComponent("x.npz")
        assertFails(try ntpsep(["ingest", text, "--xml-element", "p", "-o", out.path]),
                    with: "\(text): --xml-element p applies to XML input only, and this input is plain text (by its content and name): leave it out of the inputs, or read it as XML with --format xml",
                    noFileAt: out)
        assertFails(try ntpsep(["ingest", text, "--format", "text", "--xml-preset", "tei", "-o", out.path]),
                    with: "--xml-preset tei applies to XML input only, and --format text reads \(text) as plain text: drop --xml-preset tei, or use --format xml",
                    noFileAt: out)
        // A folder with XML and text: the text file is named.
        let folder = dir.appendingPathComponent("mixed")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        _ = try write("<doc><p>x y</p></doc>\n", "mixed/a.xml", in: dir)
        let readme = try write("notes\n", "mixed/b.txt", in: dir)
        assertFails(try ntpsep(["ingest", folder.path, "--xml-element", "p", "-o", out.path]),
                    with: "\(readme): --xml-element p applies to XML input only", noFileAt: out)
        XCTAssertEqual(try ntpsep(["ingest", text, "-o", out.path, "-q"]).status, 0)
    }

    /// A 2-D .npy of token ids is refused with its shape, not read flattened.
    func testTwoDimensionalNPYIsRefusedWithItsShape() throws {
        let dir = temporaryDirectory()
        let ids = dir.appendingPathComponent("ids.npy").path, flat = dir.appendingPathComponent("flat.npy").path
        try shell("python3 -c \"import numpy as np; a = np.arange(6, dtype=np.int32).reshape(2, 3); np.save('\(ids)', a); np.save('\(flat)', a.reshape(-1))\"")
        let out = dir.appendingPathComponent("x.npz")
        assertFails(try ntpsep(["ingest", ids, "-o", out.path]),
                    with: "\(ids): a .npy token stream is one 1-D array of ids, shape (n,), and this one has shape (2, 3); save the ids in reading order with np.save(path, ids.reshape(-1)), or one file per row",
                    noFileAt: out)
        let run = try ntpsep(["ingest", flat, "--order", "2", "-o", out.path])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stdout.contains("5 events, 5 contexts, 6 tokens"), run.stdout)   // 0→1→…→5: one sequence
    }

    /// `--shard I/N` on one file cuts it at 0x0A bytes, which only divides plain text: a uint16
    /// stream whose id 2560 is the bytes 00 0A, a .npy and XML are refused before reading, with
    /// no part written; plain text is still cut.
    func testSingleFileShardOfNonTextIsRefused() throws {
        let dir = temporaryDirectory()
        let bin = dir.appendingPathComponent("ids.bin"), npy = dir.appendingPathComponent("ids.npy")
        try shell("python3 -c \"import numpy as np; a = np.array([1, 2, 3] * 10 + [2560] + [1, 2, 3] * 10, dtype=np.uint16); a.tofile('\(bin.path)'); np.save('\(npy.path)', a.astype(np.int32))\"")
        let xml = try write("<doc>\n<p>a b</p>\n<p>c d</p>\n</doc>\n", "d.xml", in: dir)
        let part = dir.appendingPathComponent("p.part")
        for (file, kind) in [(bin.path, "a token id stream (.bin)"), (npy.path, "a .npy token id stream"), (xml, "XML")] {
            for shard in ["0/2", "1/2"] {
                assertFails(try ntpsep(["ingest", file, "--shard", shard, "-o", part.path]),
                            with: "\(file): --shard on a single file cuts it at line ends, and this file is \(kind) (by its content and name), whose 0x0A bytes are not line ends; split it into several files",
                            noFileAt: part)
            }
        }
        let text = try write("a b\nc d\ne f\n", "t.txt", in: dir)
        let run = try ntpsep(["ingest", text, "--shard", "1/2", "-o", part.path])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stdout.hasPrefix("wrote \(part.path): part 1/2 in "), run.stdout)
    }
}
