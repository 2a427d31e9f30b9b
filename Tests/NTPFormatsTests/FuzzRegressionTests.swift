import Foundation
import XCTest
@testable import NTPFormats

/// Inputs that crashed a reader under libFuzzer (scripts/fuzz.sh), kept in Tests/Fixtures/fuzz/TARGET:
/// each now gives the answer stated here instead of a crash.
final class FuzzRegressionTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/fuzz")

    func bytes(_ target: String, _ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: Self.fixtures.appendingPathComponent("\(target)/\(name)")))
    }

    /// A '|S3' (and '|S6') byte-string array read as numbers: `doubles()` loaded 8 bytes per
    /// element past the end of the payload (ASan heap-buffer-overflow); now it refuses strings.
    func testByteStringArrayReadAsNumbersIsRefused() throws {
        for (name, descr) in [("string-array-as-doubles-1", "|S3"), ("string-array-as-doubles-2", "|S6")] {
            let array = try readNPY(bytes: try bytes("npy", name), name: name)
            XCTAssertEqual(array.descr, descr)
            XCTAssertThrowsError(try array.doubles()) { error in
                XCTAssertEqual("\(error)", "array of dtype \(descr) holds strings, not numbers (expected a bool, integer or float dtype)")
            }
            XCTAssertThrowsError(try array.int64s())
        }
    }

    /// '<U0' with shape (92222222225,): zero bytes of payload for 9·10¹⁰ elements, and `strings()`
    /// reserved room for all of them (a 1.5 TB allocation). Zero-width strings are refused.
    func testZeroWidthStringsAreRefused() throws {
        XCTAssertThrowsError(try readNPY(bytes: try bytes("npy", "zero-width-strings-huge-shape"), name: "z.npy")) { error in
            XCTAssertEqual("\(error)", "z.npy: zero-width string dtype '<U0' is not supported (numpy saves strings as <U1 or |S1 at least)")
        }
    }

    /// Every committed input of every target goes through its reader without crashing.
    func testEveryCommittedInputIsReadWithoutCrashing() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.fixtures.appendingPathComponent("npy").path)
        XCTAssertFalse(files.isEmpty)
        for name in files.sorted() {
            if let a = try? readNPY(bytes: try bytes("npy", name), name: name) { _ = try? a.doubles(); _ = try? a.int64s(); _ = try? a.strings() }
        }
        let npz = Self.fixtures.appendingPathComponent("npz").path
        for name in ((try? FileManager.default.contentsOfDirectory(atPath: npz)) ?? []).sorted() {
            if let members = try? NPZArchive.read(bytes: try bytes("npz", name), name: name) { _ = try? DataSet(npzMembers: members, name: name) }
        }
    }
}
