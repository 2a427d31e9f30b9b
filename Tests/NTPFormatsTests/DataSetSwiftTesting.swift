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

    @Test func invalidRowsAreRejected() {
        let d = DataSet(contextCount: 1, vocabularySize: 2, rowOffsets: [0, 2], columns: [1, 0], counts: [1, 1])
        #expect(throws: DataSetError.self) { try d.validate() }
    }
}
