import CKernels
import Foundation
import XCTest
import NTPFormats
@testable import NTPCore

/// The C kernels (CKernels) against scalar glibc and against the other loss paths.
final class KernelTests: XCTestCase {
    /// Every variant this CPU can run (0 baseline, 1 AVX2+FMA, 2 AVX-512).
    var variants: [Int32] { Array(0...ck_isa_supported()) }

    func testExpWithinTwoUlpOfGlibcInEveryVariant() {
        let wide: [Double] = (0..<400_001).map { (i: Int) -> Double in -708.0 + 1417.0 * Double(i) / 400_000 }
        let near: [Double] = (0..<100_001).map { (i: Int) -> Double in -1.0 + 2.0 * Double(i) / 100_000 }
        let xs = wide + near
        let ref = xs.map { Foundation.exp($0) }
        for isa in variants {
            var y = xs
            y.withUnsafeMutableBufferPointer { ck_exp_variant(isa, $0.baseAddress!, Int64($0.count)) }
            var worst = 0.0
            for i in y.indices { worst = max(worst, abs(y[i] - ref[i]) / ref[i].ulp) }
            XCTAssertLessThanOrEqual(worst, 2.0, "variant \(isa)")   // measured: 1.0 in all three
            var special = [-709.0, -800, -Double.infinity, 0, .nan, -1e-300, 1e-300]
            special.withUnsafeMutableBufferPointer { ck_exp_variant(isa, $0.baseAddress!, Int64($0.count)) }
            XCTAssertEqual(Array(special[0..<4]), [0, 0, 0, 1], "variant \(isa)")
            XCTAssertTrue(special[4].isNaN, "variant \(isa)")
            XCTAssertEqual(special[5], 1, "variant \(isa)")
            XCTAssertEqual(special[6], 1, "variant \(isa)")
        }
    }

    /// The fused kernel gives exactly exp(x − shift) element by element (any length, so every
    /// tail shape), and their sum to rounding.
    func testExpShiftedSumIsExpOfShiftedValues() {
        for isa in variants {
            for n in [0, 1, 7, 8, 9, 15, 16, 17, 31, 100, 2003] {
                let x = Fixtures.gaussian(n, seed: UInt64(n), scale: 5)
                var out = [Double](repeating: .nan, count: n)
                let sum = x.withUnsafeBufferPointer { xp in
                    out.withUnsafeMutableBufferPointer { ck_exp_shifted_sum_variant(isa, xp.baseAddress, $0.baseAddress, Int64(n), 1.25) }
                }
                var e = x.map { $0 - 1.25 }
                e.withUnsafeMutableBufferPointer { ck_exp_variant(isa, $0.baseAddress, Int64(n)) }
                XCTAssertEqual(out, e, "variant \(isa) n \(n)")
                let plain = x.reduce(0.0) { $0 + Foundation.exp($1 - 1.25) }
                XCTAssertEqual(sum, plain, accuracy: 1e-14 * max(1, plain), "variant \(isa) n \(n)")
            }
        }
    }

    /// Adam in C gives the bits of the scalar Swift loop it replaced, in every variant and at every tail
    /// length, over 30 steps (moments start at 0, gradients of both signs and a wide range of scales).
    func testAdamUpdateIsBitIdenticalToTheScalarLoop() {
        let config = OptimizerConfig(kind: .adam, learningRate: 0.01)
        for isa in variants {
            for n in [1, 7, 8, 9, 17, 1003] {
                var (w, m, v) = (Fixtures.gaussian(n, seed: 1), [Double](repeating: 0, count: n), [Double](repeating: 0, count: n))
                var (w0, m0, v0) = (w, m, v)
                for step in 1...30 {
                    let g = Fixtures.gaussian(n, seed: UInt64(step), scale: pow(10, Double(step % 7) - 3))
                    let c = Optimizer.AdamCoefficients(config, step: step)
                    for i in 0..<n {
                        m0[i] = c.b1 * m0[i] + (1 - c.b1) * g[i]
                        v0[i] = c.b2 * v0[i] + (1 - c.b2) * g[i] * g[i]
                        w0[i] -= c.eta * (m0[i] / c.corr1) / ((v0[i] / c.corr2).squareRoot() + c.eps)
                    }
                    let k = [c.b1, c.b2, c.eps, c.eta, c.corr1, c.corr2]
                    ck_adam_variant(isa, g, &w, &m, &v, Int64(n), k)
                }
                XCTAssertEqual(w.map(\.bitPattern), w0.map(\.bitPattern), "variant \(isa) n \(n)")
                XCTAssertEqual(m.map(\.bitPattern), m0.map(\.bitPattern), "variant \(isa) n \(n)")
                XCTAssertEqual(v.map(\.bitPattern), v0.map(\.bitPattern), "variant \(isa) n \(n)")
            }
        }
    }

    func testMaxScaleDot() {
        for n in [0, 1, 5, 8, 33, 1000] {
            var x = Fixtures.gaussian(n, seed: 3 + UInt64(n))
            let y = Fixtures.gaussian(n, seed: 99)
            let mx = x.withUnsafeBufferPointer { ck_max($0.baseAddress, Int64(n)) }
            XCTAssertEqual(mx, x.max() ?? -.infinity)
            for isa in variants {
                let d = x.withUnsafeBufferPointer { xp in y.withUnsafeBufferPointer { ck_dot_variant(isa, xp.baseAddress, $0.baseAddress, Int64(n)) } }
                let plain = zip(x, y).reduce(0.0) { $0 + $1.0 * $1.1 }
                XCTAssertEqual(d, plain, accuracy: 1e-13 * Double(max(1, n)))
            }
            let before = x
            x.withUnsafeMutableBufferPointer { ck_scale($0.baseAddress, Int64(n), 0.3) }
            XCTAssertEqual(x, before.map { $0 * 0.3 })
        }
        let withNaN = [1.0, .nan, 3, -2]
        XCTAssertEqual(withNaN.withUnsafeBufferPointer { ck_max($0.baseAddress, 4) }, 3)
    }

    /// The one-hot GD kernel is NTPLoss + Optimizer: same terms, same W, bit for bit.
    func testOnehotGDKernelEqualsLossAndOptimizer() throws {
        let data = Fixtures.data(m: 9, v: 37, maxSupport: 5, seed: 21)
        let loss = try NTPLoss(data: data, features: ContextFeatures.make(.onehot, for: data), blockSize: 4)
        let v = data.vocabularySize, m = data.contextCount, eta = 3.0
        var w = Fixtures.gaussian(v * m, seed: 8)
        var opt = Optimizer(config: OptimizerConfig(kind: .gd, learningRate: eta), parameterCount: v * m)
        var g = [Double]()
        var denseCE: [Double] = []
        for _ in 0..<4 {
            denseCE.append(loss.lossAndGradient(w, gradient: &g))
            opt.apply(gradient: g, to: &w)
        }
        let w0 = Fixtures.gaussian(v * m, seed: 8)
        var ce = [Double](repeating: 0, count: 4)
        var e = [Double](repeating: 0, count: v), save = [Double](repeating: 0, count: 8)
        for j in 0..<m {
            var col = (0..<v).map { w0[$0 * m + j] }
            let lo = data.rowOffsets[j], hi = data.rowOffsets[j + 1]
            let sup = Array(data.columns[lo..<hi]), p = Array(loss.targetProbabilities[lo..<hi])
            for step in 0..<4 {
                // One update per call; the term is the one of the column before it.
                var term = 0.0
                let bad = ck_onehot_gd(&col, &e, &save, Int64(v), sup, p, Int64(hi - lo), loss.contextWeights[j], eta, 1, &term)
                XCTAssertEqual(bad, -1)
                ce[step] += term
            }
            for t in 0..<v { XCTAssertEqual(col[t], w[t * m + j], "context \(j) token \(t)") }
        }
        XCTAssertEqual(ce, denseCE)
    }

    /// Token-major sparse path (tiles of 16 rows, several vocabulary chunks, a partial last
    /// tile, non-unit values) against the dense reference, the gather/scatter path and itself
    /// with other thread counts.
    func testSparseTilesAgreeWithReferenceAndGatherScatter() throws {
        let data = Fixtures.data(m: 41, v: 150, maxSupport: 6, seed: 5, contextLength: 3)
        let onehot = try ContextFeatures.make(.positionalOnehot, for: data)
        guard case .sparse(let r, let idx, _) = onehot.storage else { return XCTFail("not sparse") }
        var rng = SeededGenerator(seed: 17)
        let vals = (0..<idx.count).map { _ in 0.5 + rng.nextGaussian() * 0.3 }
        let valued = ContextFeatures(dimension: onehot.dimension, contextCount: onehot.contextCount,
                                     storage: .sparse(nonzerosPerContext: r, indices: idx, values: vals))
        for f in [onehot, valued] {
            var results: [(Double, [Double])] = []
            for threads in [1, 2, 3] {
                let loss = try NTPLoss(data: data, features: f, threads: threads)
                XCTAssertNotNil(loss.sparseTiles)
                XCTAssertGreaterThan(loss.sparseTiles!.chunks.count, 1)
                let w = Fixtures.gaussian(loss.parameterCount, seed: 6, scale: 3)
                var g = [Double](repeating: .nan, count: loss.parameterCount)
                let ce = loss.lossAndGradient(w, gradient: &g)
                results.append((ce, g))
                if threads == 1 {
                    let (ceRef, gRef) = Fixtures.referenceLoss(data: data, h: f.denseMatrix(), d: f.dimension, w: w)
                    XCTAssertEqual(ce, ceRef, accuracy: 1e-13 * ceRef)
                    for i in g.indices { XCTAssertEqual(g[i], gRef[i], accuracy: 1e-14) }
                    // All contexts as an explicit subset take the gather/scatter path.
                    let all = Array(0..<data.contextCount)
                    var g2 = [Double](repeating: 0, count: loss.parameterCount)
                    let ce2 = all.withUnsafeBufferPointer { ids in
                        w.withUnsafeBufferPointer { wp in
                            g2.withUnsafeMutableBufferPointer { loss.evaluate(wp.baseAddress!, gradient: $0.baseAddress!, contexts: ids, scale: 1) }
                        }
                    }
                    XCTAssertEqual(ce, ce2, accuracy: 1e-14 * ce)
                    for i in g.indices { XCTAssertEqual(g[i], g2[i], accuracy: 1e-15) }
                    XCTAssertEqual(loss.loss(w), ce)      // loss without gradient: same statistics
                }
            }
            for r in results.dropFirst() {
                XCTAssertEqual(r.0, results[0].0)      // bit-identical for any thread count
                XCTAssertEqual(r.1, results[0].1)
            }
        }
    }

    /// Positional one-hot W whose column maxima sit on different tokens far apart: the product
    /// path's shift overshoots the row max by more than 416 nats, so it must hand over to the
    /// exact sweeps, and the result is still the reference one.
    func testProductPathFallsBackWhenTheShiftOvershoots() throws {
        let data = Fixtures.data(m: 30, v: 40, maxSupport: 4, seed: 12, contextLength: 3)
        let f = try ContextFeatures.make(.positionalOnehot, for: data)
        guard case .sparse(let r, let idx, _) = f.storage else { return XCTFail("not sparse") }
        let loss = try NTPLoss(data: data, features: f, threads: 2)
        let d = f.dimension
        var w = Fixtures.gaussian(loss.parameterCount, seed: 3)
        let a = Int(idx[0]), b = Int(idx[1])          // context 0's two features
        w[1 * d + a] = 500; w[2 * d + b] = 500          // maxima of the two columns on tokens 1 and 2
        let products = w.withUnsafeBufferPointer { wp in
            idx.withUnsafeBufferPointer { ip in
                loss.sparseTiles!.evaluateProducts(loss: loss, w: wp.baseAddress!, gradient: nil, r: r, indices: ip.baseAddress!, scale: 1)
            }
        }
        XCTAssertNil(products)
        var g = [Double]()
        let ce = loss.lossAndGradient(w, gradient: &g)
        let (ceRef, gRef) = Fixtures.referenceLoss(data: data, h: f.denseMatrix(), d: d, w: w)
        XCTAssertEqual(ce, ceRef, accuracy: 1e-12 * ceRef)
        for i in g.indices { XCTAssertEqual(g[i], gRef[i], accuracy: 1e-14) }
        // A moderate W stays on the product path.
        let w2 = Fixtures.gaussian(loss.parameterCount, seed: 3, scale: 20)
        let ok = w2.withUnsafeBufferPointer { wp in
            idx.withUnsafeBufferPointer { ip in
                loss.sparseTiles!.evaluateProducts(loss: loss, w: wp.baseAddress!, gradient: nil, r: r, indices: ip.baseAddress!, scale: 1)
            }
        }
        XCTAssertNotNil(ok)
        XCTAssertEqual(ok!, Fixtures.referenceLoss(data: data, h: f.denseMatrix(), d: d, w: w2).0, accuracy: 1e-12)
    }
}
