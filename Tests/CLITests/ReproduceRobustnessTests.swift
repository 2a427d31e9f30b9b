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

    /// QA round 9: --toy-seed 18446744073709551000 trapped ("Range requires lowerBound <= upperBound",
    /// the seeds' range overflowed) and left the staging folder .r.tmp-… behind. Now the seeds wrap and
    /// the run writes r alone.
    func testToySeedNearTheTopRunsAndLeavesOnlyTheFolder() throws {
        let dir = temporaryDirectory()
        let run = try watchedRun(["reproduce", "--steps", "10", "--toy-seed", "18446744073709551000", "-o", "r"], in: dir)
        XCTAssertEqual(run.process.terminationStatus, 0, run.stderr)
        XCTAssertTrue(run.stdout.hasPrefix("toy        seed 18446744073709551000 (ntpsep synth --contexts 3"), run.stdout)
        XCTAssertEqual(entries(dir), ["r"])
    }

    /// A crash (a Swift runtime trap is SIGILL; SIGABRT, SIGSEGV alike) removes the staging folder and
    /// the parents it created, as SIGTERM does: sent here while the first output is held open.
    func testCrashSignalsLeaveNoFolder() throws {
        for number in [SIGILL, SIGABRT, SIGSEGV] {
            let dir = temporaryDirectory()
            let run = try WatchedRun(["reproduce", "--out", "new/out", "--steps", "10"], in: dir,
                                     environment: ["NTPSEP_TEST_HOLD_WRITE": "30"])
            XCTAssertTrue(run.wait { !temporaries(dir.appendingPathComponent("new")).isEmpty }, run.stderr)
            run.signal(number)
            run.finish()
            // Ended by the signal, or by Swift's backtracer (which the cleanup hands it to) with a status.
            XCTAssertNotEqual(run.process.terminationStatus, 0, "signal \(number): \(run.stderr)")
            XCTAssertEqual(entries(dir), [], "signal \(number) left: \(entries(dir)) \(entries(dir.appendingPathComponent("new")))")
        }
    }
}
