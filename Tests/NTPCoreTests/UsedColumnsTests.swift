import XCTest
import NTPFormats
import TestSupport
@testable import NTPCore

final class UsedColumnsTests: XCTestCase {
    /// V = 12, contexts of length 2 over tokens {1, 4, 7}: positional one-hot has d = 24 features, of
    /// which the 4 contexts use 5 (position 0: tokens 1, 4; position 1: tokens 4, 7, 1 → ids 1, 4, 16,
    /// 19, 13). The restriction renumbers them in order.
    func testRestrictionKeepsTheUsedFeaturesInOrder() throws {
        let data = makeData(V: 12, rows: [[0: 2, 3: 1], [3: 1], [5: 2, 0: 1], [9: 1]],
                            contexts: [1, 4, 4, 7, 1, 1, 4, 4], contextLength: 2)
        let h = try ContextFeatures.make(.positionalOnehot, for: data)
        XCTAssertEqual(h.dimension, 24)
        let (restricted, columns) = try XCTUnwrap(h.usedColumns())
        XCTAssertEqual(columns, [1, 4, 13, 16, 19])
        XCTAssertEqual(restricted.dimension, 5)
        // Column j of the restriction is column j of H on the used rows.
        let full = h.denseMatrix(), small = restricted.denseMatrix()
        for j in 0..<4 { for (i, f) in columns.enumerated() { XCTAssertEqual(small[j * 5 + i], full[j * 24 + f]) } }
        XCTAssertNil(ContextFeatures(dimension: 3, contextCount: 1, storage: .sparse(nonzerosPerContext: 2, indices: [0, 2], values: nil)).usedColumns())
    }

    /// The entropy-gap run of `check` on the restriction is the run on all of H: the same CE history
    /// and the same W (the unused columns stay 0), against the same run on H stored dense.
    func testCrossEntropyRunOnUsedColumnsMatchesTheFullRun() throws {
        let data = makeData(V: 12, rows: [[0: 2, 3: 1], [3: 1], [5: 2, 0: 1], [9: 1]],
                            contexts: [1, 4, 4, 7, 1, 1, 4, 4], contextLength: 2)
        let h = try ContextFeatures.make(.positionalOnehot, for: data)
        let dense = ContextFeatures(dimension: h.dimension, contextCount: h.contextCount, storage: .dense(h.denseMatrix()))
        let minimize = try XCTUnwrap(CheckHooks.standard(crossEntropySteps: 300).minimizeCrossEntropy)
        let restricted = try minimize(data, h), reference = try minimize(data, dense)
        XCTAssertEqual(restricted.weights.count, 12 * 24)
        XCTAssertEqual(restricted.history.count, reference.history.count)
        for (a, b) in zip(restricted.history, reference.history) { XCTAssertEqual(a.value, b.value, accuracy: 1e-12 * max(1, abs(b.value))) }
        for (a, b) in zip(restricted.weights, reference.weights) { XCTAssertEqual(a, b, accuracy: 1e-9) }
        XCTAssertGreaterThan(restricted.weights.map(abs).max() ?? 0, 1)
    }
}
