import XCTest
final class NTPCorpusTestsPlaceholder: XCTestCase { func testNothing() {} }
