import Foundation
import XCTest
import NTPFormats
@testable import NTPCore

/// Size measurements, run only with NTPSEP_BENCH=1 (prints times; asserts only a verified verdict).
/// NTPSEP_BENCH_M / _V / _LEN / _SPEC override the instance (defaults: m = 2000, V = 200,
/// positional-onehot order 3 on a Zipfian Markov stream).
final class SeparabilityBenchmarkTests: XCTestCase {
    func testDecisionAtScale() throws {
        let env = ProcessInfo.processInfo.environment
        guard env["NTPSEP_BENCH"] == "1" else { throw XCTSkip("set NTPSEP_BENCH=1 to run") }
        let m = Int(env["NTPSEP_BENCH_M"] ?? "") ?? 2000
        let V = Int(env["NTPSEP_BENCH_V"] ?? "") ?? 200
        let length = Int(env["NTPSEP_BENCH_LEN"] ?? "") ?? 60_000
        let spec = try EmbeddingSpec(parsing: env["NTPSEP_BENCH_SPEC"] ?? "positional-onehot")
        let full = SyntheticText.zipfianMarkov(vocabularySize: V, length: length, seed: 1)
        let data = DataSetSampling.subsample(full, maxContexts: m, seed: 3).data
        let h = try ContextFeatures.make(spec, for: data)
        var k = [Int: Int]()
        for j in 0..<data.contextCount { k[data.supportSize(j), default: 0] += 1 }
        print("bench: distinct contexts \(full.contextCount), kept m = \(data.contextCount), V = \(V), d = \(h.dimension), stored pairs \(data.storedCount), k histogram (first) \(k.sorted { $0.key < $1.key }.prefix(8))")
        var o = SeparabilityOptions()
        o.useClosedForms = env["NTPSEP_BENCH_CLOSED"] != "0"
        o.aggregateRows = env["NTPSEP_BENCH_AGG"] != "0"
        o.fullLPNonzeros = Int(env["NTPSEP_BENCH_FULL"] ?? "") ?? 0
        o.scale = env["NTPSEP_BENCH_SCALE"] == "1"
        o.timeLimit = Double(env["NTPSEP_BENCH_LIMIT"] ?? "") ?? 600
        let r = Separability.decide(data, features: h, options: o)
        print("bench: verdict \(r.verdict), reason \(r.reason ?? "-"), lp \(String(describing: r.lp)), check \(String(describing: r.check)), involved \(r.involvedContexts.count), normalized margin \(r.normalizedMargin ?? .nan)")
        XCTAssertNotEqual(r.verdict, .undecided)
    }
}
