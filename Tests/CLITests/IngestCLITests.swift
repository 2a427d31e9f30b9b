import XCTest
import TestSupport
import Foundation
import NTPFormats

final class IngestCLITests: XCTestCase {
    func testIngestWritesScipyReadableDataSetAndIsByteIdentical() throws {
        let dir = temporaryDirectory()
        let corpus = dir.appendingPathComponent("c.txt")
        try "a b a\nb a\n".write(to: corpus, atomically: true, encoding: .utf8)
        let a = dir.appendingPathComponent("a.npz"), b = dir.appendingPathComponent("b.npz")
        let run = try ntpsep(["ingest", corpus.path, "--tokenizer", "whitespace", "--order", "2", "-o", a.path])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertEqual(run.stdout, "wrote \(a.path): 7 events, 3 contexts, 4 tokens, order 2, 𝓗 = 0.4708 nats (0.6793 bits) in " + run.stdout.split(separator: " ").suffix(2).joined(separator: " "))
        try ntpsep(["ingest", corpus.path, "--tokenizer", "whitespace", "--order", "2", "-o", b.path, "--quiet"])
        XCTAssertEqual(try Data(contentsOf: a), try Data(contentsOf: b))
        let py = try shell("""
            python3 -c "import scipy.sparse as sp, numpy as np; M = sp.load_npz('\(a.path)'); z = np.load('\(a.path)'); \
            print(M.shape, M.toarray().tolist(), [str(v) for v in z['vocab']], z['contexts'].tolist())"
            """)
        XCTAssertEqual(py, "(3, 4) [[0, 0, 1, 1], [0, 2, 0, 1], [0, 0, 2, 0]] ['<s>', '</s>', 'a', 'b'] [[0], [2], [3]]\n")
    }

    func testStdinGzipBzip2AndDirectoriesGiveTheSameCounts() throws {
        let dir = temporaryDirectory()
        let text = "the cat sat on the mat\nthe dog sat\n"
        let sub = dir.appendingPathComponent("corpus/sub")
        try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true)
        try text.write(to: sub.appendingPathComponent("x.txt"), atomically: true, encoding: .utf8)
        try shell("cd \(sub.path) && cp x.txt y.txt && gzip -k y.txt && bzip2 -k x.txt && rm y.txt x.txt")
        func stats(_ args: [String], stdin: Data? = nil) throws -> String {
            let r = try ntpsep(["stats"] + args + ["--tokenizer", "whitespace", "--json"], stdin: stdin)
            XCTAssertEqual(r.status, 0, r.stderr)
            return r.stdout
        }
        let reference = try stats(["-"], stdin: Data((text + text).utf8))
        XCTAssertEqual(try stats([dir.appendingPathComponent("corpus").path]), reference)
        XCTAssertTrue(reference.contains("\"events\" : 22"), reference)
    }

    /// Undefined entities (KDE DocBook chapters use &kappname; from a DTD that is not there) are
    /// skipped, and each file that had any says so in one line on stderr: ingest (not with -q)
    /// and stats; a file with only defined entities says nothing. The lines come once all input was
    /// read: a failing run prints its one error line only.
    func testSkippedUndefinedEntitiesAreReportedPerFile() throws {
        let dir = temporaryDirectory()
        // A declared external entity is never loaded: its reference is reported the same way (QA round 8:
        // the text was dropped without a word), and no file outside the input is read.
        let external = try textFile("e.xml", """
        <?xml version="1.0"?>
        <!DOCTYPE r [<!ENTITY host SYSTEM "file:///etc/hostname">]>
        <r><p>hello &host; world</p></r>

        """, in: dir)
        let withExternal = try ntpsep(["ingest", external.path, "--xml-element", "p", "--order", "2", "-o", dir.appendingPathComponent("e.npz").path])
        XCTAssertEqual(withExternal.status, 0, withExternal.stderr)
        XCTAssertEqual(withExternal.stderr, "\(external.path): 1 external entity reference not loaded (e.g. &host;): no external entity is ever read, so their text is missing from the counts\n")
        XCTAssertTrue(withExternal.stdout.contains(": 3 events, "), withExternal.stdout)
        let chapter = try textFile("c.docbook", "<chapter><para>&krusader; is a &kde; tool</para><para>use &krusader; &amp; more</para></chapter>\n", in: dir)
        let clean = try textFile("d.docbook", "<chapter><para>plain &amp; simple</para></chapter>\n", in: dir)
        let out = dir.appendingPathComponent("k.npz")
        let line = "\(chapter.path): 3 undefined entity references skipped (e.g. &krusader;); their text is missing from the counts\n"
        let run = try ntpsep(["ingest", chapter.path, clean.path, "--tokenizer", "whitespace", "--order", "2", "-o", out.path])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertEqual(run.stderr, line)
        // "is a tool", "use & more", "plain & simple": 3 + 3 + 3 tokens and 3 </s>.
        XCTAssertTrue(run.stdout.hasPrefix("wrote \(out.path): 12 events, "), run.stdout)
        let quiet = try ntpsep(["ingest", chapter.path, "-o", out.path, "-q"])
        XCTAssertEqual(quiet.status, 0, quiet.stderr)
        XCTAssertEqual(quiet.stderr, "")
        let stats = try ntpsep(["stats", chapter.path, clean.path, "--json"])
        XCTAssertEqual(stats.status, 0, stats.stderr)
        XCTAssertEqual(stats.stderr, line)
        let only = try textFile("e.docbook", "<chapter><para>&kappname;</para></chapter>\n", in: dir)
        let none = dir.appendingPathComponent("none.npz")
        assertFails(try ntpsep(["ingest", chapter.path, only.path, "-o", none.path, "--xml-element", "title"]),
                    with: "no tokens in any of the 2 inputs; the first, \(chapter.path): no <title> element in the XML (elements seen: chapter, para)", noFileAt: none)
        assertFails(try ntpsep(["ingest", only.path, "-o", none.path]),
                    with: "\(only.path): no tokens: its 1 <para> or <simpara> element holds no text once 1 undefined entity reference (e.g. &kappname;) is skipped", noFileAt: none)
    }

    /// Pretty-printed XML under `--boundary line`: a record whose words are on several lines becomes
    /// several sequences, so when most records of a file are cut that way one line says so (at most
    /// five files by name, then a count); a break before or after all of a record's words cuts
    /// nothing, `--boundary document` and MediaWiki's wikitext (whose lines are its own) say nothing.
    func testRecordsCutAtLineBreaksAreReported() throws {
        let dir = temporaryDirectory()
        let pretty = try textFile("p.xml", "<doc>\n<p>\n  <w>In</w>\n  <w>the</w>\n  <w>beginning</w>\n</p>\n<p>\n  <w>And</w>\n  <w>God</w>\n</p>\n<p>\n  one line\n</p>\n</doc>\n", in: dir)
        let tidy = try textFile("t.xml", "<doc>\n<p>\n  In the beginning\n</p>\n<p>And God\nsaid</p>\n<p>one</p>\n</doc>\n", in: dir)
        let out = dir.appendingPathComponent("x.npz")
        let base = ["--xml-element", "p", "--tokenizer", "whitespace", "--order", "2", "-o", out.path]
        let run = try ntpsep(["ingest", pretty.path, tidy.path] + base)
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertEqual(run.stderr, "\(pretty.path): 2 of 3 records (<p>) are cut into several sequences at line breaks inside them "
                       + "(--boundary line); if the XML is pretty-printed, --boundary document makes each record one sequence\n")
        // Lines: In | the | beginning | And | God | one line | In the beginning | And God | said | one: 10 sequences.
        XCTAssertTrue(run.stdout.hasPrefix("wrote \(out.path): 24 events, "), run.stdout)
        let document = try ntpsep(["ingest", pretty.path, "--boundary", "document"] + base)
        XCTAssertEqual(document.stderr, "")
        XCTAssertTrue(document.stdout.hasPrefix("wrote \(out.path): 10 events, "), document.stdout)
        let wiki = dir.appendingPathComponent("w.xml")
        try "<mediawiki><page><revision><text>== A ==\nfirst line\nsecond line</text></revision></page></mediawiki>\n"
            .write(to: wiki, atomically: true, encoding: .utf8)
        XCTAssertEqual(try ntpsep(["ingest", wiki.path, "-o", out.path]).stderr, "")
        let copies = try (0..<7).map { k -> String in
            let copy = dir.appendingPathComponent("c\(k).xml").path
            try FileManager.default.copyItem(atPath: pretty.path, toPath: copy)
            return copy
        }
        let many = try ntpsep(["ingest"] + copies + base)
        XCTAssertEqual(many.stderr.split(separator: "\n").count, 6, many.stderr)
        XCTAssertTrue(many.stderr.hasSuffix("\n… and 2 more notes like these, one per file\n"), many.stderr)
    }

    /// Thousands of inputs on the command line: ArgumentParser took quadratic time over them
    /// (16,000 took 15 s before the command started). 3,000 files given with options between them
    /// are read in the order given; 20,000 arguments reach the first missing file well within 5 s.
    func testManyCommandLineInputsKeepTheirOrderAndParseFast() throws {
        let dir = temporaryDirectory()
        let files = (0..<3000).map { dir.appendingPathComponent(String(format: "f%04d.txt", $0)).path }
        for (k, f) in files.enumerated() { try "w\(k % 7) x\n".write(toFile: f, atomically: false, encoding: .utf8) }
        let shuffled = files.reversed() as [String]
        let out = dir.appendingPathComponent("many.npz")
        let run = try ntpsep(["ingest"] + Array(shuffled[..<1000]) + ["--order", "2", "-"] + Array(shuffled[1000..<2500])
                             + ["--tokenizer", "whitespace"] + Array(shuffled[2500...]) + ["-o", out.path], stdin: Data("y z\n".utf8))
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stdout.hasPrefix("wrote \(out.path): 9,003 events, "), run.stdout)   // 3 per file, 3 from stdin
        let inputs = try Python.run("import numpy as np, json; print('\\n'.join(json.loads(str(np.load('\(out.path)')['options']))['inputs']))")
        XCTAssertEqual(inputs.split(separator: "\n").map(String.init), Array(shuffled[..<1000]) + ["-"] + Array(shuffled[1000...]))
        let missing = (0..<20_000).map { $0 < 500 ? files[$0] : dir.appendingPathComponent("missing\($0)").path }
        let start = Date()
        assertFails(try ntpsep(["ingest"] + missing + ["-o", out.path]), with: "\(dir.path)/missing500: No such file or directory")
        XCTAssertLessThan(Date().timeIntervalSince(start), 5)
    }

    /// Parts made from different input lists: the error gives the lengths and the first
    /// difference, not both lists (100 files made one 10 KB line).
    func testMergeOfDifferentInputListsNamesTheFirstDifference() throws {
        let dir = temporaryDirectory()
        let files = (0..<6).map { dir.appendingPathComponent("f\($0).txt").path }
        for f in files { try "a b\n".write(toFile: f, atomically: false, encoding: .utf8) }
        let p0 = dir.appendingPathComponent("p0.part").path, p1 = dir.appendingPathComponent("p1.part").path
        XCTAssertEqual(try ntpsep(["ingest"] + files[0..<5] + ["--shard", "0/2", "-o", p0, "-q"]).status, 0)
        XCTAssertEqual(try ntpsep(["ingest"] + files[0..<3] + [files[5], files[3]] + ["--shard", "1/2", "-o", p1, "-q"]).status, 0)
        let out = dir.appendingPathComponent("m.npz")
        assertFails(try ntpsep(["merge", p0, p1, "-o", out.path]),
                    with: "\(p1): was made with other options than \(p0) (inputs: 5 here, 5 there, first different at #4: \"\(files[5])\" here, \"\(files[3])\" there); parts to merge must come from the same ingest options and inputs",
                    noFileAt: out)
    }

    func testBadInputsGiveOneLineErrorsAndNoOutput() throws {
        let dir = temporaryDirectory()
        let out = dir.appendingPathComponent("out.npz")
        let good = dir.appendingPathComponent("good.txt")
        try "fine text\n".write(to: good, atomically: true, encoding: .utf8)

        assertFails(try ntpsep(["ingest", "/no/such/file.txt", "-o", out.path]),
                    with: "/no/such/file.txt: No such file or directory", noFileAt: out)
        let empty = dir.appendingPathComponent("empty.txt")
        _ = FileManager.default.createFile(atPath: empty.path, contents: Data())
        assertFails(try ntpsep(["ingest", empty.path, "-o", out.path]), with: "\(empty.path): no tokens: the file is empty (0 bytes); give a file with text, or leave it out", noFileAt: out)
        // Empty standard input is named as such.
        assertFails(try ntpsep(["ingest", "-", "-o", out.path], stdin: Data()),
                    with: "standard input: no tokens: nothing came in (0 bytes); pipe text into ntpsep, or name files instead of -", noFileAt: out)
        let latin1 = dir.appendingPathComponent("latin1.txt")
        _ = FileManager.default.createFile(atPath: latin1.path, contents: Data([0x63, 0x61, 0x66, 0xE9, 0x0A]))
        assertFails(try ntpsep(["ingest", latin1.path, "-o", out.path]),
                    with: "\(latin1.path): byte 3: invalid UTF-8 (byte 0xE9)", noFileAt: out)
        // Piped, the same bytes name standard input as every other message does (QA round 8: "<stdin>" here).
        assertFails(try ntpsep(["ingest", "-", "-o", out.path], stdin: Data([0x63, 0x61, 0x66, 0xE9, 0x0A])),
                    with: "standard input: byte 3: invalid UTF-8 (byte 0xE9)", noFileAt: out)
        assertFails(try ntpsep(["ingest", "/bin/sh", "-o", out.path]), with: "/bin/sh: byte", noFileAt: out)
        assertFails(try ntpsep(["ingest", good.path, "--order", "0", "-o", out.path]), with: "--order must be at least 1", noFileAt: out)
        assertFails(try ntpsep(["ingest", good.path, "-o", "/proc/forbidden/out.npz"]), with: "cannot write /proc/forbidden/out.npz")
        let readonly = dir.appendingPathComponent("ro")
        try FileManager.default.createDirectory(at: readonly, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o555])
        if getuid() != 0 {
            assertFails(try ntpsep(["ingest", good.path, "-o", readonly.appendingPathComponent("x.npz").path]), with: "Permission denied")
        }
        assertFails(try ntpsep(["ingest", good.path, "--tokenizer", "spaces", "-o", out.path]),
                    with: "The value 'spaces' is invalid for '--tokenizer <tokenizer>'. Please provide one of 'icu' and 'whitespace'.", noFileAt: out)
    }

    func testStatsOrdersTableOnHandCountedCorpus() throws {
        let dir = temporaryDirectory()
        let corpus = dir.appendingPathComponent("c.txt")
        try "a b a\nb a\n".write(to: corpus, atomically: true, encoding: .utf8)
        let r = try ntpsep(["stats", corpus.path, "--tokenizer", "whitespace", "--orders", "1-2", "--order", "2", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        XCTAssertEqual(json["events"] as? Double, 7)
        XCTAssertEqual(json["contexts"] as? Int, 3)
        XCTAssertEqual(json["vocabulary"] as? Int, 4)
        XCTAssertEqual(json["entropy"] as! Double, 3.0 / 7.0 * log(3.0), accuracy: 1e-15)
        let orders = json["orders"] as! [[String: Any]]
        // Order 1: one context; counts a 3, b 2, </s> 2 of 7.
        let h1 = -(3.0 / 7 * log(3.0 / 7) + 2 * (2.0 / 7 * log(2.0 / 7)))
        XCTAssertEqual(orders[0]["entropy"] as! Double, h1, accuracy: 1e-15)
        XCTAssertEqual(orders[0]["contexts"] as? Int, 1)
        XCTAssertEqual(orders[1]["contexts"] as? Int, 3)
    }
}
