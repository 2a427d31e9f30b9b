import Foundation
import XCTest
import NTPFormats
@testable import NTPCore

final class TrainingTests: XCTestCase {
    let data = Fixtures.data(m: 19, v: 8, maxSupport: 3, seed: 33)

    func testGDFromZeroMatchesStraightforwardImplementation() throws {
        let f = try ContextFeatures.make(.gaussian(dimension: 6, seed: 1), for: data)
        let loss = try NTPLoss(data: data, features: f, blockSize: 4)
        let eta = 1 / loss.curvatureBound()
        let opts = TrainingOptions(optimizer: OptimizerConfig(kind: .gd, learningRate: eta), steps: 50, logEvery: 10)
        let result = try Trainer(loss: loss, options: opts).run()
        var w50 = [Double](repeating: 0, count: loss.parameterCount)
        var ces: [Double] = []
        for k in 0...50 {
            let (ce, g) = Fixtures.referenceLoss(data: data, h: f.denseMatrix(), d: 6, w: w50)
            if k % 10 == 0 { ces.append(ce) }
            if k < 50 { for i in w50.indices { w50[i] -= eta * g[i] } }
        }
        for i in w50.indices { XCTAssertEqual(result.weights[i], w50[i], accuracy: 1e-12) }
        XCTAssertEqual(result.log.map(\.step), [0, 10, 20, 30, 40, 50])
        for (r, c) in zip(result.log, ces) { XCTAssertEqual(r.ce, c, accuracy: 1e-12) }
        XCTAssertEqual(result.log[0].ce, log(8.0), accuracy: 1e-14)
        XCTAssertEqual(result.log[0].norm, 0)
        XCTAssertLessThan(result.log[5].ce, result.log[1].ce)
    }

    func testOnehotClosedFormReferenceIsConsistent() throws {
        let loss = try NTPLoss(data: data, features: ContextFeatures.make(.onehot, for: data))
        let ref = TrainingReference.onehot(loss)
        let m = data.contextCount, v = data.vocabularySize
        let p = data.conditionalProbabilities()
        for (a, b) in zip(ref.projectOntoF(ref.wStar), ref.wStar) { XCTAssertEqual(a, b, accuracy: 1e-15) }  // W* ∈ 𝓕
        XCTAssertEqual(ref.projectOntoF(ref.wMM).map { abs($0) }.max()!, 0, accuracy: 1e-15)  // W^mm ⊥ 𝓕
        var normMM2 = 0.0
        for j in 0..<m {
            let support = Set((data.rowOffsets[j]..<data.rowOffsets[j + 1]).map { Int(data.columns[$0]) })
            let k = support.count
            normMM2 += Double(k * (v - k)) / Double(v)
            for z in support { for u in 0..<v where !support.contains(u) {
                XCTAssertEqual(ref.wMM[z * m + j] - ref.wMM[u * m + j], 1, accuracy: 1e-15)   // margin 1
            } }
            let es = Array(data.rowOffsets[j]..<data.rowOffsets[j + 1])
            for a in es { for b in es {   // log-odds on the support
                XCTAssertEqual(ref.wStar[Int(data.columns[a]) * m + j] - ref.wStar[Int(data.columns[b]) * m + j],
                               log(p[a] / p[b]), accuracy: 1e-14)
            } }
        }
        XCTAssertEqual(Trainer.dot(ref.wMM, ref.wMM), normMM2, accuracy: 1e-12)
    }

    func testStreamingOnehotEqualsDenseIdentity() throws {
        for kind in [OptimizerKind.gd, .adam] {
            let loss = try NTPLoss(data: data, features: ContextFeatures.make(.onehot, for: data), blockSize: 5)
            let eta = kind == .gd ? 1 / loss.curvatureBound() : 0.05
            let opts = TrainingOptions(optimizer: OptimizerConfig(kind: kind, learningRate: eta), steps: 40,
                                       logEvery: 7, initialization: .gaussian(seed: 4))
            let dense = try Trainer(loss: loss, options: opts, reference: .onehot(loss)).run()
            var columns = [Double](repeating: .nan, count: loss.parameterCount)
            let v = data.vocabularySize, m = data.contextCount
            let rows = try OnehotStreamingTrainer(loss: loss, options: opts).run(emit: { first, count, block in
                for i in 0..<count { for t in 0..<v { columns[t * m + first + i] = block[i * v + t] } }
            })
            XCTAssertEqual(columns, dense.weights, "\(kind)")                 // bit-identical W
            XCTAssertEqual(rows.map(\.step), dense.log.map(\.step))
            XCTAssertEqual(rows.map(\.step), [0, 7, 14, 21, 28, 35, 40])
            for (a, b) in zip(rows, dense.log) {
                XCTAssertEqual(a.ce, b.ce, "\(kind)")                        // bit-identical CE
                XCTAssertEqual(a.norm, b.norm, accuracy: 1e-13 * max(1, b.norm))
                XCTAssertEqual(a.distanceToWStar!, b.distanceToWStar!, accuracy: 1e-12)
                XCTAssertEqual(a.cosineMM!, b.cosineMM!, accuracy: 1e-12)
                XCTAssertEqual(a.cosineShiftedMM!, b.cosineShiftedMM!, accuracy: 1e-12)
            }
            // GD drives the direction towards W^mm and P_𝓕(W) towards W* (theory.md §3).
            if kind == .gd {
                XCTAssertGreaterThan(rows.last!.cosineShiftedMM!, rows[1].cosineShiftedMM!)
                XCTAssertLessThan(rows.last!.distanceToWStar!, rows.first!.distanceToWStar!)
            }
        }
        let loss = try NTPLoss(data: data, features: ContextFeatures.make(.onehot, for: data))
        XCTAssertThrowsError(try OnehotStreamingTrainer(loss: loss, options: TrainingOptions(
            optimizer: OptimizerConfig(kind: .ngd, learningRate: 0.01), steps: 3)))
    }

    func testRunsAreDeterministicAndCSVIsFixed() throws {
        let f = try ContextFeatures.make(.gaussian(dimension: 4, seed: 2), for: data)
        func csv() throws -> String {
            let loss = try NTPLoss(data: data, features: f, blockSize: 3, threads: 2)
            let opts = TrainingOptions(optimizer: OptimizerConfig(kind: .adam, learningRate: 0.01), steps: 30,
                                       logEvery: 10, batchContexts: 6, seed: 9)
            return TrainingLogFormat.csv(try Trainer(loss: loss, options: opts).run().log)
        }
        let a = try csv(), b = try csv()
        XCTAssertEqual(a, b)
        let lines = a.split(separator: "\n")
        XCTAssertEqual(lines.count, 5)
        XCTAssertEqual(String(lines[0]), TrainingLogFormat.csvHeader)
        XCTAssertEqual(String(lines[1]), "0,2.079441541680e+00,\(String(format: "%.12e", log(8.0) - data.entropy())),0.000000000000e+00,,,,,")
    }

    func testInterruptCheckpointResumeEqualsUninterrupted() throws {
        let f = try ContextFeatures.make(.positionalOnehot, for: data)
        let loss = try NTPLoss(data: data, features: f, blockSize: 4)
        let opts = TrainingOptions(optimizer: OptimizerConfig(kind: .adam, learningRate: 0.02), steps: 12, logEvery: 3)
        let full = try Trainer(loss: loss, options: opts).run()
        var polls = 0
        let part = try Trainer(loss: loss, options: opts).run(shouldStop: { polls += 1; return polls == 5 })
        XCTAssertTrue(part.interrupted)
        XCTAssertEqual(part.stepsDone, 5)
        let path = NSTemporaryDirectory() + "ntpsep-ckpt-\(getpid())"
        defer { unlink(path) }
        try TrainingCheckpoint(step: part.stepsDone, weights: part.weights, optimizerState: part.optimizerState,
                               options: opts, log: part.log, metadata: "{\"x\":1}").write(to: path)
        let ckpt = try TrainingCheckpoint(contentsOf: path)
        XCTAssertEqual(ckpt.metadata, "{\"x\":1}")
        XCTAssertEqual(ckpt.options, opts)
        let resumed = try Trainer(loss: loss, options: ckpt.options).run(resume: ckpt)
        XCTAssertEqual(resumed.weights, full.weights)
        XCTAssertEqual(resumed.log, full.log)
        XCTAssertEqual(resumed.optimizerState, full.optimizerState)
        XCTAssertThrowsError(try TrainingCheckpoint(contentsOf: "/nonexistent/ckpt"))
    }

    func testDivergenceIsReported() throws {
        let f = try ContextFeatures.make(.gaussian(dimension: 4, seed: 2), for: data)
        let loss = try NTPLoss(data: data, features: f)
        let opts = TrainingOptions(optimizer: OptimizerConfig(kind: .gd, learningRate: 1e308), steps: 10)
        XCTAssertThrowsError(try Trainer(loss: loss, options: opts).run()) { error in
            guard case TrainingError.diverged = error else { return XCTFail("\(error)") }
            XCTAssertTrue("\(error)".contains("smaller --lr"))
        }
    }
}
