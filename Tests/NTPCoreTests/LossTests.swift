import Foundation
import XCTest
import NTPFormats
@testable import NTPCore

final class LossTests: XCTestCase {
    let data = Fixtures.data(m: 23, v: 11, maxSupport: 4, seed: 7)

    func features(_ kind: String) throws -> ContextFeatures {
        switch kind {
        case "onehot": return try ContextFeatures.make(.onehot, for: data)
        case "gaussian": return try ContextFeatures.make(.gaussian(dimension: 5, seed: 3), for: data)
        default: return try ContextFeatures.make(.positionalOnehot, for: data)
        }
    }

    func testFastExpWithinTwoUlpOfGlibc() {
        var xs = (0..<200_001).map { -708.0 + 1417.0 * Double($0) / 200_000 }
        let ref = xs.map { Foundation.exp($0) }
        xs.withUnsafeMutableBufferPointer { FastExp.expInPlace($0.baseAddress!, count: $0.count) }
        var worst = 0.0
        for i in xs.indices { worst = max(worst, abs(xs[i] - ref[i]) / ref[i].ulp) }
        XCTAssertLessThanOrEqual(worst, 2.0)
        var tiny = [-709.0, -800, -Double.infinity, 0]
        tiny.withUnsafeMutableBufferPointer { FastExp.expInPlace($0.baseAddress!, count: 4) }
        XCTAssertEqual(tiny, [0, 0, 0, 1])

        // The fused softmax kernel gives exactly expInPlace(x − shift) and their sum.
        var a = (0..<37).map { Double($0) * 0.7 - 20 }, b = a.map { $0 - 3.5 }
        let sum = a.withUnsafeMutableBufferPointer { FastExp.expShiftedSum($0.baseAddress!, count: 37, shift: 3.5) }
        b.withUnsafeMutableBufferPointer { FastExp.expInPlace($0.baseAddress!, count: 37) }
        XCTAssertEqual(a, b)
        XCTAssertEqual(sum, b.reduce(0, +), accuracy: 1e-15 * sum)
        var af = (0..<37).map { Float($0) * 0.7 - 20 }, bf = af.map { $0 - 3.5 }
        let sumf = af.withUnsafeMutableBufferPointer { FastExp.expShiftedSum($0.baseAddress!, count: 37, shift: 3.5) }
        bf.withUnsafeMutableBufferPointer { FastExp.expInPlace($0.baseAddress!, count: 37) }
        XCTAssertEqual(af, bf)
        XCTAssertEqual(sumf, bf.reduce(0.0) { $0 + Double($1) }, accuracy: 1e-6 * sumf)

        var fs = (0..<100_001).map { Float(-87 + 175 * Double($0) / 100_000) }
        let fref = fs.map { Foundation.expf($0) }
        fs.withUnsafeMutableBufferPointer { FastExp.expInPlace($0.baseAddress!, count: $0.count) }
        var fworst: Float = 0
        for i in fs.indices { fworst = max(fworst, abs(fs[i] - fref[i]) / fref[i].ulp) }
        XCTAssertLessThanOrEqual(fworst, 2.0)
    }

    func testLossAtZeroIsLogV() throws {
        for kind in ["onehot", "gaussian", "positional"] {
            let f = try features(kind)
            let loss = try NTPLoss(data: data, features: f, blockSize: 4)
            let w = [Double](repeating: 0, count: loss.parameterCount)
            XCTAssertEqual(loss.loss(w), Foundation.log(11.0), accuracy: 1e-14, kind)
            XCTAssertGreaterThan(loss.loss(w), loss.entropy)
            // Every context alone (scale 1/π̂_j undoes its weight) is log V too.
            for j in 0..<data.contextCount {
                let one = [j]
                let ce = one.withUnsafeBufferPointer { ids in
                    w.withUnsafeBufferPointer { loss.evaluate($0.baseAddress!, gradient: nil, contexts: ids, scale: 1 / loss.contextWeights[j]) }
                }
                XCTAssertEqual(ce, Foundation.log(11.0), accuracy: 1e-14, "\(kind) context \(j)")
            }
        }
    }

    func testAgreesWithPlainImplementationAndFiniteDifferences() throws {
        for kind in ["onehot", "gaussian", "positional"] {
            let f = try features(kind)
            let loss = try NTPLoss(data: data, features: f, blockSize: 5)
            let w = Fixtures.gaussian(loss.parameterCount, seed: 11)
            var g = [Double]()
            let ce = loss.lossAndGradient(w, gradient: &g)
            let (ceRef, gRef) = Fixtures.referenceLoss(data: data, h: f.denseMatrix(), d: f.dimension, w: w)
            XCTAssertEqual(ce, ceRef, accuracy: 1e-13 * ceRef, kind)
            for i in g.indices { XCTAssertEqual(g[i], gRef[i], accuracy: 1e-14, kind) }
            // Central differences on a few coordinates: O(h²) ≈ 1e-10 error.
            for i in stride(from: 0, to: w.count, by: max(1, w.count / 17)) {
                var wp = w, wm = w
                let h = 1e-5
                wp[i] += h; wm[i] -= h
                let fd = (loss.loss(wp) - loss.loss(wm)) / (2 * h)
                XCTAssertEqual(g[i], fd, accuracy: 1e-9, "\(kind) coordinate \(i)")
            }
        }
    }

    /// CE is summed context by context, so without GEMMs it is bit-identical for any block size
    /// or thread count; GEMM results depend on the block shape only through BLAS-internal
    /// ordering, so with dense features the numbers agree to rounding.
    func testBlockSizesAgree() throws {
        for kind in ["onehot", "gaussian", "positional"] {
            let f = try features(kind)
            var results: [(Double, [Double])] = []
            for (b, t) in [(1, 1), (7, 2), (1024, 2)] {
                let loss = try NTPLoss(data: data, features: f, blockSize: b, threads: t)
                let w = Fixtures.gaussian(loss.parameterCount, seed: 5)
                var g = [Double]()
                let ce = loss.lossAndGradient(w, gradient: &g)
                results.append((ce, g))
            }
            for r in results.dropFirst() {
                if kind == "gaussian" {
                    XCTAssertEqual(r.0, results[0].0, accuracy: 1e-15 * results[0].0, kind)
                    for i in r.1.indices { XCTAssertEqual(r.1[i], results[0].1[i], accuracy: 1e-16, kind) }
                } else {
                    XCTAssertEqual(r.0, results[0].0, kind)
                    XCTAssertEqual(r.1, results[0].1, kind)
                }
            }
        }
    }

    /// Same block size, 1, 2 or 3 workers: CE and the gradient are the same bits, for every
    /// feature kind and precision, over all contexts and over a subset (a stochastic step). With
    /// blocks of 2 contexts the dense path has 12 groups, which 2 and 3 workers take in
    /// different waves. (Before the fixed groups, the dense gradient was a sum of per-worker
    /// partials and differed between thread counts.)
    func testSameBitsForAnyThreadCount() throws {
        let subset = [0, 2, 3, 5, 8, 9, 13, 14, 15, 16, 20, 22]
        for kind in ["onehot", "gaussian", "positional"] {
            let f = try features(kind)
            for precision in Precision.allCases {
                var results: [[Double]] = []
                for threads in [1, 2, 3] {
                    let loss = try NTPLoss(data: data, features: f, precision: precision, blockSize: 2, threads: threads)
                    let w = Fixtures.gaussian(loss.parameterCount, seed: 5)
                    var g = [Double]()
                    let ce = loss.lossAndGradient(w, gradient: &g)
                    var gs = [Double](repeating: 0, count: loss.parameterCount)
                    let cs = subset.withUnsafeBufferPointer { ids in
                        w.withUnsafeBufferPointer { wp in
                            gs.withUnsafeMutableBufferPointer { gp in
                                loss.evaluate(wp.baseAddress!, gradient: gp.baseAddress!, contexts: ids, scale: 23.0 / 12)
                            }
                        }
                    }
                    results.append([ce, cs, loss.loss(w)] + g + gs)
                }
                XCTAssertTrue(results[0].allSatisfy(\.isFinite))
                XCTAssertEqual(results[1].map(\.bitPattern), results[0].map(\.bitPattern), "\(kind) \(precision) 2 threads")
                XCTAssertEqual(results[2].map(\.bitPattern), results[0].map(\.bitPattern), "\(kind) \(precision) 3 threads")
            }
        }
    }

    /// The dense path's blocks and groups: a function of the context count and block size only.
    func testDenseReductionPlan() {
        let bench = DenseReductionPlan(count: 20_000, blockSize: 512)   // 40 blocks, 5 per group
        XCTAssertEqual([bench.blocksPerGroup, bench.groupCount], [5, 8])
        XCTAssertEqual(bench.contexts(ofGroup: 0), 0..<2560)
        XCTAssertEqual(bench.contexts(ofGroup: 7), 17_920..<20_000)
        let small = DenseReductionPlan(count: 23, blockSize: 2)         // 12 blocks, one per group
        XCTAssertEqual([small.blocksPerGroup, small.groupCount], [1, 12])
        XCTAssertEqual(small.contexts(ofGroup: 11), 22..<23)
        let large = DenseReductionPlan(count: 1_000_000, blockSize: 512) // 1954 blocks, 8 per group
        XCTAssertEqual([large.blocksPerGroup, large.groupCount], [8, 245])
        XCTAssertEqual(DenseReductionPlan(count: 0, blockSize: 512).groupCount, 0)
    }

    func testFloat32CloseToFloat64() throws {
        for kind in ["onehot", "gaussian", "positional"] {
            let f = try features(kind)
            let l64 = try NTPLoss(data: data, features: f, precision: .float64, blockSize: 6)
            let l32 = try NTPLoss(data: data, features: f, precision: .float32, blockSize: 6)
            let w = Fixtures.gaussian(l64.parameterCount, seed: 9)
            var g64 = [Double](), g32 = [Double]()
            let c64 = l64.lossAndGradient(w, gradient: &g64)
            let c32 = l32.lossAndGradient(w, gradient: &g32)
            XCTAssertEqual(c32, c64, accuracy: 1e-6 * c64, kind)
            XCTAssertNotEqual(c32, c64, kind)      // really computed in Float
            for i in g64.indices { XCTAssertEqual(g32[i], g64[i], accuracy: 1e-6, kind) }
        }
    }

    func testSubsetWithScaleIsTheRescaledPartialSum() throws {
        let f = try features("gaussian")
        let loss = try NTPLoss(data: data, features: f, blockSize: 3)
        let w = Fixtures.gaussian(loss.parameterCount, seed: 2)
        let ids = [2, 5, 6, 19]
        let pi = data.contextFrequencies()
        var sub = 0.0
        var gSub = [Double](repeating: 0, count: loss.parameterCount)
        for j in ids {
            // Keep only row j: π̂ becomes 1 for it, so weight the plain result by the true π̂_j.
            var one = data
            for e in 0..<one.counts.count where !(data.rowOffsets[j]..<data.rowOffsets[j + 1]).contains(e) { one.counts[e] = 0 }
            let (c, gj) = Fixtures.referenceLoss(data: one, h: f.denseMatrix(), d: f.dimension, w: w)
            sub += pi[j] * c
            for i in gSub.indices { gSub[i] += 2.5 * pi[j] * gj[i] }
        }
        var g = [Double](repeating: 0, count: loss.parameterCount)
        let est = ids.withUnsafeBufferPointer { idp in
            w.withUnsafeBufferPointer { wp in
                g.withUnsafeMutableBufferPointer { gp in
                    loss.evaluate(wp.baseAddress!, gradient: gp.baseAddress!, contexts: idp, scale: 2.5)
                }
            }
        }
        XCTAssertEqual(est, 2.5 * sub, accuracy: 1e-13)
        for i in g.indices { XCTAssertEqual(g[i], gSub[i], accuracy: 1e-14) }
    }

    func testCurvatureBound() throws {
        // One-hot: H diag(π̂) Hᵀ = diag(π̂), λ_max = max π̂ exactly.
        let l1 = try NTPLoss(data: data, features: features("onehot"))
        XCTAssertEqual(l1.curvatureBound(), data.contextFrequencies().max()!)
        let pi = data.contextFrequencies()
        for kind in ["gaussian", "positional"] {
            let f = try features(kind)
            let loss = try NTPLoss(data: data, features: f)
            let h = f.denseMatrix(), d = f.dimension
            var a = [Double](repeating: 0, count: d * d)
            for j in 0..<data.contextCount { for r in 0..<d where h[j * d + r] != 0 { for c in 0..<d { a[r * d + c] += pi[j] * h[j * d + r] * h[j * d + c] } } }
            XCTAssertEqual(loss.curvatureBound(), Self.largestEigenvalue(a, d), accuracy: 1e-7, kind)
        }
    }

    /// Jacobi eigenvalue iteration: slow, simple, independent of the engine.
    static func largestEigenvalue(_ a: [Double], _ n: Int) -> Double {
        var a = a
        for _ in 0..<100 {
            var off = 0.0
            for p in 0..<n { for q in 0..<n where p != q { off += a[p * n + q] * a[p * n + q] } }
            if off < 1e-28 { break }
            for p in 0..<n { for q in (p + 1)..<n where abs(a[p * n + q]) > 1e-300 {
                let theta = (a[q * n + q] - a[p * n + p]) / (2 * a[p * n + q])
                let t = (theta >= 0 ? 1.0 : -1.0) / (abs(theta) + (theta * theta + 1).squareRoot())
                let c = 1 / (t * t + 1).squareRoot(), s = t * c
                for k in 0..<n {
                    let akp = a[k * n + p], akq = a[k * n + q]
                    a[k * n + p] = c * akp - s * akq; a[k * n + q] = s * akp + c * akq
                }
                for k in 0..<n {
                    let apk = a[p * n + k], aqk = a[q * n + k]
                    a[p * n + k] = c * apk - s * aqk; a[q * n + k] = s * apk + c * aqk
                }
            } }
        }
        return (0..<n).map { a[$0 * n + $0] }.max()!
    }
}
