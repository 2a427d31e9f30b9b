import XCTest
import Foundation

/// `solve` on bad outputs and signals, and the same bytes every run.
final class SolveRobustnessTests: XCTestCase {
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
