import XCTest
import TestSupport
import Foundation

/// `reproduce -o DIR`: a file in the way is refused in one line (was a raw NSCocoaErrorDomain
/// message), and a run that fails leaves no folder.
final class ReproduceRobustnessTests: XCTestCase {
    func testFileInTheWayIsOneLine() throws {
        let dir = temporaryDirectory()
        try "x".write(to: dir.appendingPathComponent("t.txt"), atomically: true, encoding: .utf8)
        try assertRefused(["reproduce", "--out", "t.txt", "--steps", "1"], in: dir, untouched: ["t.txt"],
                          fragment: "--output t.txt: t.txt is a file, not a folder")
    }

    func testBadOptionLeavesNoFolder() throws {
        try assertRefused(["reproduce", "--out", "new/out", "--steps", "0"], in: temporaryDirectory(), fragment: "--steps")
    }

    /// SIGTERM while the folder is being built: neither the folder nor its parents nor the staging
    /// folder remain.
    func testSignalLeavesNoFolder() throws {
        let dir = temporaryDirectory()
        let run = try WatchedRun(["reproduce", "--out", "new/out", "--steps", "10"], in: dir,
                                 environment: ["NTPSEP_TEST_HOLD_WRITE": "30"])
        XCTAssertTrue(run.wait { !temporaries(dir.appendingPathComponent("new")).isEmpty }, run.stderr)
        run.signal(SIGTERM)
        XCTAssertEqual(run.process.terminationReason, .uncaughtSignal)
        XCTAssertEqual(entries(dir), [], "left: \(entries(dir)) \(entries(dir.appendingPathComponent("new")))")
    }
}
