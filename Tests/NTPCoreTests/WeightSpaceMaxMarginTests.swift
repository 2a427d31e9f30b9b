@testable import NTPCore
import NTPFormats
import XCTest
import TestSupport

/// The NTP-SVM past the gram limit (weight space, no G = HᵀH) against the Gram path, on small
/// instances where the limit is lowered to 0 to force the weight-space path.
final class WeightSpaceMaxMarginTests: XCTestCase {
    /// Random supports, Gaussian H with d < m: separable and not separable instances, checked
    /// against the Gram path (same seed, same steps) and against Wolfe's γ*.
    func testWeightSpaceMatchesGramPath() throws {
        var separable = 0, notSeparable = 0
        // (seed, m, V, d); seeds 3, 4 at m = 6 are separable and 5, 6 are not (TheorySolverTests).
        let cases: [(UInt64, Int, Int, Int)] = [(3, 6, 5, 5), (4, 6, 5, 4), (5, 6, 5, 3), (6, 6, 5, 3),
                                                (21, 40, 8, 24), (24, 30, 6, 20), (23, 40, 8, 6)]
        for (seed, m, v, d) in cases {
            let data = try SyntheticData.generate(SyntheticSpec(contexts: m, vocabulary: v, support: .uniform(1, 3),
                                                                samples: nil, seed: seed))
            let f = SyntheticData.gaussianEmbeddings(dimension: d, contexts: m, scale: 1, seed: seed + 100)
            let solver = MaxMarginSolver(tolerance: 1e-10)
            let withGram = try DataSubspace(data: data, features: f)
            let weightSpace = try DataSubspace(data: data, features: f, gramLimit: 0)
            XCTAssertNotNil(withGram.gram)
            XCTAssertNil(weightSpace.gram)
            let a = try solver.solve(withGram), b = try solver.solve(weightSpace)
            let label = "seed \(seed) m \(m) d \(d)"
            XCTAssertEqual(b.status, a.status, label)
            // The same steps in exact arithmetic: rounding may move the stopping epoch only slightly.
            XCTAssertEqual(Double(b.epochs), Double(a.epochs), accuracy: 0.01 * Double(a.epochs), label)
            if a.status == .separable {
                separable += 1
                let norm = refNorm(a.weights)
                XCTAssertLessThan(refNorm(zip(a.weights, b.weights).map { $0 - $1 }), 1e-8 * norm, label)
                XCTAssertLessThan(maxAbsDiff(a.logits, b.logits), 1e-8 * max(1, a.logits.map(abs).max() ?? 0), label)
                XCTAssertEqual(b.margin, a.margin, accuracy: 1e-8 * a.margin, label)
                XCTAssertEqual(b.margin, 1 / refNorm(b.weights), accuracy: 1e-12 * b.margin, label)
                // γ* = 1/‖W^mm‖ (theory.md §7), computed a second way by the minimum-norm point.
                let wolfe = try XCTUnwrap(Separability.maxMarginByMinNormPoint(data, features: f), label)
                XCTAssertEqual(wolfe.verdict, .separable, label)
                XCTAssertEqual(b.margin, wolfe.gamma, accuracy: 1e-6 * wolfe.gamma, label)
                XCTAssertTrue(b.kkt.satisfied(1e-10), label)
            } else {
                notSeparable += 1
                XCTAssertEqual(a.status, .notSeparable, label)
                let hMax = TheoryKernels.columnNormsSquared(f).max()!.squareRoot()
                XCTAssertLessThan(b.marginUpperBound, 1e-4 * hMax, label)
                XCTAssertEqual(Separability.maxMarginByMinNormPoint(data, features: f)?.verdict, .notSeparable, label)
            }
        }
        XCTAssertGreaterThanOrEqual(separable, 3)
        XCTAssertGreaterThanOrEqual(notSeparable, 2)
    }

    /// The same W^mm whatever the storage of H: sparse columns past the limit match the dense Gram path.
    func testSparseFeaturesInWeightSpace() throws {
        let data = try SyntheticData.generate(SyntheticSpec(contexts: 8, vocabulary: 4, support: .uniform(1, 2), seed: 9))
        // Two unit-ish entries per context out of d = 7 < m = 8.
        let idx: [Int32] = [0, 3, 1, 4, 2, 5, 0, 6, 1, 5, 2, 3, 4, 6, 0, 5]
        let vals: [Double] = [1, 0.5, 1, 2, 1, -1, 0.3, 1, 1, 1, 2, 1, -0.7, 1.5, 0.4, -2]
        let sp = ContextFeatures(dimension: 7, contextCount: 8, storage: .sparse(nonzerosPerContext: 2, indices: idx, values: vals))
        let de = ContextFeatures(dimension: 7, contextCount: 8, storage: .dense(sp.denseMatrix()))
        let solver = MaxMarginSolver(tolerance: 1e-10)
        let a = try solver.solve(DataSubspace(data: data, features: de))
        let b = try solver.solve(DataSubspace(data: data, features: sp, gramLimit: 0))
        XCTAssertEqual(b.status, a.status)
        XCTAssertNotEqual(a.status, .undecided)
        XCTAssertLessThan(maxAbsDiff(a.weights, b.weights), 1e-8 * max(1, refNorm(a.weights)))
    }

    /// Past the limit with d ≥ m only G could show whether H has full column rank: refused, not guessed.
    func testFullRankCandidateIsRefusedPastTheLimit() throws {
        let data = try SyntheticData.generate(SyntheticSpec(contexts: 6, vocabulary: 5, support: .uniform(1, 3), seed: 1))
        let f = SyntheticData.gaussianEmbeddings(dimension: 6, contexts: 6, scale: 1, seed: 101)
        XCTAssertThrowsError(try MaxMarginSolver().solve(DataSubspace(data: data, features: f, gramLimit: 5))) {
            XCTAssertTrue("\($0)".contains("d = 6 ≥ m"), "\($0)")
        }
        XCTAssertEqual(try MaxMarginSolver().solve(DataSubspace(data: data, features: f)).status, .separable)
    }
}
