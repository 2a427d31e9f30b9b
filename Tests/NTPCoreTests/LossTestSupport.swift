import Foundation
import NTPFormats
@testable import NTPCore

/// Small deterministic data sets for the loss/optimizer/training tests.
enum Fixtures {
    /// m contexts over V tokens, support sizes 1...maxSupport, random counts 1...5, and
    /// `contextLength` random context tokens per context (for positional features).
    static func data(m: Int, v: Int, maxSupport: Int, seed: UInt64, contextLength: Int = 2) -> DataSet {
        var rng = SeededGenerator(seed: seed)
        var offsets = [0], cols = [Int32](), counts = [Double](), ctx = [Int32]()
        for _ in 0..<m {
            let k = 1 + Int(rng.next() % UInt64(maxSupport))
            var chosen = Set<Int32>()
            while chosen.count < k { chosen.insert(Int32(rng.next() % UInt64(v))) }
            for c in chosen.sorted() { cols.append(c); counts.append(Double(1 + rng.next() % 5)) }
            offsets.append(cols.count)
            for _ in 0..<contextLength { ctx.append(Int32(rng.next() % UInt64(v))) }
        }
        return DataSet(contextCount: m, vocabularySize: v, rowOffsets: offsets, columns: cols,
                       counts: counts, contexts: ctx, contextLength: contextLength)
    }

    static func gaussian(_ n: Int, seed: UInt64, scale: Double = 1) -> [Double] {
        var rng = SeededGenerator(seed: seed)
        return (0..<n).map { _ in rng.nextGaussian() * scale }
    }

    /// CE and gradient computed the plain way from the dense H (independent of the engine).
    static func referenceLoss(data: DataSet, h: [Double], d: Int, w: [Double]) -> (Double, [Double]) {
        let v = data.vocabularySize, m = data.contextCount
        let pi = data.contextFrequencies(), p = data.conditionalProbabilities()
        var ce = 0.0
        var g = [Double](repeating: 0, count: v * d)
        for j in 0..<m where pi[j] > 0 {
            var z = [Double](repeating: 0, count: v)
            for a in 0..<v { for k in 0..<d { z[a] += w[a * d + k] * h[j * d + k] } }
            let mx = z.max()!
            let s = z.reduce(0) { $0 + Foundation.exp($1 - mx) }
            let lse = mx + Foundation.log(s)
            var target = [Double](repeating: 0, count: v)
            for e in data.rowOffsets[j]..<data.rowOffsets[j + 1] { target[Int(data.columns[e])] = p[e] }
            for a in 0..<v {
                ce += pi[j] * target[a] * (lse - z[a])
                let r = pi[j] * (Foundation.exp(z[a] - lse) - target[a])
                for k in 0..<d { g[a * d + k] += r * h[j * d + k] }
            }
        }
        return (ce, g)
    }
}
