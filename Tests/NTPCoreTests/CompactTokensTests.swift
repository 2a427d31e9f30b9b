import XCTest
import TestSupport
import NTPFormats
@testable import NTPCore

/// A sparse W on a vocabulary far larger than its nonzeros is verified over the touched tokens
/// (`CompactTokens`), with the same results as over all V tokens.
final class CompactTokensTests: XCTestCase {
    /// Contexts {a, b} and {b}; W = the support indicator, or with context 1's column also giving
    /// token a the logit 2 (above its support's 1: margin −1). Tokens a, b are 3, 7 of V = 10
    /// (V-sized arrays) and 3, 70,000 of V = 1,000,000 (renumbered to 0, 1).
    func testVerificationMatchesTheFullVocabulary() throws {
        func checks(vocabulary: Int, a: Int32, b: Int32) throws -> [CertificateCheck] {
            let data = DataSet.fromSupports([[Int(a), Int(b)], [Int(b)]], vocabulary: vocabulary)
            let features = try ContextFeatures.make(try EmbeddingSpec(parsing: "onehot"), for: data)
            let indicator = SparseDecoder.supportIndicator(data)
            let wrong = SparseDecoder(rows: vocabulary, columns: 2, columnOffsets: [0, 2, 4], rowIndices: [a, b, a, b], values: [1, 1, 2, 1])
            return [indicator, wrong].map {
                Separability.verify(SeparatingCertificate(weights: [], anchors: Separability.anchors(data), sparse: $0), data: data, features: features)
            }
        }
        let small = try checks(vocabulary: 10, a: 3, b: 7), large = try checks(vocabulary: 1_000_000, a: 3, b: 70_000)
        XCTAssertNil(CompactTokens(DataSet.fromSupports([[3, 7], [7]], vocabulary: 10), .supportIndicator(DataSet.fromSupports([[3, 7], [7]], vocabulary: 10))))
        let data = DataSet.fromSupports([[3, 70_000], [70_000]], vocabulary: 1_000_000)
        let compact = try XCTUnwrap(CompactTokens(data, .supportIndicator(data)))
        XCTAssertEqual(compact.count, 2)
        XCTAssertEqual(compact.supportTokens, [0, 1, 1])
        for (s, l) in zip(small, large) {
            XCTAssertEqual(s.valid, l.valid)
            XCTAssertEqual(s.minMargin, l.minMargin)
            XCTAssertEqual(s.maxTieViolation, l.maxTieViolation)
        }
        XCTAssertEqual(large.map(\.valid), [true, false])
        XCTAssertEqual(large.map(\.minMargin), [1, -1])   // context 1: logit of b is 1, of a is 2
    }
}
