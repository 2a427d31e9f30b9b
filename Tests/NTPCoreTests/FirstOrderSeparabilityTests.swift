@testable import NTPCore
import NTPFormats
import XCTest

/// The first-order look steps only the rows it changes; a plain transcription of the subgradient method that
/// clears and measures all of W every iteration must give the same statistics, bit for bit.
final class FirstOrderSeparabilityTests: XCTestCase {
    /// (best min margin / ‖W‖_F, best fraction separated) of `iterations` + 1 steps from W = 0, with every pass
    /// over all of W (the method as it was before it tracked rows).
    private func plainRun(_ data: DataSet, _ features: ContextFeatures, iterations: Int) -> (Double, Double) {
        let m = data.contextCount, V = data.vocabularySize, d = features.dimension
        var columns = [[Double]](repeating: [], count: m)
        for j in 0..<m {
            var h = [Double](repeating: 0, count: d)
            h.withUnsafeMutableBufferPointer { features.column(j, into: $0.baseAddress!) }
            columns[j] = h
        }
        let maxNorm2 = columns.map { h -> Double in let n = h.reduce(0) { $0 + $1 * $1 }.squareRoot(); return n * n }.max()!
        let active = (0..<m).filter { data.supportSize($0) > 0 && data.supportSize($0) < V }
        var w = [Double](repeating: 0, count: V * d), best = (-Double.infinity, 0.0)
        for _ in 0...iterations {
            var g = [Double](repeating: 0, count: V * d), minMargin = Double.infinity, separated = 0
            for j in active {
                let support = Set((data.rowOffsets[j]..<data.rowOffsets[j + 1]).map { Int(data.columns[$0]) })
                let logits = (0..<V).map { r in (0..<d).reduce(0.0) { $0 + w[r * d + $1] * columns[j][$1] } }
                let inside = (0..<V).filter { support.contains($0) }, outside = (0..<V).filter { !support.contains($0) }
                let z = inside.min { logits[$0] < logits[$1] }!, v = outside.max { logits[$0] < logits[$1] }!
                let margin = logits[z] - logits[v]
                minMargin = min(minMargin, margin)
                if margin > 0 { separated += 1 }
                if margin < 1 { for i in 0..<d { g[z * d + i] += columns[j][i]; g[v * d + i] -= columns[j][i] } }
            }
            let norm = w.reduce(0) { $0 + $1 * $1 }.squareRoot()
            if norm > 0 { best.0 = max(best.0, minMargin / norm) }
            best.1 = max(best.1, Double(separated) / Double(active.count))
            let scale = (1 / maxNorm2) / Double(active.count).squareRoot()
            for i in 0..<w.count { w[i] += scale * g[i] }
        }
        return best
    }

    func testTrackedRowsGiveThePlainMethodsBits() throws {
        let data = try SyntheticData.generate(SyntheticSpec(contexts: 40, vocabulary: 30, support: .uniform(1, 4), seed: 6))
        var rng = SeededGenerator(seed: 2)
        let sparse = ContextFeatures(dimension: 20, contextCount: 40, storage: .sparse(nonzerosPerContext: 2, indices: (0..<40).flatMap { _ in
            [Int32(rng.next() % 10), 10 + Int32(rng.next() % 10)]
        }, values: nil))
        for features in [SyntheticData.gaussianEmbeddings(dimension: 6, contexts: 40, scale: 1, seed: 3), sparse] {
            let stats = FirstOrderSeparability.run(data, features: features, iterations: 40)
            let plain = plainRun(data, features, iterations: 40)
            XCTAssertEqual(stats.bestNormalizedMinMargin, plain.0)
            XCTAssertEqual(stats.bestFractionSeparated, plain.1)
            XCTAssertGreaterThan(plain.1, 0)
        }
    }
}
