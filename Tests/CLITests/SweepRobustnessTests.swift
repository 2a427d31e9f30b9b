import XCTest
import Foundation

/// `sweep`: its CSV/plot outputs never overwrite an input, and its JSON is the same every run
/// apart from `timing`.
final class SweepRobustnessTests: XCTestCase {
    private let base = ["sweep", "d.npz", "--max-contexts", "12", "--trials", "6", "--null", "none", "--max-dim", "12"]

    func testOutputsThatAreInputsOrNotFilesAreRefused() throws {
        let dir = try folderWithData()
        try assertOutputPathsRefused(in: dir, input: "d.npz") { self.base + ["--plot", $0] }
        try assertRefused(base + ["--csv", "d.npz"], in: dir, untouched: ["d.npz"], fragment: "it is an input of this command")
        try assertRefused(base + ["--csv", "x.csv", "--plot", "x-summary.csv"], in: dir, fragment: "twice")
    }

    func testSignalsLeaveNoTemporaryFiles() throws {
        try assertSignalsLeaveNothing(in: try folderWithData(), base + ["--plot", "s.svg"])
    }

    func testSameJSONEveryRunApartFromTiming() throws {
        let dir = try folderWithData()
        let runs = try repeatedRuns(base + ["--json", "--csv", "s.csv"], in: dir, outputs: ["s.csv", "s-summary.csv"], times: 3) {
            ["OPENBLAS_NUM_THREADS": "\($0 % 2 + 1)"]
        }
        let first = try JSONSerialization.jsonObject(with: runs[0][0]) as! [String: Any]
        XCTAssertNotNil((first["timing"] as? [String: Double])?["total"])
        XCTAssertEqual((first["options"] as? [String: String])?["trials"], "6")
        for run in runs.dropFirst() {
            XCTAssertEqual(try withoutTiming(run[0]), try withoutTiming(runs[0][0]))
            XCTAssertEqual(Array(run.dropFirst()), Array(runs[0].dropFirst()))
        }
    }
}
