import XCTest
import TestSupport
import Foundation

/// `-q/--quiet` on every command that writes files: nothing on stdout or stderr on success, the
/// files written as without it, and errors still printed.
final class QuietCLITests: XCTestCase {
    /// Runs `arguments` + `-q` in `dir` and asserts silence, exit 0 and that each of `writes` exists.
    private func assertQuiet(_ arguments: [String], writes: [String], in dir: URL, file: StaticString = #filePath, line: UInt = #line) throws {
        let run = try ntpsep(arguments + ["-q"])
        XCTAssertEqual(run.status, 0, run.stderr, file: file, line: line)
        XCTAssertEqual(run.stdout, "", file: file, line: line)
        XCTAssertEqual(run.stderr, "", file: file, line: line)
        for name in writes {
            XCTAssertTrue(FileManager.default.fileExists(atPath: dir.appendingPathComponent(name).path), name, file: file, line: line)
        }
    }

    func testEveryWritingCommandIsSilentWithQuiet() throws {
        let dir = temporaryDirectory()
        let text = dir.appendingPathComponent("tiny.txt")
        try AnalyzeCLITests.corpus().write(to: text, atomically: true, encoding: .utf8)
        let data = dir.appendingPathComponent("tiny.npz").path
        func path(_ name: String) -> String { dir.appendingPathComponent(name).path }
        try assertQuiet(["ingest", text.path, "-o", data], writes: ["tiny.npz"], in: dir)
        try assertQuiet(["check", data, "--max-contexts", "12", "--certificate", path("cert.npz")], writes: ["cert.npz"], in: dir)
        // Without -q, train prints its notes and log table on stderr: -q silences them.
        let loud = try ntpsep(["train", data, "--steps", "20", "--log-every", "10", "-o", path("w0.npy")])
        XCTAssertTrue(loud.stderr.contains("data: V = 24, m = 69") && loud.stderr.contains("step       20"), loud.stderr)
        try assertQuiet(["train", data, "--steps", "20", "--log-every", "10", "-o", path("w.npy"), "--log", path("log.csv")],
                        writes: ["w.npy", "log.csv"], in: dir)
        try assertQuiet(["sweep", data, "--contexts", "12", "--trials", "2", "--null", "uniform", "--csv", path("s.csv")],
                        writes: ["s.csv", "s-summary.csv"], in: dir)
        try assertQuiet(["reproduce", "-o", path("repro"), "--steps", "20", "--log-every", "10"], writes: ["repro/summary.json"], in: dir)
        try assertQuiet(["analyze", text.path, "-o", path("out"), "--check-contexts", "40", "--check-vocab", "20",
                         "--sweep-contexts", "12", "--scale-contexts", "40", "--steps", "20", "--gap-steps", "10",
                         "--threshold-contexts", "12", "--trials", "2", "--sweep-time-limit", "5"],
                        writes: ["out/analysis.json", "out/report.html"], in: dir)
    }

    func testQuietStillPrintsErrorsAndRefusesJSON() throws {
        let dir = temporaryDirectory()
        let data = try ingestWords("a b c a b d\n", in: dir, order: 2)
        assertFails(try ntpsep(["check", dir.appendingPathComponent("none.npz").path, "-q"]), with: "none.npz")
        assertFails(try ntpsep(["train", data, "--embedding", "gaussian:0", "-q"]), with: "gaussian:0")
        for command in ["check", "train", "sweep"] {
            assertFails(try ntpsep([command, data, "--json", "-q"]), with: "--json and -q/--quiet contradict each other")
        }
    }
}
