import XCTest
import Foundation

/// `stats` writes nothing: bad inputs give one line and leave the folder as it was.
final class StatsRobustnessTests: XCTestCase {
    func testBadInputsAreOneLineAndChangeNothing() throws {
        let dir = try folderWithData()
        try assertRefused(["stats", "none.npz"], in: dir, fragment: "none.npz")
        try Data([0x50, 0x4b, 0x03, 0x04, 0, 0]).write(to: dir.appendingPathComponent("cut.npz"))
        try assertRefused(["stats", "cut.npz"], in: dir, untouched: ["cut.npz"], fragment: "cut.npz")
        try assertRefused(["stats", "d.npz", "--top", "x"], in: dir, untouched: ["d.npz"], fragment: "--top")
        // Ingest options with a data set would be ignored; they are refused (QA round 8).
        for option in [["--order", "5"], ["--max-vocab", "5"], ["--case-fold"], ["--tokenizer", "whitespace"]] {
            try assertRefused(["stats", "d.npz"] + option, in: dir, untouched: ["d.npz"],
                              fragment: "d.npz is a data set (.npz), already counted: the ingest options")
        }
    }
}
