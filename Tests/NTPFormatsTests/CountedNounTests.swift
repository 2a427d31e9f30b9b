import XCTest
import NTPFormats

final class CountedNounTests: XCTestCase {
    func testOneIsSingularEverythingElsePlural() {
        XCTAssertEqual(counted(1, "context"), "1 context")
        XCTAssertEqual(counted(0, "context"), "0 contexts")
        XCTAssertEqual(counted(2, "trial"), "2 trials")
        XCTAssertEqual(counted(1, "entry", plural: "entries"), "1 entry")
        XCTAssertEqual(counted(3, "entry", plural: "entries"), "3 entries")
        XCTAssertEqual(counted(12_345, "token", number: { n in n == 12_345 ? "12,345" : "?" }), "12,345 tokens")
    }
}
