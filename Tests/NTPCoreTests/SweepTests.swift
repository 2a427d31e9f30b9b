import Foundation
import XCTest
import TestSupport
import NTPFormats
@testable import NTPCore

final class SweepTests: XCTestCase {

    private func corpus() -> DataSet {
        SyntheticText.zipfianMarkov(vocabularySize: 30, length: 4000, seed: 5)
    }

    /// Same seed ⇒ identical subsample; rows, counts and context ids match the originals; the
    /// min-count filter keeps exactly the rows with total ≥ C.
    func testSubsampleIsDeterministicAndConsistent() throws {
        let data = corpus()
        XCTAssertGreaterThan(data.contextCount, 300)
        let a = DataSetSampling.subsample(data, maxContexts: 100, minContextCount: 2, seed: 9)
        let b = DataSetSampling.subsample(data, maxContexts: 100, minContextCount: 2, seed: 9)
        let c = DataSetSampling.subsample(data, maxContexts: 100, minContextCount: 2, seed: 10)
        XCTAssertEqual(a.data, b.data)
        XCTAssertEqual(a.rows, b.rows)
        XCTAssertNotEqual(a.rows, c.rows)
        XCTAssertEqual(a.data.contextCount, 100)
        XCTAssertEqual(a.rows, a.rows.sorted())
        try a.data.validate()
        for (i, j) in a.rows.enumerated() {
            XCTAssertGreaterThanOrEqual(data.rowTotal(j), 2)
            XCTAssertEqual(Array(a.data.columns[a.data.rowOffsets[i]..<a.data.rowOffsets[i + 1]]),
                           Array(data.columns[data.rowOffsets[j]..<data.rowOffsets[j + 1]]))
            XCTAssertEqual(Array(a.data.contexts![(2 * i)..<(2 * i + 2)]), Array(data.contexts![(2 * j)..<(2 * j + 2)]))
        }
        XCTAssertEqual(a.data.vocabulary, data.vocabulary)
        let filtered = DataSetSampling.subsample(data, minContextCount: 3)
        XCTAssertEqual(filtered.rows, (0..<data.contextCount).filter { data.rowTotal($0) >= 3 })
    }

    /// The null model keeps m, V, every k_j (so the support-size histogram) and every row's sorted
    /// counts, and is a function of its seed.
    func testNullModelPreservesSupportSizesAndCounts() throws {
        let data = corpus()
        let null = DataSetSampling.randomSupports(data, seed: 4)
        try null.validate()
        XCTAssertEqual(null.rowOffsets, data.rowOffsets)
        for j in 0..<data.contextCount {
            let r = data.rowOffsets[j]..<data.rowOffsets[j + 1]
            XCTAssertEqual(null.counts[r].sorted(), data.counts[r].sorted())
        }
        XCTAssertEqual(null.entropy(), data.entropy(), accuracy: 1e-12)
        XCTAssertNotEqual(null.columns, data.columns)
        XCTAssertEqual(DataSetSampling.randomSupports(data, seed: 4), null)
        XCTAssertNotEqual(DataSetSampling.randomSupports(data, seed: 5), null)
    }

    /// With W = 0 every CE_j = log V, so the gap is log V − 𝓗 exactly and the top excess context is the
    /// one with the largest π̂_j (log V − H_j); an undecided verdict encodes as JSON null.
    func testCheckReportEntropyGapAndNulls() throws {
        let data = makeData(V: 4, rows: [[0: 6, 1: 2], [2: 1], [0: 1, 1: 1, 2: 1, 3: 1]])
        let h = denseFeatures([[1, 0], [0, 1], [1, 1]])
        var o = CheckOptions()
        o.separability.maxColumns = 1
        o.separability.useMinNormPoint = false
        o.separability.useNullSpaceLP = false
        o.separability.firstOrderIterations = 0
        let hooks = CheckHooks(minimizeCrossEntropy: { _, f in
            CrossEntropyRun(weights: [Double](repeating: 0, count: 4 * f.dimension),
                            history: [LossPoint(iteration: 0, value: log(4.0))], description: "zero W")
        })
        let report = try CheckRunner.run(data, features: h, embedding: "test", options: o, hooks: hooks)
        XCTAssertNil(report.separable)
        XCTAssertEqual(report.entropyGap!, log(4.0) - data.entropy(), accuracy: 1e-12)
        XCTAssertEqual(report.entropyGapTrend!, [LossPoint(iteration: 0, value: log(4.0) - data.entropy())])
        // π̂ = (8, 1, 4)/13; H = (H(¾,¼), 0, log 4): excesses 8/13(log4 − 0.5623), 1/13·log4, 0.
        XCTAssertEqual(report.excessLossContexts.map { $0.index }, [0, 1, 2])
        XCTAssertEqual(report.excessLossContexts[2].weight, 0, accuracy: 1e-12)
        XCTAssertEqual(report.excessLossContexts[0].support, ["#0", "#1"])
        let json = String(decoding: try JSONEncoder().encode(report), as: UTF8.self)
        XCTAssertTrue(json.contains("\"separable\":null"))
        XCTAssertTrue(json.contains("\"compat_residual\":null"))
        XCTAssertTrue(json.contains("\"compatible\":null"))
        XCTAssertTrue(json.contains("\"margin\":null"))
        // Seconds live under `timing` only; the stage objects read back with 0 s.
        var expected = report
        expected.entropyGapBound?.seconds = 0
        expected.certificate.lp?.simplexSeconds = 0
        expected.certificate.lp?.totalSeconds = 0
        XCTAssertEqual(try JSONDecoder().decode(CheckReport.self, from: Data(json.utf8)), expected)
    }
}
