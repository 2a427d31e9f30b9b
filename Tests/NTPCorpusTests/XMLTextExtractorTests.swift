import XCTest
@testable import NTPCorpus

final class XMLTextExtractorTests: XCTestCase {
    /// Runs the extractor over `bytes` fed in `chunk`-byte pieces; returns the records
    /// (text between record ends) and any trailing text after the last record.
    private func extract(_ bytes: [UInt8], _ selection: XMLTextExtractor.Selection, chunk: Int = 1 << 16,
                         file: String = "t.xml") throws -> (records: [String], extractor: XMLTextExtractor) {
        let x = try XMLTextExtractor(selection: selection, fileName: file)
        var records: [String] = []
        var current: [UInt8] = []
        let onText: (UnsafeBufferPointer<UInt8>) -> Void = { current.append(contentsOf: $0) }
        let onEnd: () -> Void = { records.append(String(decoding: current, as: UTF8.self)); current = [] }
        try bytes.withUnsafeBytes { raw in
            var i = 0
            while i < raw.count {
                let j = min(i + chunk, raw.count)
                try x.feed(UnsafeRawBufferPointer(rebasing: raw[i..<j]), onText: onText, onRecordEnd: onEnd)
                i = j
            }
        }
        try x.finish(onText: onText, onRecordEnd: onEnd)
        XCTAssertEqual(current, [], "text outside any record")
        return (records, x)
    }

    private func extract(_ s: String, _ selection: XMLTextExtractor.Selection, chunk: Int = 1 << 16) throws -> [String] {
        try extract(Array(s.utf8), selection, chunk: chunk).records
    }

    private func error(_ s: String, _ selection: XMLTextExtractor.Selection = .init(include: ["p"]),
                       chunk: Int = 1 << 16) -> XMLExtractionError? {
        do { _ = try extract(Array(s.utf8), selection, chunk: chunk) } catch let e as XMLExtractionError { return e } catch {
            XCTFail("unexpected \(error)")
        }
        return nil
    }

    static let mediawiki = """
        <mediawiki xmlns="http://www.mediawiki.org/xml/export-0.10/" version="0.10" xml:lang="en">
          <siteinfo><sitename>Wikipedia</sitename></siteinfo>
          <page>
            <title>Alpha</title>
            <ns>0</ns>
            <revision>
              <id>1</id>
              <comment>typo</comment>
              <text bytes="36" xml:space="preserve">'''Alpha''' is a [[letter]] &amp; more.</text>
            </revision>
          </page>
          <page><title>Beta</title><revision><text xml:space="preserve">Beta &lt;b&gt;x</text></revision></page>
        </mediawiki>
        """

    func testMediaWikiPresetWithNamespace() throws {
        XCTAssertEqual(try extract(Self.mediawiki, .mediawiki), ["'''Alpha''' is a [[letter]] & more.", "Beta <b>x"])
    }

    func testTEIPresetWithNamespacePrefix() throws {
        let tei = """
            <tei:TEI xmlns:tei="http://www.tei-c.org/ns/1.0">
            <tei:teiHeader><tei:fileDesc><tei:publicationStmt><tei:p>Header text</tei:p></tei:publicationStmt></tei:fileDesc></tei:teiHeader>
            <tei:text><tei:body><tei:p>First <tei:hi rend="i">bold</tei:hi> word.<tei:note>editorial</tei:note></tei:p><tei:p>Second</tei:p></tei:body></tei:text>
            </tei:TEI>
            """
        XCTAssertEqual(try extract(tei, .tei), ["First  bold  word.  ", "Second"])
    }

    static let osis = """
        <?xml version="1.0" encoding="UTF-8"?>
        <osis xmlns="http://www.bibletechnologies.net/2003/OSIS/namespace"><osisText><div type="book" osisID="Gen"><chapter osisID="Gen.1">
        <title type="chapter">CHAPTER 1.</title>
        <verse osisID="Gen.1.1" sID="Gen.1.1"/><w lemma="strong:H07225">In the beginning</w> <w>God</w> created.<note type="study">Heb. note</note><verse eID="Gen.1.1"/>
        <verse osisID="Gen.1.2" sID="Gen.1.2"/>And the earth<verse eID="Gen.1.2"/>
        </chapter><chapter osisID="Gen.2"><verse osisID="Gen.2.1">Thus <note>n</note>the heavens</verse></chapter></div></osisText></osis>
        """

    func testOSISMilestoneVersesAndNoteExclusion() throws {
        XCTAssertEqual(try extract(Self.osis, .osis),
                       [" In the beginning   God  created.  ", "And the earth", "Thus   the heavens"])
    }

    /// QA: a verse sID without its eID made the rest of the file one record, titles outside verses
    /// included. Verses do not nest, so the next verse's sID ends it; a range open at the end ends
    /// there. Both are counted, and a chapter milestone around verses still nests.
    func testAMilestoneWithoutItsEndIDEndsAtTheNextStartOfItsElement() throws {
        let xml = "<osis><verse sID=\"a\"/>alpha<verse sID=\"b\"/>beta<verse eID=\"b\"/><title>TITLE</title>"
            + "<verse sID=\"c\"/>gamma<verse eID=\"c\"/><title>OUT</title><verse sID=\"d\"/>delta</osis>"
        let (records, x) = try extract(Array(xml.utf8), .init(include: ["verse"]))
        XCTAssertEqual(records, ["alpha", "beta", "gamma", "delta "])   // </osis> ends inside d: a space
        XCTAssertEqual(x.unclosedMilestones.count, 2)   // a (ended at b's sID) and d (at the end)
        XCTAssertEqual(x.unclosedMilestones.element, "verse")
        let nested = "<osis><chapter sID=\"1\"/><verse sID=\"a\"/>alpha<verse eID=\"a\"/>"
            + "<verse sID=\"b\"/>beta<verse eID=\"b\"/><chapter eID=\"1\"/></osis>"
        let (chapter, y) = try extract(Array(nested.utf8), .init(include: ["chapter", "verse"]))
        XCTAssertEqual(chapter, [" alpha  beta "])
        XCTAssertEqual(y.unclosedMilestones.count, 0)
        XCTAssertNil(y.unclosedMilestones.element)
    }

    func testDocBookPresetNestedParasCountOnce() throws {
        let db = """
            <book><bookinfo><title>T</title></bookinfo><chapter><para>Hello <emphasis>world</emphasis>.</para>\
            <para>Nested <itemizedlist><listitem><para>inner</para></listitem></itemizedlist> end</para></chapter></book>
            """
        XCTAssertEqual(try extract(db, .docbook), ["Hello  world .", "Nested    inner    end"])
    }

    func testElementBoundariesSeparateWords() throws {
        let r = try extract("<p><w>In</w><w>the</w></p>", .init(include: ["p"]))
        XCTAssertEqual(r, [" In  the "])
        XCTAssertEqual(r[0].split(separator: " "), ["In", "the"])
    }

    func testCDATAAndCharacterReferencesAndCRLF() throws {
        XCTAssertEqual(try extract("<r>\r\n<p>a<![CDATA[<b>&]]>&#233;&#x263A;\r\nz</p></r>", .init(include: ["p"])),
                       ["a<b>&é☺\nz"])
    }

    func testUTF16LEWithBOM() throws {
        let doc = "<?xml version=\"1.0\" encoding=\"UTF-16\"?>\r\n<r><p>café ☕ 𝄞</p></r>"
        var bytes: [UInt8] = [0xFF, 0xFE]
        for u in doc.utf16 { bytes += [UInt8(u & 0xFF), UInt8(u >> 8)] }
        for chunk in [1, 3, 1 << 16] {
            XCTAssertEqual(try extract(bytes, .init(include: ["p"]), chunk: chunk).records, ["café ☕ 𝄞"])
        }
    }

    func testUTF16BEAndUTF8WithBOM() throws {
        let doc = "<?xml version=\"1.0\"?>\n<r><p>naïve</p></r>"
        var be: [UInt8] = [0xFE, 0xFF]
        for u in doc.utf16 { be += [UInt8(u >> 8), UInt8(u & 0xFF)] }
        let utf8BOM: [UInt8] = [0xEF, 0xBB, 0xBF] + Array(doc.utf8)
        for bytes in [be, utf8BOM] {
            XCTAssertEqual(try extract(bytes, .init(include: ["p"]), chunk: 1).records, ["naïve"])
        }
    }

    func testMalformedXMLReportsLineAndColumn() throws {
        let e = error("<r>\r\n<p>one\r\ntwo</p>\r\n<p>three <b>x</b></r>\n")
        XCTAssertEqual(e?.file, "t.xml")
        XCTAssertEqual(e?.line, 4)
        XCTAssertEqual(e?.column, 22)
        XCTAssertEqual(e?.description,
                       "t.xml:4:22: Opening and ending tag mismatch: p line 4 and r (not well-formed XML: fix the file or leave it out)")
    }

    func testUnclosedElementAtEndIsAnError() throws {
        let e = error("<r><p>text</p>\n<p>more")
        XCTAssertEqual(e?.line, 2)
        XCTAssertEqual(e?.message, "Premature end of data: element 'p' is not closed (2 element(s) still open)"
                       + " (not well-formed XML: fix the file or leave it out)")
    }

    func testExternalEntityIsNeverExpanded() throws {
        let doc = """
            <?xml version="1.0"?>
            <!DOCTYPE r [
            <!ENTITY h SYSTEM "file:///etc/hostname">
            <!ENTITY g "good &amp; <b>bold</b>">
            ]>
            <p>a &h; b &g; c &g;</p>
            """
        // &h; yields nothing (never loaded); the internal entity &g; is expanded each time.
        XCTAssertEqual(try extract(doc, .init(include: ["p"])), ["a  b good &  bold  c good &  bold "])
    }

    func testExternalDTDIsNotLoadedAndUndefinedEntitiesAreSkipped() throws {
        let doc = """
            <?xml version="1.0"?>
            <!DOCTYPE book PUBLIC "-//KDE//DTD DocBook XML V4.5-Based Variant V1.1//EN" "file:///etc/hostname">
            <book><para>Use &kappname; now &amp; &lt;then&gt;</para><para>x &kappname;</para></book>
            """
        let (records, x) = try extract(Array(doc.utf8), .docbook)
        XCTAssertEqual(records, ["Use  now & <then>", "x "])
        XCTAssertEqual(x.undefinedEntityCount, 2)
    }

    func testUndefinedEntityWithoutAnyDTDIsSkippedAndCounted() throws {
        let doc = "<chapter><para>Use &kappname; in &kappname;'s <emphasis a=\"&x;\">panel</emphasis></para></chapter>"
        let (records, x) = try extract(Array(doc.utf8), .docbook)
        XCTAssertEqual(records, ["Use  in 's  panel "])
        XCTAssertEqual(x.undefinedEntityCount, 3)
    }

    func testBillionLaughsIsRejected() throws {
        var doc = "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n <!ENTITY lol \"lol\">\n"
        for i in 1...9 {
            let prev = i == 1 ? "lol" : "lol\(i - 1)"
            doc += " <!ENTITY lol\(i) \"" + String(repeating: "&\(prev);", count: 10) + "\">\n"
        }
        doc += "]>\n<p>&lol9;</p>\n"
        let e = error(doc)
        XCTAssertEqual(e?.line, 14)
        XCTAssertEqual(e?.column, 10)
        XCTAssertEqual(e?.message.hasPrefix("Detected an entity reference loop"), true, e?.message ?? "")
    }

    func testChunkSplittingInvariance() throws {
        for (doc, sel) in [(Self.osis, XMLTextExtractor.Selection.osis), (Self.mediawiki, .mediawiki)] {
            let whole = try extract(doc, sel)
            XCTAssertEqual(try extract(doc, sel, chunk: 1), whole)
            XCTAssertEqual(try extract(doc, sel, chunk: 7), whole)
        }
    }

    func testFeedAfterFinishAndEmptySelectionThrow() throws {
        XCTAssertThrowsError(try XMLTextExtractor(selection: .init(include: []), fileName: "e.xml"))
        let x = try XMLTextExtractor(selection: .init(include: ["p"]), fileName: "f.xml")
        let doc = Array("<p>x</p>".utf8)
        try doc.withUnsafeBytes { try x.feed($0, onText: { _ in }, onRecordEnd: {}) }
        try x.finish(onText: { _ in }, onRecordEnd: {})
        XCTAssertThrowsError(try doc.withUnsafeBytes { try x.feed($0, onText: { _ in }, onRecordEnd: {}) })
    }

    func testOneHugeFeedIsAccepted() throws {
        // 12 MB in a single feed call: libxml2 alone would halt with "Huge input lookup" (> 10 MB
        // buffered) unless the bytes are pushed in pieces.
        let body = String(repeating: "word &amp; ", count: 1_100_000)
        let (records, _) = try extract(Array(("<page><text>" + body + "</text></page>").utf8), .mediawiki, chunk: 1 << 30)
        XCTAssertEqual(records.count, 1)
        XCTAssertEqual(records.first?.utf8.count, 7 * 1_100_000)
    }

    func testEmptyInputIsAnError() throws {
        let e = error("")
        XCTAssertEqual(e?.description, "t.xml:1:1: Document is empty: no root element (not well-formed XML: fix the file or leave it out)")
    }
}
