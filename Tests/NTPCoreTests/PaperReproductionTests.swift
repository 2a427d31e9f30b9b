import COpenBLAS
import Foundation
import NTPFormats
import XCTest
@testable import NTPCore

/// The paper's overparameterised experiment (theory.md §5, App. A): m = 50 contexts, V = 10,
/// k_j = 6, d = 60, n = 5000 samples, N(0, 1) context embeddings; the data are drawn exactly as
/// `ntpsep synth --contexts 50 --vocab 10 --support 6 --samples 5000 --seed 0 --dim 60
/// --embeddings-out H.npy` draws them (and as `ntpsep reproduce` does).
final class PaperReproductionTests: XCTestCase {
    static let seed: UInt64 = 0

    /// The synth draw: data with seed `seed`, embeddings with seed `seed + 1`, scale 1.
    static func paperProblem() throws -> (DataSet, ContextFeatures) {
        let spec = SyntheticSpec(contexts: 50, vocabulary: 10, support: .fixed(6), probabilities: .dirichlet(1),
                                 samples: 5000, seed: seed)
        let data = try SyntheticData.generate(spec)
        let h = SyntheticData.gaussianEmbeddings(dimension: 60, contexts: data.contextCount, scale: 1, seed: seed &+ 1)
        return (data, h)
    }

    func testPaperDrawIsTheSynthDraw() throws {
        let (data, h) = try Self.paperProblem()
        XCTAssertEqual(data.contextCount, 50)
        XCTAssertEqual(data.eventCount, 5000)
        XCTAssertEqual(h.dimension, 60)
        // `ntpsep synth ... --seed 0` prints 𝓗 = 1.4288 nats; `ntpsep train` on it 1.428760.
        XCTAssertEqual(data.entropy(), 1.428760, accuracy: 5e-7)
    }

    /// GD from zero at η = 1/λ_max(H diag(π̂) Hᵀ): the Trainer equals a plain implementation of
    /// W ← W − η Σ_j π̂_j (softmax(W h̄_j) − p̂_j) h̄_jᵀ written here from the raw counts.
    func testGDFromZeroEqualsStraightforwardUpdate() throws {
        let (data, features) = try Self.paperProblem()
        let v = data.vocabularySize, m = data.contextCount, d = features.dimension
        let h = features.denseMatrix()                         // d × m column-major
        // π̂ and p̂ from the counts.
        let n = data.counts.reduce(0, +)
        var pi = [Double](repeating: 0, count: m)
        var p = [[Double]](repeating: [Double](repeating: 0, count: v), count: m)
        for j in 0..<m {
            let total = (data.rowOffsets[j]..<data.rowOffsets[j + 1]).reduce(0.0) { $0 + data.counts[$1] }
            pi[j] = total / n
            for e in data.rowOffsets[j]..<data.rowOffsets[j + 1] { p[j][Int(data.columns[e])] = data.counts[e] / total }
        }
        // λ_max(H diag(π̂) Hᵀ) by dense power iteration on the explicit d × d matrix.
        var a = [Double](repeating: 0, count: d * d)
        for j in 0..<m { for r in 0..<d { for c in 0..<d { a[r * d + c] += pi[j] * h[j * d + r] * h[j * d + c] } } }
        var x = [Double](repeating: 1, count: d), lambda = 0.0
        for _ in 0..<3000 {
            var y = [Double](repeating: 0, count: d)
            for r in 0..<d { for c in 0..<d { y[r] += a[r * d + c] * x[c] } }
            lambda = y.reduce(0) { $0 + $1 * $1 }.squareRoot()
            x = y.map { $0 / lambda }
        }
        let loss = try NTPLoss(data: data, features: features, threads: 1)
        XCTAssertEqual(loss.curvatureBound(), lambda, accuracy: 1e-7 * lambda)
        let eta = 1 / loss.curvatureBound()

        let steps = 200
        var w = [Double](repeating: 0, count: v * d)
        for _ in 0..<steps {
            var g = [Double](repeating: 0, count: v * d)
            for j in 0..<m {
                var z = [Double](repeating: 0, count: v)
                for t in 0..<v { for i in 0..<d { z[t] += w[t * d + i] * h[j * d + i] } }
                let mx = z.max()!
                let e = z.map { Foundation.exp($0 - mx) }
                let s = e.reduce(0, +)
                for t in 0..<v {
                    let r = pi[j] * (e[t] / s - p[j][t])
                    for i in 0..<d { g[t * d + i] += r * h[j * d + i] }
                }
            }
            for i in w.indices { w[i] -= eta * g[i] }
        }
        let options = TrainingOptions(optimizer: OptimizerConfig(kind: .gd, learningRate: eta), steps: steps, logEvery: steps)
        let result = try Trainer(loss: loss, options: options).run()
        for i in w.indices { XCTAssertEqual(result.weights[i], w[i], accuracy: 1e-10) }
        XCTAssertGreaterThan(Trainer.dot(w, w).squareRoot(), 3)   // W moved far from 0
    }

    /// Plain full-batch GD from zero (BLAS products, glibc exp): the loop of
    /// `testGDFromZeroEqualsStraightforwardUpdate` with the two matrix products done by dgemm,
    /// fast enough in a debug build (the engine's SIMD exp is ~1 µs per element unoptimised).
    /// Calls `visit(k, W_k)` at each k in `at`.
    static func plainGD(data: DataSet, features: ContextFeatures, eta: Double, at: [Int], visit: (Int, [Double]) throws -> Void) rethrows {
        let v = data.vocabularySize, m = data.contextCount, d = features.dimension
        let hT = features.denseMatrix()                       // m × d row-major (= H column-major)
        let pi = data.contextFrequencies(), p = data.conditionalProbabilities()
        var w = [Double](repeating: 0, count: v * d), g = w
        var z = [Double](repeating: 0, count: m * v)
        var k = 0
        for stop in at {
            while k < stop {
                cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(v), Int32(d), 1, hT, Int32(d), w, Int32(d), 0, &z, Int32(v))
                for j in 0..<m {
                    let row = j * v
                    var mx = -Double.infinity
                    for t in 0..<v { mx = max(mx, z[row + t]) }
                    var s = 0.0
                    for t in 0..<v { z[row + t] = Foundation.exp(z[row + t] - mx); s += z[row + t] }
                    for t in 0..<v { z[row + t] *= pi[j] / s }
                    for e in data.rowOffsets[j]..<data.rowOffsets[j + 1] { z[row + Int(data.columns[e])] -= pi[j] * p[e] }
                }
                cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(v), Int32(d), Int32(m), 1, z, Int32(v), hT, Int32(d), 0, &g, Int32(d))
                cblas_daxpy(Int32(v * d), -eta, g, 1, &w, 1)
                k += 1
            }
            try visit(k, w)
        }
    }

    /// Theorem (paper Thm 2, theory.md §3): P_𝓕(W_k) → W*, (W_k − W*) aligns with W^mm and
    /// CE → 𝓗. GD from zero at the default step, 10⁵ updates, logged every 10⁴ (an independent
    /// NumPy run of such a draw measured 5.4e-4, 1.3e-2 and 0.969 at 10⁵).
    func testGDApproachesTheLimitsAfter1e5Steps() throws {
        let (data, features) = try Self.paperProblem()
        let subspace = try DataSubspace(data: data, features: features)
        let star = subspace.solveFinitePart()
        XCTAssertTrue(star.isCompatible)                        // d ≥ m, H full column rank
        let mm = try MaxMarginSolver().solve(subspace)
        XCTAssertEqual(mm.status, .separable)
        let reference = TrainingReference(wStar: star.weights, wMM: mm.weights, subspace: subspace)
        let starNorm = Trainer.dot(star.weights, star.weights).squareRoot()

        let loss = try NTPLoss(data: data, features: features, threads: 1)
        let eta = 1 / loss.curvatureBound()
        // The Trainer itself for the first 10⁴ steps (≈ 8 s in a debug build; 10⁵ would take
        // ≈ 80 s of CPU there), then the plain loop, checked against it at 10⁴, carries on to
        // 10⁵; the log rows of both come from the Trainer's `logRow` with the solved reference.
        let options = TrainingOptions(optimizer: OptimizerConfig(kind: .gd, learningRate: eta), steps: 10_000, logEvery: 10_000)
        let trainer = try Trainer(loss: loss, options: options, reference: reference)
        let run = try trainer.run()
        var rows: [LogRow] = []
        Self.plainGD(data: data, features: features, eta: eta, at: [10_000, 100_000]) { k, w in
            if k == 10_000 {
                let scale = Trainer.dot(w, w).squareRoot()
                for i in w.indices { XCTAssertEqual(run.weights[i], w[i], accuracy: 1e-9 * scale) }
            }
            rows.append(trainer.logRow(step: k, ce: loss.loss(w), weights: w))
        }
        XCTAssertEqual(rows[0].ce, run.log.last!.ce, accuracy: 1e-12)
        let k4 = rows[0], k5 = rows[1]
        let rel4 = k4.distanceToWStar! / starNorm, rel5 = k5.distanceToWStar! / starNorm
        print("paper m = 50: 1e4 steps CE−𝓗 \(k4.gap) ‖P_F W − W*‖/‖W*‖ \(rel4) cos(W − W*, W^mm) \(k4.cosineShiftedMM!)")
        print("paper m = 50: 1e5 steps CE−𝓗 \(k5.gap) ‖P_F W − W*‖/‖W*‖ \(rel5) cos(W − W*, W^mm) \(k5.cosineShiftedMM!)")
        XCTAssertLessThan(k5.gap, 2e-3)
        XCTAssertLessThan(rel5, 5e-2)
        XCTAssertGreaterThan(k5.cosineShiftedMM!, 0.95)
        XCTAssertLessThan(k5.gap, k4.gap)
        XCTAssertLessThan(rel5, rel4)
        XCTAssertGreaterThan(k5.cosineShiftedMM!, k4.cosineShiftedMM!)
        XCTAssertGreaterThan(k5.gap, 0)                         // CE > 𝓗 for every finite W
    }
}
