import Foundation
import NTPCore
import NTPFormats
import XCTest

final class SynthTests: XCTestCase {
    func testExactProbabilitiesMode() throws {
        let spec = SyntheticSpec(contexts: 50, vocabulary: 10, support: .fixed(6), seed: 4)
        let data = try SyntheticData.generate(spec)
        try data.validate()
        XCTAssertEqual(data.contextCount, 50)
        for j in 0..<50 {
            XCTAssertEqual(data.supportSize(j), 6)
            XCTAssertEqual(data.rowTotal(j), 1, accuracy: 1e-12)
        }
        XCTAssertEqual(data.contextFrequencies()[7], 0.02, accuracy: 1e-15)
        XCTAssertEqual(try SyntheticData.generate(spec), data)          // deterministic
        XCTAssertNotEqual(try SyntheticData.generate(SyntheticSpec(contexts: 50, vocabulary: 10, support: .fixed(6), seed: 5)), data)
        let opts = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(data.optionsJSON!.utf8)) as? [String: Any])
        XCTAssertEqual(opts["seed"] as? Int, 4)
        XCTAssertEqual(opts["support"] as? String, "6")
        XCTAssertTrue(opts["samples"] is NSNull)
        // The entropy of each context lies in (0, log 6]; total H is their average.
        XCTAssertGreaterThan(data.entropy(), 0)
        XCTAssertLessThan(data.entropy(), Foundation.log(6))
    }

    func testSampledMode() throws {
        let data = try SyntheticData.generate(SyntheticSpec(contexts: 50, vocabulary: 10, support: .uniform(2, 6),
                                                            probabilities: .uniformNormalized, samples: 5000, seed: 1))
        try data.validate()
        XCTAssertEqual(data.eventCount, 5000)
        XCTAssertEqual(data.contextCount, 50)   // 100 expected draws per context: none dropped
        for j in 0..<data.contextCount {
            XCTAssertTrue((1...6).contains(data.supportSize(j)))
            for e in data.rowOffsets[j]..<data.rowOffsets[j + 1] { XCTAssertEqual(data.counts[e], data.counts[e].rounded()) }
        }
        // Few samples: contexts without a draw are dropped and recorded.
        let sparse = try SyntheticData.generate(SyntheticSpec(contexts: 50, vocabulary: 10, support: .fixed(3), samples: 20, seed: 2))
        let opts = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(sparse.optionsJSON!.utf8)) as? [String: Any])
        XCTAssertEqual(sparse.contextCount + (opts["dropped_contexts"] as! Int), 50)
        XCTAssertLessThanOrEqual(sparse.contextCount, 20)
    }

    func testParsingAndEmbeddings() throws {
        XCTAssertEqual(try SyntheticSpec.SupportSize(parsing: "uniform:2-6"), .uniform(2, 6))
        XCTAssertEqual(try SyntheticSpec.SupportSize(parsing: "4"), .fixed(4))
        XCTAssertThrowsError(try SyntheticSpec.SupportSize(parsing: "uniform:6-2"))
        XCTAssertEqual(try SyntheticSpec.Probabilities(parsing: "dirichlet:0.5"), .dirichlet(0.5))
        XCTAssertEqual(try SyntheticSpec.Probabilities(parsing: "uniform"), .uniformNormalized)
        XCTAssertThrowsError(try SyntheticData.generate(SyntheticSpec(contexts: 3, vocabulary: 4, support: .fixed(5))))
        let f = SyntheticData.gaussianEmbeddings(dimension: 3, contexts: 2, scale: 2, seed: 7)
        var rng = SeededGenerator(seed: 7)
        XCTAssertEqual(f.denseMatrix(), (0..<6).map { _ in 2 * rng.nextGaussian() })
        // Dirichlet with small α still normalises (Gamma boost path).
        let d = try SyntheticData.generate(SyntheticSpec(contexts: 5, vocabulary: 8, support: .fixed(8), probabilities: .dirichlet(0.3), seed: 1))
        for j in 0..<5 { XCTAssertEqual(d.rowTotal(j), 1, accuracy: 1e-12) }
    }

    /// QA: Dirichlet(α → 0) concentrates on one token, but every Gamma draw underflowed to 0 and the
    /// rows fell back to uniform (𝓗 = ln 2 at α = 1e-10), or lost support tokens (α = 1e-3). Every row
    /// keeps its k tokens with a probability of at least the smallest normal double (QA round 21: 44 of 1,000
    /// were subnormal at α = 1e-3), and 𝓗 goes to 0.
    func testTinyDirichletConcentrationKeepsTheSupportAndConcentrates() throws {
        for alpha in [1e-10, 1e-3, 1e-200] {
            let d = try SyntheticData.generate(SyntheticSpec(contexts: 200, vocabulary: 20, support: .fixed(5),
                                                             probabilities: .dirichlet(alpha), seed: 3))
            for j in 0..<d.contextCount {
                XCTAssertEqual(d.supportSize(j), 5, "α = \(alpha), row \(j)")
                XCTAssertEqual(d.rowTotal(j), 1, accuracy: 1e-12)
            }
            XCTAssertGreaterThanOrEqual(d.counts.min()!, Double.leastNormalMagnitude, "α = \(alpha)")
            XCTAssertLessThan(d.entropy(), alpha < 1e-9 ? 1e-12 : 0.1, "α = \(alpha)")
        }
    }
}
