import XCTest
final class NTPCoreTestsPlaceholder: XCTestCase { func testNothing() {} }
