import XCTest
import Foundation
import TestSupport

/// Result of running the built `ntpsep` binary.
struct Run {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs `ntpsep` with `arguments` (and optional stdin bytes) and captures its output.
@discardableResult
func ntpsep(_ arguments: [String], stdin: Data? = nil, environment: [String: String]? = nil) throws -> Run {
    try run(Bundle.main.bundleURL.appendingPathComponent("ntpsep"), arguments, stdin: stdin, environment: environment)
}

/// Runs a program found on PATH (e.g. `python3`) and captures its output.
@discardableResult
func runTool(_ arguments: [String]) throws -> Run {
    try run(URL(fileURLWithPath: "/usr/bin/env"), arguments)
}

/// Runs `executable` with `arguments` (and optional stdin bytes) and captures its output.
func run(_ executable: URL, _ arguments: [String], stdin: Data? = nil, environment: [String: String]? = nil) throws -> Run {
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    if let environment { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
    let out = Pipe(), err = Pipe(), input = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = input
    try process.run()
    if let stdin { input.fileHandleForWriting.write(stdin) }
    try input.fileHandleForWriting.close()
    // Read both pipes fully before waiting so a large output cannot block the child.
    final class Box: @unchecked Sendable { var data = Data() }
    let outBox = Box()
    let group = DispatchGroup()
    group.enter(); DispatchQueue.global().async { outBox.data = out.fileHandleForReading.readDataToEndOfFile(); group.leave() }
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    let outData = outBox.data
    process.waitUntilExit()
    return Run(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
               stderr: String(decoding: errData, as: UTF8.self))
}

/// Runs a shell command (for gzip/bzip2/python helpers in tests); fails the test on error.
@discardableResult
func shell(_ command: String) throws -> String {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/bin/sh")
    p.arguments = ["-c", command]
    let out = Pipe()
    p.standardOutput = out
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    guard p.terminationStatus == 0 else { throw NSError(domain: "shell", code: Int(p.terminationStatus), userInfo: [NSLocalizedDescriptionKey: command]) }
    return String(decoding: data, as: UTF8.self)
}

/// Writes `text` (UTF-8) to DIR/`name` and returns its URL.
func textFile(_ name: String, _ text: String, in dir: URL) throws -> URL {
    let url = dir.appendingPathComponent(name)
    try text.write(to: url, atomically: true, encoding: .utf8)
    return url
}

/// Writes `text` to DIR/corpus.txt and ingests its whitespace-separated lines at `order` into
/// DIR/corpus.npz, whose path it returns.
func ingestWords(_ text: String, in dir: URL, order: Int) throws -> String {
    let corpus = dir.appendingPathComponent("corpus.txt"), out = dir.appendingPathComponent("corpus.npz")
    try text.write(to: corpus, atomically: true, encoding: .utf8)
    let run = try ntpsep(["ingest", corpus.path, "--tokenizer", "whitespace", "--order", "\(order)", "-o", out.path, "-q"])
    guard run.status == 0 else { throw NSError(domain: "ingest", code: Int(run.status), userInfo: [NSLocalizedDescriptionKey: run.stderr]) }
    return out.path
}

extension XCTestCase {
    /// Asserts a failed run: non-zero exit, exactly one line on stderr containing `fragment`, no file at `output`.
    func assertFails(_ run: Run, with fragment: String, noFileAt output: URL? = nil, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertNotEqual(run.status, 0, file: file, line: line)
        let lines = run.stderr.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, "stderr: \(run.stderr)", file: file, line: line)
        XCTAssertTrue(run.stderr.contains(fragment), "stderr: \(run.stderr)", file: file, line: line)
        if let output {
            XCTAssertFalse(FileManager.default.fileExists(atPath: output.path), "partial output left at \(output.path)", file: file, line: line)
            let leftovers = (try? FileManager.default.contentsOfDirectory(atPath: output.deletingLastPathComponent().path)) ?? []
            XCTAssertFalse(leftovers.contains { $0.hasPrefix(".") && $0.contains(output.lastPathComponent) }, "temp file left: \(leftovers)", file: file, line: line)
        }
    }
}

/// scripts/verify_certificate.py of this checkout (the numpy-only certificate checker).
let verifierScript = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("scripts/verify_certificate.py").path

/// Runs scripts/verify_certificate.py on every certificate of `folder` (and its subfolders) in one
/// Python process, each against the data set `data(relative path)` returns (nil: the file alone),
/// and returns "RELATIVE-PATH EXIT-CODE VERDICT" per file, sorted by path (e.g. "a.npz 0 VALID
/// not-separable:").
func verifyCertificates(in folder: String, data: (String) -> String?) throws -> [String] {
    let files = (FileManager.default.enumerator(atPath: folder)?.allObjects as? [String] ?? [])
        .filter { $0.hasSuffix(".npz") }.sorted()
    let jobs = files.map { [folder + "/" + $0] + (data($0).map { [$0] } ?? []) }
    let input = try JSONSerialization.data(withJSONObject: jobs)
    let out = try Python.run("""
        import sys, io, json, contextlib, importlib.util
        spec = importlib.util.spec_from_file_location("verify", "\(verifierScript)")
        verify = importlib.util.module_from_spec(spec); spec.loader.exec_module(verify)
        for job in json.load(sys.stdin):
            text = io.StringIO()
            with contextlib.redirect_stdout(text):
                code = verify.main(["verify_certificate.py"] + job)
            print(code, " ".join(text.getvalue().split()[:2]))
        """, input: input)
    return zip(files, out.split(separator: "\n")).map { "\($0) \($1)" }
}
