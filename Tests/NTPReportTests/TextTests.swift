import XCTest
import NTPPlot
import NTPCore
@testable import NTPReport

/// The text helpers every report shares: numbers, padding, escaping, JSON.
final class TextTests: XCTestCase {
    func testNumbersAndPadding() {
        XCTAssertEqual(grouped(1234567), "1,234,567")
        XCTAssertEqual(grouped(-1000), "-1,000")
        XCTAssertEqual(fixed(2.0 / 3.0, 3), "0.667")
        XCTAssertEqual(general(123456.0, 3), "1.23e+05")
        // Two ends equal to 4 digits get a fifth and sixth until they differ.
        XCTAssertEqual(intervalText(1.00001, 1.00002), "[1.00001, 1.00002]")
        // Certified intervals round outward: the printed one contains the true one (QA: check printed
        // γ* ∈ [0.01147, 0.01147] for [0.0114656137818, 0.0114662816742]).
        XCTAssertEqual(intervalText(0.0114656137818, 0.0114662816742), "[0.0114656, 0.0114663]")
        XCTAssertEqual(intervalText(0.0114656137818, 0.0114662816742, 3), "[0.0114656, 0.0114663]")
        XCTAssertEqual(intervalText(0.0114656137818, 0.0118), "[0.01146, 0.0118]")
        XCTAssertEqual(intervalText(0.04638234076, 0.04638234121), "[0.04638234, 0.046382342]")
        XCTAssertEqual(intervalText(0.00623949, 0.00623949), "[0.006239, 0.00624]")
        XCTAssertEqual(intervalText(0.0249, 0.999951), "[0.0249, 1]")
        XCTAssertEqual(intervalText(0.99999, .infinity), "[0.9999, ∞]")
        XCTAssertEqual(intervalText(0, 0.5), "[0, 0.5]")
        XCTAssertEqual(general(-0.123456, 3, roundingUp: true), "-0.123")
        XCTAssertEqual(general(-0.123456, 3, roundingUp: false), "-0.124")
        XCTAssertEqual("ab".padded(5), "ab   ")
        XCTAssertEqual("ab".padded(5, .right), "   ab")
        XCTAssertEqual("abcdef".padded(3, .right), "abcdef")       // never cut
        XCTAssertEqual("𝓗".padded(3), "𝓗  ")                      // characters, not bytes
    }

    func testMarkupEscaping() {
        XCTAssertEqual(escapeXML("a < b & \"c\" > 'd'"), "a &lt; b &amp; &quot;c&quot; &gt; &#39;d&#39;")
        var html = HTMLReport(title: "T & <U>", subtitle: "s")
        html.paragraph("Wolfe's <method>")
        let page = html.render()
        XCTAssertTrue(page.contains("<title>T &amp; &lt;U&gt;</title>"))
        XCTAssertTrue(page.contains("<p>Wolfe&#39;s &lt;method&gt;</p>"))
    }

    func testJSONIsSortedAndNullsNonFiniteLogValues() throws {
        struct Pair: Encodable { var b = 1; var a = "x/y" }
        XCTAssertEqual(try JSONText.compact(Pair()), #"{"a":"x\/y","b":1}"#)
        XCTAssertEqual(try JSONText.pretty(Pair()), "{\n  \"a\" : \"x\\/y\",\n  \"b\" : 1\n}")
        let row = LogRow(step: 3, ce: 0.5, gap: .nan, norm: 2)
        let json = try JSONText.compact(TrainingOutcome.LogEntry(row: row))
        XCTAssertEqual(json, #"{"ce":0.5,"ce_minus_entropy":null,"cos_w_minus_wstar_wmm":null,"cos_w_wmm":null,"dist_pf_w_wstar":null,"margin_inf_ratio":null,"margin_l2_ratio":null,"norm_w":2,"step":3}"#)
    }

    func testOrderListsAndSummaryPaths() throws {
        XCTAssertEqual(try parseOrderList("1-3,5,2"), [1, 2, 3, 5])
        XCTAssertThrowsError(try parseOrderList("3-1"))
        XCTAssertEqual(ThresholdSweep.summaryPath("out/kjv.csv"), "out/kjv-summary.csv")
        XCTAssertEqual(ThresholdSweep.summaryPath("t"), "t-summary.csv")
    }
}
