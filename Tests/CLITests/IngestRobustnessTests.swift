import XCTest
import TestSupport
import Foundation

/// `ingest` on bad outputs and signals: inputs are never overwritten, nothing is left behind.
final class IngestRobustnessTests: XCTestCase {
    private func folderWithCorpus() throws -> URL {
        let dir = temporaryDirectory()
        try "a b c\na b d\n".write(to: dir.appendingPathComponent("t.txt"), atomically: true, encoding: .utf8)
        return dir
    }

    /// `ingest X -o X` used to turn the text into a zip; symlinks and hard links to X are X too.
    func testOutputThatIsAnInputOrNotAFileIsRefused() throws {
        let dir = try folderWithCorpus()
        try assertOutputPathsRefused(in: dir, input: "t.txt") { ["ingest", "t.txt", "-o", $0, "-q"] }
    }

    func testDevFullIsReportedAndNotReplaced() throws {
        try assertDevFullReported(in: try folderWithCorpus(), ["ingest", "t.txt", "-o", "/dev/full", "-q"])
    }

    /// A character device is written into, not replaced: /dev/null takes the data set and stays.
    func testDevNullIsWrittenInto() throws {
        let dir = try folderWithCorpus()
        let run = try watchedRun(["ingest", "t.txt", "-o", "/dev/null", "-q"], in: dir)
        XCTAssertEqual(run.process.terminationStatus, 0, run.stderr)
        XCTAssertEqual(entries(dir), ["t.txt"])
    }

    func testMissingInputIsOneLine() throws {
        try assertRefused(["ingest", "none.txt", "-o", "o.npz", "-q"], in: try folderWithCorpus(), untouched: ["t.txt"],
                          fragment: "none.txt")
    }

    func testSignalsLeaveNoTemporaryFiles() throws {
        try assertSignalsLeaveNothing(in: try folderWithCorpus(), ["ingest", "t.txt", "-o", "o.npz", "-q"])
    }

    /// A symlinked output is followed: the file it names is written and the link stays a link.
    func testSymlinkedOutputReplacesItsTarget() throws {
        let dir = try folderWithCorpus()
        try FileManager.default.createSymbolicLink(atPath: dir.appendingPathComponent("o.npz").path, withDestinationPath: "real.npz")
        let run = try watchedRun(["ingest", "t.txt", "-o", "o.npz", "-q"], in: dir)
        XCTAssertEqual(run.process.terminationStatus, 0, run.stderr)
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: dir.appendingPathComponent("o.npz").path), "real.npz")
        XCTAssertEqual(entries(dir), ["o.npz", "real.npz", "t.txt"])
    }
}
