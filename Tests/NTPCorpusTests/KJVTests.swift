import XCTest
import Foundation
@testable import NTPCorpus
import NTPFormats

/// Published statistics of the King James Bible (corpora/fetch.sh default): 31,102 verses,
/// 789,634 whitespace-separated words (`wc -w`).
final class KJVTests: XCTestCase {
    static var kjvPath: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("corpora/data/kjv.txt").path
    }

    /// The corpus path, or a skip locally / a failure in CI when it was not fetched.
    static func corpus(_ path: String = kjvPath) throws -> String {
        if FileManager.default.fileExists(atPath: path) { return path }
        if ProcessInfo.processInfo.environment["CI"] != nil {
            XCTFail("\(path) missing: CI must run corpora/fetch.sh default first")
        }
        throw XCTSkip("\(path) not fetched; run corpora/fetch.sh default")
    }

    func testVersesAndWordsMatchPublishedCounts() throws {
        let d = try ingest([try Self.corpus()]) { $0.order = 1 }
        // Every word and one </s> per verse is an event.
        XCTAssertEqual(d.eventCount, 789_634 + 31_102)
        let v = d.vocabulary!
        XCTAssertEqual(d.counts[d.columns.firstIndex(of: Int32(v.firstIndex(of: "</s>")!))!], 31_102)
        XCTAssertEqual(d.counts[d.columns.firstIndex(of: Int32(v.firstIndex(of: "the")!))!], 62_051)
        XCTAssertEqual(d.vocabularySize, 28_856 + 1)   // whitespace types + </s>
    }

    func testTrigramCountsAgreeWithIndependentPythonCounter() throws {
        let path = try Self.corpus()
        let d = try ingest([path]) { $0.order = 3 }
        // Values printed by bench/ingest_baseline.py (split + dict of Counters) on the same file.
        XCTAssertEqual(d.eventCount, 820_736)
        XCTAssertEqual(d.contextCount, 199_959)
        XCTAssertEqual(d.vocabularySize, 28_858)
        XCTAssertEqual(d.entropy(), 2.0655006056059695, accuracy: 1e-11)  // float sums over 459,497 terms
        // Lower orders derived from the trigram counts equal direct ingestion at that order.
        var bigram = try ingest([path]) { $0.order = 2 }
        var derived = try d.marginalized(toContextLength: 1)
        bigram.optionsJSON = nil; derived.optionsJSON = nil
        XCTAssertEqual(derived, bigram)
    }
}
