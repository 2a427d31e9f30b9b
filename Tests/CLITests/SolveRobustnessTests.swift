import XCTest
import TestSupport
import Foundation

/// `solve` on bad outputs and signals, and the same bytes every run.
final class SolveRobustnessTests: XCTestCase {
    /// W* works on V × m logits and V × d weights: positional one-hot features on Debian's German
    /// fortunes (V = 48,865, m = 226,404) aborted on an 88 GB allocation. Here 70,000 distinct words in
    /// lines of 7 (V = 70,002, m = 70,001, d = 2V): one error line, no output file.
    func testSubspaceThatCannotFitIsRefused() throws {
        let dir = temporaryDirectory()
        let text = (0..<10_000).map { i in (0..<7).map { "w\(i * 7 + $0)" }.joined(separator: " ") }.joined(separator: "\n")
        let data = try ingestWords(text, in: dir, order: 3)
        let out = dir.appendingPathComponent("sol.npz")
        let run = try ntpsep(["solve", data, "--embedding", "positional-onehot", "-o", out.path, "-q"])
        assertFails(run, with: "the data subspace (V = 70002, m = 70001, d = 140004) needs ", noFileAt: out)
    }

    /// Every support the whole vocabulary (synth --support 3 of V = 3): no margin constraint, so W^mm = 0 and
    /// γ* = γ*_∞ = ∞, as `check` says (separable, bracket [∞, ∞]). `solve` ran 200,000 epochs, then wrote
    /// status "undecided", γ* 0 "(separable)" and γ*_∞ "not-separable"; `train` omits the cosine columns.
    func testNoOffSupportTokenMeansSeparableWithInfiniteMargins() throws {
        let dir = temporaryDirectory()
        let made = try watchedRun(["synth", "--contexts", "5", "--vocab", "3", "--support", "3", "--seed", "1", "-o", "full.npz", "-q"], in: dir)
        XCTAssertEqual(made.process.terminationStatus, 0, made.stderr)
        let solved = try watchedRun(["solve", "full.npz", "--embedding", "gaussian:2:0", "-o", "sol.npz"], in: dir)
        XCTAssertEqual(solved.process.terminationStatus, 0, solved.stderr)
        XCTAssertTrue(solved.stdout.contains("W^mm       separable: W^mm = 0, margin = ∞ (no context has an off-support token"), solved.stdout)
        XCTAssertTrue(solved.stdout.contains("γ*         inf (separable) by the minimum-norm point"), solved.stdout)
        let out = try shell("""
        cd '\(dir.path)' && python3 -c "
        import numpy as np
        s = np.load('sol.npz')
        assert s['status'] == 'separable' and int(s['separable']) == 1, s['status']
        assert np.isinf(s['margin']) and np.isinf(s['gamma_min_norm_point']) and np.isinf(s['gamma_inf'])
        assert not s['W_mm'].any() and not s['W_inf'].any() and float(s['norm_mm']) == 0
        print('ok')
        "
        """)
        XCTAssertEqual(out.trimmingCharacters(in: .whitespacesAndNewlines), "ok")
        let checked = try watchedRun(["check", "full.npz", "--embedding", "gaussian:2:0", "--json", "--gap-steps", "0"], in: dir)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(checked.stdout.utf8)) as? [String: Any], checked.stderr)
        XCTAssertEqual(json["verdict"] as? String, "separable")
        let trained = try watchedRun(["train", "full.npz", "--embedding", "gaussian:2:0", "--steps", "10", "-o", "w.npy"], in: dir)
        XCTAssertEqual(trained.process.terminationStatus, 0, trained.stderr)
        XCTAssertTrue(trained.stderr.contains("no context has an off-support token, so W^mm = 0 (nothing diverges): cosine columns omitted"), trained.stderr)
    }

    func testOutputThatIsAnInputOrNotAFileIsRefused() throws {
        let dir = try folderWithData()
        try assertOutputPathsRefused(in: dir, input: "d.npz") { ["solve", "d.npz", "-o", $0, "-q"] }
        // The embedding file is an input too.
        try assertRefused(["solve", "d.npz", "--embedding", "file:h.npy", "-o", "h.npy", "-q"], in: dir, untouched: ["h.npy"],
                          fragment: "it is an input of this command")
    }

    func testDevFullIsReportedAndNotReplaced() throws {
        try assertDevFullReported(in: try folderWithData(), ["solve", "d.npz", "-o", "/dev/full", "-q"])
    }

    func testMissingAndDamagedInputsAreOneLine() throws {
        let dir = try folderWithData()
        try assertRefused(["solve", "none.npz", "-o", "s.npz", "-q"], in: dir, fragment: "none.npz")
        try Data("not a zip".utf8).write(to: dir.appendingPathComponent("bad.npz"))
        try assertRefused(["solve", "bad.npz", "-o", "s.npz", "-q"], in: dir, untouched: ["bad.npz"], fragment: "bad.npz")
    }

    func testSignalsLeaveNoTemporaryFiles() throws {
        try assertSignalsLeaveNothing(in: try folderWithData(), ["solve", "d.npz", "-o", "s.npz", "-q"])
    }

    /// The solution file holds no timings, so runs with 1 and 2 BLAS threads give the same bytes.
    func testSameBytesEveryRunAndThreadCount() throws {
        let dir = try folderWithData()
        let runs = try repeatedRuns(["solve", "d.npz", "--embedding", "gaussian:40:1", "-o", "s.npz", "-q"], in: dir,
                                    outputs: ["s.npz"]) { ["OPENBLAS_NUM_THREADS": "\($0 % 2 + 1)"] }
        XCTAssertGreaterThan(runs[0][1].count, 1000)
        XCTAssertEqual(runs[1], runs[0])
        XCTAssertEqual(runs[2], runs[0])
    }
}
