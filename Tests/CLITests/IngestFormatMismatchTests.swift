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
}
