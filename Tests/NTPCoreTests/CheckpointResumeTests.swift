import XCTest
import Foundation
import NTPFormats
@testable import NTPCore

/// Ctrl-C checkpoints: resuming is bit-identical to an uninterrupted run for every optimizer,
/// embedding and batch mode; non-finite log values survive as JSON null; damage is rejected.
final class CheckpointResumeTests: XCTestCase {
    private let data = Fixtures.data(m: 12, v: 6, maxSupport: 3, seed: 5)

    /// N steps straight against N/2, checkpoint to bytes and back, then the rest: W, optimizer
    /// state and the log (as CSV text, so NaN cells compare) must be identical, bit for bit.
    func testResumeIsBitIdenticalForEveryOptimizerEmbeddingAndBatchMode() throws {
        let specs: [EmbeddingSpec] = [.onehot, .gaussian(dimension: 5, seed: 3), .positionalOnehot,
                                      .positionalGaussian(dimension: 3, seed: 4)]
        for spec in specs {
            let features = try ContextFeatures.make(spec, for: data)
            let loss = try NTPLoss(data: data, features: features, blockSize: 4)
            let reference: TrainingReference? = spec == .onehot ? .onehot(loss) : nil
            for kind in [OptimizerKind.gd, .ngd, .adam] {
                for batch in [nil, 5] {
                    let what = "\(spec) \(kind) batch \(batch.map(String.init) ?? "full")"
                    let options = TrainingOptions(optimizer: OptimizerConfig(kind: kind, learningRate: kind == .gd ? 0.5 : 0.05),
                                                  steps: 20, logEvery: 3, batchContexts: batch, seed: 11)
                    let straight = try Trainer(loss: loss, options: options, reference: reference).run()
                    var polls = 0
                    let half = try Trainer(loss: loss, options: options, reference: reference)
                        .run(shouldStop: { polls += 1; return polls == 10 })
                    XCTAssertTrue(half.interrupted, what)
                    XCTAssertEqual(half.stepsDone, 10, what)
                    let bytes = try TrainingCheckpoint(step: half.stepsDone, weights: half.weights, optimizerState: half.optimizerState,
                                                       options: options, log: half.log).encoded()
                    let restored = try TrainingCheckpoint(bytes: bytes, path: "mem")
                    let resumed = try Trainer(loss: loss, options: restored.options, reference: reference).run(resume: restored)
                    XCTAssertEqual(resumed.weights.map(\.bitPattern), straight.weights.map(\.bitPattern), what)
                    XCTAssertEqual(resumed.optimizerState, straight.optimizerState, what)
                    XCTAssertEqual(TrainingLogFormat.csv(resumed.log), TrainingLogFormat.csv(straight.log), what)
                }
            }
        }
    }

    /// cos(W, W^mm) at W = 0 is 0/0: the checkpoint holds it as null (JSONEncoder refused NaN, so
    /// Ctrl-C wrote nothing) and reads it back as NaN; an absent column stays absent.
    func testNonFiniteLogValuesAreWrittenAsNull() throws {
        let row = LogRow(step: 0, ce: 1.5, gap: .infinity, norm: 0, distanceToWStar: 2, cosineMM: .nan, cosineShiftedMM: -.infinity)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = String(decoding: try encoder.encode(row), as: UTF8.self)
        XCTAssertEqual(json, #"{"ce":1.5,"cosineMM":null,"cosineShiftedMM":null,"distanceToWStar":2,"gap":null,"norm":0,"step":0}"#)
        let back = try JSONDecoder().decode(LogRow.self, from: Data(json.utf8))
        XCTAssertEqual(back.ce, 1.5)
        XCTAssertTrue(back.gap.isNaN)
        XCTAssertTrue(back.cosineMM!.isNaN)
        XCTAssertNil(back.marginInfRatio)
        XCTAssertEqual(back.distanceToWStar, 2)
    }

    /// Every single flipped byte (and a truncation, and an old version) is rejected with a message
    /// that names the file.
    func testEveryFlippedByteIsRejected() throws {
        let loss = try NTPLoss(data: data, features: try ContextFeatures.make(.onehot, for: data))
        let options = TrainingOptions(optimizer: OptimizerConfig(kind: .adam, learningRate: 0.05), steps: 4, logEvery: 2)
        var polls = 0
        let part = try Trainer(loss: loss, options: options, reference: .onehot(loss)).run(shouldStop: { polls += 1; return polls == 2 })
        let bytes = try TrainingCheckpoint(step: part.stepsDone, weights: part.weights, optimizerState: part.optimizerState,
                                           options: options, log: part.log).encoded()
        XCTAssertEqual(Array(bytes[0..<8]), Array("NTPCKPT2".utf8))
        XCTAssertNoThrow(try TrainingCheckpoint(bytes: bytes, path: "ok"))
        for i in 0..<bytes.count {
            var damaged = bytes
            damaged[i] ^= 0x10
            XCTAssertThrowsError(try TrainingCheckpoint(bytes: damaged, path: "c.ckpt"), "byte \(i)") { error in
                XCTAssertTrue("\(error)".contains("c.ckpt"), "\(error)")
            }
        }
        XCTAssertThrowsError(try TrainingCheckpoint(bytes: Array(bytes.dropLast(9)), path: "c.ckpt"))
        var old = bytes
        old[7] = UInt8(ascii: "1")
        XCTAssertThrowsError(try TrainingCheckpoint(bytes: old, path: "c.ckpt")) { error in
            XCTAssertTrue("\(error)".contains("format version 1"), "\(error)")
        }
    }
}
