import Foundation
import XCTest
import TestSupport
@testable import NTPFormats

/// A fresh temporary directory per test, removed afterwards.
class TempDirTestCase: XCTestCase {
    var dir = ""

    override func setUpWithError() throws {
        dir = temporaryDirectory("ntpformats").path
    }

    func path(_ name: String) -> String { dir + "/" + name }

    /// Runs `python3 -c code` with the temp dir as working directory; fails on a non-zero exit.
    @discardableResult
    func python(_ code: String) throws -> String {
        try Python.run(code, in: URL(fileURLWithPath: dir)).trimmingCharacters(in: .whitespacesAndNewlines)
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
