import Testing
import NTPFormats
import Foundation

/// Swift Testing checks of the data-set arithmetic (hand-computed values).
@Suite struct DataSetArithmetic {
    /// Rows {a:1, b:1}, {</s>:2, b:1}, {a:2} (the bigram counts of "a b a / b a"): 𝓗 = 3/7·ln 3.
    @Test func entropyOfHandCountedBigrams() throws {
        let d = DataSet(contextCount: 3, vocabularySize: 4, rowOffsets: [0, 2, 4, 5], columns: [2, 3, 1, 3, 2],
                        counts: [1, 1, 2, 1, 2])
        try d.validate()
        #expect(d.eventCount == 7)
        let closedForm: Double = 3.0 / 7.0 * log(3.0)
        #expect(abs(d.entropy() - closedForm) < 1e-15)
        let expected: [Double] = [2.0 / 7.0, 3.0 / 7.0, 2.0 / 7.0]
        #expect(d.contextFrequencies() == expected)
        #expect(d.supportSize(1) == 2)
    }

    /// 200,003 rows (four blocks of the parallel sum) with the closed form of a uniform row:
    /// row j has (j mod 4) + 1 tokens, each counted j mod 7 + 1 times, so p̂ is uniform on the
    /// row and 𝓗 = Σ_j π̂_j log k_j, which is summed here in extended precision.
    @Test func entropyOverManyBlocksMatchesTheClosedForm() throws {
        let m = 200_003
        var offsets = [0], columns: [Int32] = [], counts: [Double] = []
        var expected: Float80 = 0, n: Float80 = 0
        for j in 0..<m {
            let k = j % 4 + 1, c = Double(j % 7 + 1)
            for t in 0..<k { columns.append(Int32(t)); counts.append(c) }
            offsets.append(columns.count)
            n += Float80(k) * Float80(c)
            expected += Float80(k) * Float80(c) * Float80(log(Double(k)))
        }
        expected /= n
        let d = DataSet(contextCount: m, vocabularySize: 4, rowOffsets: offsets, columns: columns, counts: counts)
        try d.validate()
        #expect(abs(Float80(d.entropy()) - expected) / expected < 1e-14)
        #expect(d.eventCount == Double(n))      // Σ_j k_j·(j mod 7 + 1), counted above
    }

    @Test func invalidRowsAreRejected() {
        let d = DataSet(contextCount: 1, vocabularySize: 2, rowOffsets: [0, 2], columns: [1, 0], counts: [1, 1])
        #expect(throws: DataSetError.self) { try d.validate() }
    }
}
