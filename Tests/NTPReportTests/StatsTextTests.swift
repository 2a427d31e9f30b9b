import XCTest
import TestSupport
import NTPCorpus
@testable import NTPReport

/// QA: `stats` printed fractional counts as integers (n = 1 for 1.151) and ran a 10¹² count into its
/// support size.
final class StatsTextTests: XCTestCase {
    func testFractionalAndHugeCountsPrintInFullColumns() throws {
        let weights = makeData(V: 3, rows: [[0: 0.75, 1: 0.4], [2: 0.001]])
        let text = StatisticsOutcome.render(try CorpusStatistics(weights, largest: 2))
        XCTAssertTrue(text.contains("n = 1.151\n"), text)
        XCTAssertTrue(text.contains("      2      1.15  #0"), text)
        XCTAssertTrue(text.contains("      1     0.001  #1"), text)

        let huge = makeData(V: 3, rows: [[0: 1e12, 1: 1e12], [2: 1]])
        let lines = StatisticsOutcome.render(try CorpusStatistics(huge, largest: 2)).split(separator: "\n")
        XCTAssertTrue(lines.contains("        2  2,000,000,000,000  #0"), lines.joined(separator: "\n"))
        XCTAssertTrue(lines.contains("        1                  1  #1"), lines.joined(separator: "\n"))
    }
}
