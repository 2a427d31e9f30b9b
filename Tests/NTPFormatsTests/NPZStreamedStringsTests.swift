import XCTest
import TestSupport
@testable import NTPFormats

/// String members written and read in pieces give what the whole-array paths give.
final class NPZStreamedStringsTests: XCTestCase {
    func testVocabularyOverManyChunksRoundTripsAndMatchesTheWholeArrayPaths() throws {
        // 3,000 tokens, one of 700 characters: each padded entry is 2,800 bytes, so the 8.4 MB
        // payload crosses the 1 MiB pieces mid-entry many times. Non-ASCII and an empty string too.
        var vocabulary = (0..<3000).map { "tok\($0)" }
        vocabulary[17] = String(repeating: "é漢", count: 350)
        vocabulary[1234] = "Ωmega 🙂"
        vocabulary[2999] = ""
        let data = DataSet(contextCount: 1, vocabularySize: vocabulary.count, rowOffsets: [0, 2], columns: [3, 2999],
                           counts: [2, 1], vocabulary: vocabulary, contexts: [0], contextLength: 1, optionsJSON: "{\"a\":1}")
        let dir = temporaryDirectory()
        let streamed = dir.appendingPathComponent("s.npz").path, whole = dir.appendingPathComponent("w.npz").path
        try data.writeNPZ(to: streamed)
        // The same members through the in-memory array path: the same bytes.
        let members: [(String, NPYArray)] = try NPZArchive.readOrdered(path: streamed)
        try NPZArchive.write(members, to: whole)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: whole)), try Data(contentsOf: URL(fileURLWithPath: streamed)))
        XCTAssertEqual(members.first { $0.0 == "vocab" }!.1.descr, "<U700")
        // Decoded while inflating, and decoded from the padded array: the original strings.
        XCTAssertEqual(try DataSet(contentsOfNPZ: streamed).vocabulary, vocabulary)
        XCTAssertEqual(try members.first { $0.0 == "vocab" }!.1.strings(), vocabulary)
        XCTAssertEqual(try NPZArchive.read(path: streamed, decodingStrings: true)["options"]!.strings(), ["{\"a\":1}"])
    }
}
