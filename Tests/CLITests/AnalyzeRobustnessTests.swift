import XCTest
import TestSupport
import Foundation

/// `analyze -o DIR`: a failed run leaves no folder (it is built in a staging folder and renamed),
/// and analysis.json is the same every run apart from its `timing` key.
final class AnalyzeRobustnessTests: XCTestCase {
    private let small = ["--check-contexts", "40", "--check-vocab", "20", "--sweep-contexts", "12", "--steps", "50",
                         "--gap-steps", "30", "--threshold-contexts", "12", "--trials", "6", "--sweep-time-limit", "5"]

    func testFailuresLeaveNoFolder() throws {
        let dir = temporaryDirectory()
        try assertRefused(["analyze", "none.txt", "-o", "new/out"], in: dir, fragment: "none.txt")
        try Data().write(to: dir.appendingPathComponent("empty.txt"))
        // Fails after the staging folder exists (no tokens): no DIR, no parent, no staging folder.
        let run = try watchedRun(["analyze", "empty.txt", "-o", "new/out"], in: dir)
        XCTAssertEqual(run.process.terminationReason, .exit)
        XCTAssertNotEqual(run.process.terminationStatus, 0)
        XCTAssertTrue(run.stderr.hasSuffix("Error: empty.txt: no tokens: the file is empty (0 bytes); give a file with text, or leave it out\n"), run.stderr)
        XCTAssertEqual(entries(dir), ["empty.txt"])
        try "x".write(to: dir.appendingPathComponent("file"), atomically: true, encoding: .utf8)
        try assertRefused(["analyze", "empty.txt", "-o", "file"], in: dir, untouched: ["file"], fragment: "file is a file, not a folder")
        try assertRefused(["analyze", "empty.txt", "-o", "empty.txt"], in: dir, untouched: ["empty.txt"], fragment: "not a folder")
    }

    /// SIGTERM while a file of the folder is being written: nothing remains.
    func testSignalLeavesNoFolder() throws {
        let dir = temporaryDirectory()
        try AnalyzeCLITests.corpus().write(to: dir.appendingPathComponent("tiny.txt"), atomically: true, encoding: .utf8)
        let run = try WatchedRun(["analyze", "tiny.txt", "-o", "new/out"] + small, in: dir, environment: ["NTPSEP_TEST_HOLD_WRITE": "30"])
        XCTAssertTrue(run.wait { run.stderr.contains("[1/6]") }, run.stderr)
        usleep(300_000)
        run.signal(SIGTERM)
        XCTAssertEqual(run.process.terminationReason, .uncaughtSignal)
        XCTAssertEqual(entries(dir), ["tiny.txt"])
    }

    /// A signal while a certificate is being written, below parents the run created: the staging
    /// folder's certificates/ subfolder went too (it stayed, and kept the staging folder and the
    /// parents with it).
    func testSignalsRemoveTheStagingSubfoldersAndParents() throws {
        let dir = temporaryDirectory()
        try AnalyzeCLITests.corpus().write(to: dir.appendingPathComponent("tiny.txt"), atomically: true, encoding: .utf8)
        for number in [SIGINT, SIGTERM, SIGHUP] {
            let run = try WatchedRun(["analyze", "tiny.txt", "-o", "new/deep/out"] + small, in: dir,
                                     environment: ["NTPSEP_TEST_HOLD_WRITE": "30", "NTPSEP_TEST_HOLD_WRITE_PATH": "/certificates/"])
            let inCertificates = {
                (FileManager.default.enumerator(atPath: dir.path)?.allObjects as? [String] ?? []).contains { $0.contains("/certificates/") }
            }
            XCTAssertTrue(run.wait(until: inCertificates), run.stderr)
            run.signal(number)
            XCTAssertEqual(run.process.terminationReason, .uncaughtSignal)
            XCTAssertEqual(run.process.terminationStatus, number)
            XCTAssertEqual(entries(dir), ["tiny.txt"], "signal \(number)")
        }
    }

    func testAnalysisJSONIsTheSameEveryRunApartFromTiming() throws {
        let dir = temporaryDirectory()
        try AnalyzeCLITests.corpus().write(to: dir.appendingPathComponent("tiny.txt"), atomically: true, encoding: .utf8)
        var jsons: [Data] = []
        for i in 0..<2 {
            let run = try watchedRun(["analyze", "tiny.txt", "-o", "out\(i)"] + small, in: dir,
                                     environment: ["OPENBLAS_NUM_THREADS": "\(i + 1)"])
            XCTAssertEqual(run.process.terminationStatus, 0, run.stderr)
            jsons.append(try Data(contentsOf: dir.appendingPathComponent("out\(i)/analysis.json")))
            XCTAssertEqual(temporaries(dir), [])
        }
        let first = try JSONSerialization.jsonObject(with: jsons[0]) as! [String: Any]
        XCTAssertNotNil((first["timing"] as? [String: Double])?["total"])
        XCTAssertEqual(first["seed"] as? Int, 0)
        XCTAssertNotNil(first["budget"])
        XCTAssertEqual(try withoutTiming(jsons[1]), try withoutTiming(jsons[0]))
    }
}
