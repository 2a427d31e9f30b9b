import XCTest
final class NTPFormatsTestsPlaceholder: XCTestCase { func testNothing() {} }
