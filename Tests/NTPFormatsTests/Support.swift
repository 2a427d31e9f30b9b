import Foundation
import XCTest
@testable import NTPFormats

/// A fresh temporary directory per test, removed afterwards.
class TempDirTestCase: XCTestCase {
    var dir = ""

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "ntpformats-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        _ = chmod(dir, 0o755)
        try? FileManager.default.removeItem(atPath: dir)
    }

    func path(_ name: String) -> String { dir + "/" + name }

    /// Runs `python3 -c code` with the temp dir as working directory; fails on a non-zero exit.
    @discardableResult
    func python(_ code: String, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", code]
        p.currentDirectoryURL = URL(fileURLWithPath: dir)
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let text = String(decoding: o, as: UTF8.self)
        if p.terminationStatus != 0 {
            XCTFail("python failed: \(String(decoding: e, as: UTF8.self))", file: file, line: line)
        }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func bytes(_ name: String) throws -> [UInt8] { Array(try Data(contentsOf: URL(fileURLWithPath: path(name)))) }

    func write(_ name: String, _ b: [UInt8]) throws { try Data(b).write(to: URL(fileURLWithPath: path(name))) }

    /// Directory entries (including hidden ones), sorted.
    func listing() throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: dir).sorted() }

    /// The error's description, or nil if `body` did not throw.
    func errorText(_ body: () throws -> Void) -> String? {
        do { try body(); return nil } catch { return "\(error)" }
    }
}
