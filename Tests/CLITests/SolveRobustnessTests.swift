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
