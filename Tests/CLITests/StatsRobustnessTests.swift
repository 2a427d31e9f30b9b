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
    }
}
