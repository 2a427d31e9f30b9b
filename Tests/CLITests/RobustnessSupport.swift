import XCTest
import TestSupport
import Foundation

/// How a run of the built binary ended, with stderr kept in a file (so a test can watch it while
/// the process runs).
struct WatchedRun {
    let process: Process
    let stderrFile: URL
    let stdoutFile: URL
    var stderr: String { (try? String(contentsOf: stderrFile, encoding: .utf8)) ?? "" }
    var stdout: String { (try? String(contentsOf: stdoutFile, encoding: .utf8)) ?? "" }

    /// Starts `ntpsep arguments` in `directory` with `environment` added.
    init(_ arguments: [String], in directory: URL, environment: [String: String] = [:]) throws {
        process = Process()
        process.executableURL = Bundle.main.bundleURL.appendingPathComponent("ntpsep")
        process.arguments = arguments
        process.currentDirectoryURL = directory
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let logs = FileManager.default.temporaryDirectory.appendingPathComponent("ntpsep-watch-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
        stderrFile = logs.appendingPathComponent("stderr"); stdoutFile = logs.appendingPathComponent("stdout")
        _ = FileManager.default.createFile(atPath: stderrFile.path, contents: nil)
        _ = FileManager.default.createFile(atPath: stdoutFile.path, contents: nil)
        process.standardError = try FileHandle(forWritingTo: stderrFile)
        process.standardOutput = try FileHandle(forWritingTo: stdoutFile)
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    /// Waits (up to `seconds`) until `condition` holds; false on timeout or if the process ended first.
    func wait(upTo seconds: Double = 120, until condition: () -> Bool) -> Bool {
        let end = Date().addingTimeInterval(seconds)
        while Date() < end {
            if condition() { return true }
            if !process.isRunning { return condition() }
            usleep(20_000)
        }
        return false
    }

    /// Sends `signal` and waits for the end.
    func signal(_ number: Int32) {
        kill(process.processIdentifier, number)
        process.waitUntilExit()
    }

    /// Waits for the end.
    func finish() { process.waitUntilExit() }
}

/// Runs `ntpsep arguments` in `directory` to the end.
func watchedRun(_ arguments: [String], in directory: URL, environment: [String: String] = [:]) throws -> WatchedRun {
    let run = try WatchedRun(arguments, in: directory, environment: environment)
    run.finish()
    return run
}

/// The names in `directory` (hidden ones included), sorted.
func entries(_ directory: URL) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).sorted()
}

/// Temporary files of ntpsep's naming (`.NAME.tmp-HOST-PID-START-RANDOM`) in `directory`.
func temporaries(_ directory: URL) -> [String] {
    entries(directory).filter { $0.hasPrefix(".") && $0.contains(".tmp-") }
}

extension XCTestCase {
    /// A scratch folder (removed after the test) with a small data set `d.npz` (30 contexts, V = 10,
    /// support 3, seed 0) and its 8-dimensional Gaussian embedding `h.npy`, made by `ntpsep synth`.
    func folderWithData() throws -> URL {
        let dir = temporaryDirectory()
        let made = try watchedRun(["synth", "--contexts", "30", "--vocab", "10", "--support", "3", "-o", "d.npz",
                                   "--dim", "8", "--embeddings-out", "h.npy", "-q"], in: dir)
        precondition(made.process.terminationStatus == 0, made.stderr)
        return dir
    }
}

extension XCTestCase {
    /// Runs `arguments` in `directory` and asserts a refusal: a normal exit with a non-zero status
    /// (no signal), exactly one line on stderr containing `fragment`, the files `untouched` with
    /// their bytes unchanged and the folder's entries unchanged (no output, no leftover).
    func assertRefused(_ arguments: [String], in directory: URL, untouched: [String] = [], fragment: String,
                       file: StaticString = #filePath, line: UInt = #line) throws {
        let before = entries(directory)
        let bytes = untouched.map { FileManager.default.contents(atPath: directory.appendingPathComponent($0).path) }
        let run = try watchedRun(arguments, in: directory)
        XCTAssertEqual(run.process.terminationReason, .exit, "ended by a signal: \(run.stderr)", file: file, line: line)
        XCTAssertNotEqual(run.process.terminationStatus, 0, file: file, line: line)
        let lines = run.stderr.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.isEmpty }
        XCTAssertEqual(lines.count, 1, "stderr: \(run.stderr)", file: file, line: line)
        XCTAssertTrue(run.stderr.contains(fragment), "expected '\(fragment)' in: \(run.stderr)", file: file, line: line)
        for (name, data) in zip(untouched, bytes) {
            XCTAssertEqual(FileManager.default.contents(atPath: directory.appendingPathComponent(name).path), data,
                           "\(name) changed", file: file, line: line)
        }
        XCTAssertEqual(entries(directory), before, "the folder changed", file: file, line: line)
    }

    /// The refusals every command with an output file shares: `arguments(OUT)` with OUT the input
    /// `input` itself, a symlink and a hard link to it, a directory, a FIFO and a missing folder.
    func assertOutputPathsRefused(in dir: URL, input: String, _ arguments: (String) -> [String],
                                  file: StaticString = #filePath, line: UInt = #line) throws {
        try FileManager.default.createSymbolicLink(atPath: dir.appendingPathComponent("link").path, withDestinationPath: input)
        try FileManager.default.linkItem(atPath: dir.appendingPathComponent(input).path, toPath: dir.appendingPathComponent("hard").path)
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("folder"), withIntermediateDirectories: false)
        XCTAssertEqual(mkfifo(dir.appendingPathComponent("fifo").path, 0o644), 0)
        for (out, fragment) in [(input, "it is an input of this command"), ("link", "it is an input of this command"),
                                ("hard", "it is an input of this command"), ("folder", "it is a directory"),
                                ("fifo", "it is a FIFO"), ("missing/x.out", "folder missing does not exist")] {
            try assertRefused(arguments(out), in: dir, untouched: [input], fragment: fragment, file: file, line: line)
        }
    }

    /// /dev/full as the output: one error line (ENOSPC), and /dev/full is still the character device.
    func assertDevFullReported(in dir: URL, _ arguments: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        try assertRefused(arguments, in: dir, fragment: "No space left on device", file: file, line: line)
        var st = stat()
        XCTAssertEqual(stat("/dev/full", &st), 0)
        XCTAssertEqual(st.st_mode & S_IFMT, S_IFCHR, "/dev/full was replaced", file: file, line: line)
    }

    /// SIGTERM and SIGHUP while the output's temporary file is open (held by NTPSEP_TEST_HOLD_WRITE)
    /// end the process by that signal and leave no temporary; after a SIGKILL, which cannot be
    /// caught, the next write into the folder removes the dead process's temporary.
    func assertSignalsLeaveNothing(in dir: URL, _ arguments: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        for number in [SIGTERM, SIGHUP, SIGKILL] {
            let before = entries(dir)
            let run = try WatchedRun(arguments, in: dir, environment: ["NTPSEP_TEST_HOLD_WRITE": "30"])
            XCTAssertTrue(run.wait { !temporaries(dir).isEmpty }, "no temporary appeared: \(run.stderr)", file: file, line: line)
            run.signal(number)
            XCTAssertEqual(run.process.terminationReason, .uncaughtSignal, file: file, line: line)
            XCTAssertEqual(run.process.terminationStatus, number, file: file, line: line)
            if number == SIGKILL {
                XCTAssertEqual(temporaries(dir).count, 1, file: file, line: line)
                let next = try watchedRun(arguments, in: dir)
                XCTAssertEqual(next.process.terminationStatus, 0, next.stderr, file: file, line: line)
                XCTAssertEqual(temporaries(dir), [], "the stale temporary was not removed", file: file, line: line)
            } else {
                XCTAssertEqual(entries(dir), before, "signal \(number) left files", file: file, line: line)
            }
        }
    }

    /// Runs `arguments` `times` times and returns stdout and the bytes of `outputs` per run.
    func repeatedRuns(_ arguments: [String], in dir: URL, outputs: [String] = [], times: Int = 3,
                      environment: (Int) -> [String: String] = { _ in [:] }) throws -> [[Data]] {
        try (0..<times).map { i in
            let run = try watchedRun(arguments, in: dir, environment: environment(i))
            XCTAssertEqual(run.process.terminationStatus, 0, run.stderr)
            return [Data(run.stdout.utf8)] + outputs.map { FileManager.default.contents(atPath: dir.appendingPathComponent($0).path) ?? Data() }
        }
    }
}

/// JSON text without its top-level `timing` key, re-serialized with sorted keys.
func withoutTiming(_ data: Data) throws -> Data {
    var object = try JSONSerialization.jsonObject(with: data) as! [String: Any]
    object.removeValue(forKey: "timing")
    return try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
}
