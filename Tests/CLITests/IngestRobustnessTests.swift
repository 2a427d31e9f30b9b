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

    /// --memory past Int's range trapped in Int(_:) with a backtrace (QA round 11: inf, 1e400, 9000000T).
    func testMemorySizesOutOfRangeAreOneLine() throws {
        let dir = try folderWithCorpus()
        for value in ["inf", "1e400", "99999999999999999999", "9000000T", "nan"] {
            try assertRefused(["ingest", "t.txt", "-o", "o.npz", "-q", "--memory", value], in: dir, untouched: ["t.txt"],
                              fragment: "--memory \(value): expected a size")
        }
        try assertRefused(["merge", "t.part", "-o", "o.npz", "--memory", "inf"], in: dir, fragment: "--memory inf: expected a size")
        let ok = try watchedRun(["ingest", "t.txt", "-o", "o.npz", "-q", "--memory", "1048575T"], in: dir)
        XCTAssertEqual(ok.process.terminationStatus, 0, ok.stderr)
    }

    /// SIGQUIT (Ctrl-\\) before the first output registered its temporary went to Swift's backtracer, which
    /// printed a backtrace and let the run go on to write its output with exit 0 (QA round 11). The
    /// handlers are now installed first thing, so it ends the run as SIGTERM does: no output, no backtrace.
    func testAnEarlyQuitEndsTheRunWithoutABacktrace() throws {
        let dir = try folderWithCorpus()
        let line = (0..<200).map { "w\($0 % 97) x\($0 % 89)" }.joined(separator: " ") + "\n"
        try String(repeating: line, count: 30_000).write(to: dir.appendingPathComponent("big.txt"), atomically: true, encoding: .utf8)
        let before = entries(dir)
        let run = try WatchedRun(["ingest", "big.txt", "-o", "o.npz", "-q", "--order", "4"], in: dir)
        usleep(200_000)
        XCTAssertTrue(run.process.isRunning, "the ingest ended before the signal: make big.txt larger")
        run.signal(SIGQUIT)
        XCTAssertEqual(run.process.terminationReason, .uncaughtSignal, run.stderr)
        XCTAssertEqual(run.process.terminationStatus, SIGQUIT)
        XCTAssertFalse(run.stderr.contains("Backtrac") || run.stderr.contains("crashed"), run.stderr)
        XCTAssertEqual(entries(dir), before)
    }

    func testMissingInputIsOneLine() throws {
        try assertRefused(["ingest", "none.txt", "-o", "o.npz", "-q"], in: try folderWithCorpus(), untouched: ["t.txt"],
                          fragment: "none.txt")
    }

    func testSignalsLeaveNoTemporaryFiles() throws {
        try assertSignalsLeaveNothing(in: try folderWithCorpus(), ["ingest", "t.txt", "-o", "o.npz", "-q"])
    }

    /// With `--shard I/N` on one file, a bad byte is named by its offset in the file, as without
    /// --shard (QA round 11: byte 150000 of a 200 KB file was "byte 16624" in shard 2/3). The
    /// file is 20,000 lines of "abcdefghi"; the shards without the bad byte are read.
    func testShardErrorsGiveTheOffsetInTheFile() throws {
        let dir = temporaryDirectory()
        let kinds: [(String, [UInt8], String)] = [
            ("invalid", [0xE9], "invalid UTF-8 (byte 0xE9); convert the file with iconv -f ENCODING -t UTF-8"),
            ("nul", [0], "NUL byte: this looks like a binary file, not text"),
            ("iso", [0x1B, 0x24, 0x42], "looks like ISO-2022-JP text (escape sequence ESC $ B); convert it with iconv -f ISO-2022-JP -t UTF-8"),
        ]
        // Shard k of 3 holds bytes from about 66,667·k: offsets 10, 100,000 and 150,000 fall in shards 0, 1 and 2.
        for (kind, bad, what) in kinds {
            for (offset, shard) in [(10, 0), (100_000, 1), (150_000, 2)] where kind == "invalid" || offset == 150_000 {
                var text = [UInt8](repeating: 0, count: 0)
                for _ in 0..<20_000 { text += Array("abcdefghi\n".utf8) }
                text.replaceSubrange(offset..<(offset + bad.count), with: bad)
                let name = "\(kind)-\(offset).txt"
                try Data(text).write(to: dir.appendingPathComponent(name))
                let expected = "\(name): byte \(offset): \(what)"
                try assertRefused(["ingest", name, "-o", "whole.npz", "-q"], in: dir, untouched: [name], fragment: expected)
                for k in 0..<3 {
                    let arguments = ["ingest", name, "--shard", "\(k)/3", "-o", "\(kind)-\(offset)-\(k).part", "-q"]
                    if k == shard {
                        try assertRefused(arguments, in: dir, untouched: [name], fragment: expected)
                    } else {
                        let run = try watchedRun(arguments, in: dir)
                        XCTAssertEqual(run.process.terminationStatus, 0, "\(arguments): \(run.stderr)")
                    }
                }
            }
        }
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

    /// A file named on the command line with bytes that are not UTF-8 (from the shell: Latin-1
    /// `caf\xe9.txt`) reaches Swift repaired to U+FFFD, a name with no file: the error says why.
    func testACommandLineNameThatIsNotUTF8IsExplained() throws {
        let dir = temporaryDirectory()
        let bin = Bundle.main.bundleURL.appendingPathComponent("ntpsep").path
        let out = try shell("cd '\(dir.path)' && printf 'x y\\n' > \"$(printf 'caf\\351.txt')\" && { '\(bin)' ingest \"$(printf 'caf\\351.txt')\" -o o.npz 2>&1; echo \"rc=$?\"; }")
        XCTAssertEqual(out, "Error: caf\u{FFFD}.txt: No such file or directory: its name is not valid UTF-8 (shown as �), and ntpsep reads names as UTF-8; rename the file (e.g. convmv -f latin1 -t utf-8)\nrc=1\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("o.npz").path))
    }
}
