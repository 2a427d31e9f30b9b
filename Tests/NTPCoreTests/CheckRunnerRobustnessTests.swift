import XCTest
import Foundation
import TestSupport
@testable import NTPCore
import NTPFormats

/// QA round 3: what `check` does when a stage cannot give a number.
final class CheckRunnerRobustnessTests: XCTestCase {
    /// Every support is the whole vocabulary: no off-support pair, so the smallest margin is +∞.
    /// JSON has no ∞: the certificate summary leaves it out instead of failing to encode.
    func testNoOffSupportPairEncodesAsJSON() throws {
        let data = makeData(V: 2, rows: [[0: 1, 1: 2], [0: 3, 1: 1]])
        let features = ContextFeatures(dimension: 2, contextCount: 2, storage: .identity)
        let report = try CheckRunner.run(data, features: features, embedding: "onehot")
        XCTAssertEqual(report.verdict, "separable")
        XCTAssertNil(report.certificate.minMargin)
        let json = try JSONEncoder().encode(report)
        XCTAssertFalse(String(decoding: json, as: UTF8.self).contains("inf"))
    }

    /// Without a vocabulary, contexts and tokens are both named by id with '#' (QA round 4: "#9 → {1}"
    /// read as a token "1"). theory.md's tie example: α on context #1, whose support is token #0 alone.
    func testContextsAndTokensWithoutVocabularyAreNamedWithHash() throws {
        let data = makeData(V: 3, rows: [[0: 2, 1: 1], [0: 3]])
        let report = try CheckRunner.run(data, features: denseFeatures([[1], [1]]), embedding: "tie", hooks: .standard(crossEntropySteps: 50))
        XCTAssertEqual(report.verdict, "not-separable")
        XCTAssertEqual(report.involvedContexts.map(\.text), ["#1"])
        XCTAssertEqual(report.involvedContexts.map(\.support), [["#0"]])
        XCTAssertEqual(Set(report.excessLossContexts.map(\.support)), [["#0", "#1"], ["#0"]])
    }

    /// A diverging entropy-gap run leaves the gap "not computed" with its reason; the verdict and the
    /// certificate stand. Any other failure after the certificate was written removes the file.
    func testEntropyGapFailureKeepsTheVerdictAndOtherFailuresRemoveTheCertificate() throws {
        let data = makeData(V: 3, rows: [[0: 1], [1: 2], [2: 1, 0: 1]])
        let features = ContextFeatures(dimension: 3, contextCount: 3, storage: .identity)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("check-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        var options = CheckOptions()
        options.certificatePath = folder.appendingPathComponent("c.npz").path

        let diverging = CheckHooks(minimizeCrossEntropy: { _, _ in throw TrainingError.diverged(step: 1, reason: "loss exploded to 1e300") })
        let report = try CheckRunner.run(data, features: features, embedding: "onehot", options: options, hooks: diverging)
        XCTAssertEqual(report.verdict, "separable")
        XCTAssertNil(report.entropyGap)
        XCTAssertEqual(report.entropyGapMethod, "not computed: Adam from W = 0, η = 0.01, diverged at step 1 (loss exploded to 1e300)")
        XCTAssertTrue(FileManager.default.fileExists(atPath: options.certificatePath!))

        try FileManager.default.removeItem(atPath: options.certificatePath!)
        struct Broken: Error {}
        let failing = CheckHooks(minimizeCrossEntropy: { _, _ in throw Broken() })
        XCTAssertThrowsError(try CheckRunner.run(data, features: features, embedding: "onehot", options: options, hooks: failing))
        XCTAssertFalse(FileManager.default.fileExists(atPath: options.certificatePath!))
    }

    /// W = 0 bounds CE − 𝓗 by log V − 𝓗: a run that ends higher does not set the bound.
    func testEntropyGapIsNeverAboveTheUniformLogits() throws {
        let data = makeData(V: 3, rows: [[0: 1], [1: 2], [2: 1, 0: 1]])
        let features = ContextFeatures(dimension: 3, contextCount: 3, storage: .identity)
        let bad = [Double](repeating: 0, count: 9).enumerated().map { $0.offset == 1 ? 50.0 : $0.element }   // W[0][1] = 50
        let hooks = CheckHooks(minimizeCrossEntropy: { _, _ in CrossEntropyRun(weights: bad, history: [], description: "a bad W") })
        let report = try CheckRunner.run(data, features: features, embedding: "onehot", hooks: hooks)
        let entropy = data.entropy()
        XCTAssertEqual(try XCTUnwrap(report.entropyGap), log(3.0) - entropy, accuracy: 1e-12)
        XCTAssertTrue(report.entropyGapMethod?.hasPrefix("W = 0: log V − 𝓗; a bad W ended higher") == true, report.entropyGapMethod ?? "")
    }
}

extension CheckRunnerRobustnessTests {
    /// A memory check that fails in a stage after the decision (memory another process took since the
    /// up-front check) leaves that stage "not computed" with the check's own line, and keeps the verdict
    /// (QA round 16b lost a computed verdict this way). Any other error still fails the run.
    func testAMemoryFailureAfterTheDecisionKeepsTheVerdict() throws {
        let data = makeData(V: 3, rows: [[0: 2, 1: 1], [0: 3]])
        let features = denseFeatures([[1], [1]])
        let shortOfMemory = NTPFormatError("holding W needs 9.00 GiB of memory but only 1.00 GiB is available", isMemory: true)
        let hooks = CheckHooks(compatibility: { _, _ in throw shortOfMemory },
                               minimizeCrossEntropy: { _, _ in throw shortOfMemory })
        let report = try CheckRunner.run(data, features: features, embedding: "tie", hooks: hooks)
        XCTAssertEqual(report.verdict, "not-separable")
        XCTAssertEqual(report.separable, false)
        XCTAssertNil(report.compatible)
        XCTAssertNil(report.compatResidual)
        XCTAssertEqual(report.compatMethod, "not computed: \(shortOfMemory.description)")
        XCTAssertNil(report.entropyGap)
        XCTAssertEqual(report.entropyGapMethod, "not computed: \(shortOfMemory.description)")
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: JSONEncoder().encode(report)) as? [String: Any])
        XCTAssertEqual(json["compat_method"] as? String, report.compatMethod)
        let broken = CheckHooks(compatibility: { _, _ in throw NTPFormatError("W.npy: not a .npy file") })
        XCTAssertThrowsError(try CheckRunner.run(data, features: features, embedding: "tie", hooks: broken))
    }
}
