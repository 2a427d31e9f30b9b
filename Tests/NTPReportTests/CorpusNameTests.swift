import XCTest
@testable import NTPReport

/// `analyze`'s default folder and report title come from `corpusName`.
final class CorpusNameTests: XCTestCase {
    func testOneInputIsNamedByItsFileWithoutExtensions() {
        XCTAssertEqual(corpusName(["corpora/data/kjv.txt"]), "kjv")
        XCTAssertEqual(corpusName(["/data/enwiki-pages.xml.bz2"]), "enwiki-pages")
        XCTAssertEqual(corpusName(["corpora/shakespeare/"]), "shakespeare")
    }

    /// QA: `analyze in/krusader/en/krusader/*.docbook` was named after its first file.
    func testSeveralInputsAreNamedByTheirDeepestCommonFolder() {
        XCTAssertEqual(corpusName(["/q/in/krusader/en/krusader/advanced-functions.docbook",
                                   "/q/in/krusader/en/krusader/index.docbook"]), "krusader")
        XCTAssertEqual(corpusName(["/q/in/krusader/en/a.docbook", "/q/in/krusader/de/b.docbook"]), "krusader")
        XCTAssertEqual(corpusName(["/a.txt", "/b.txt", "/c.txt"]), "a-and-2-more")
    }
}
