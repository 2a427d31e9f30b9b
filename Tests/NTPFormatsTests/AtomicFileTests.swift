import Foundation
import XCTest
@testable import NTPFormats

final class AtomicFileTests: TempDirTestCase {
    struct Boom: Error {}

    func testWritesAndReplaces() throws {
        try writeFileAtomically(path: path("a.txt"), contents: "first")
        try writeFileAtomically(path: path("a.txt"), contents: Array("second €".utf8))
        XCTAssertEqual(String(decoding: try bytes("a.txt"), as: UTF8.self), "second €")
        // Large writes (beyond the 1 MiB buffer) arrive intact.
        let big = (0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        try writeFileAtomically(path: path("big.bin")) { sink in
            try sink.write(Array(big[0..<10]))
            try sink.write(Array(big[10..<2_500_000]))
            try sink.write(Array(big[2_500_000...]))
        }
        XCTAssertTrue(try bytes("big.bin") == big)
        XCTAssertEqual(try listing(), ["a.txt", "big.bin"])
    }

    func testFailureLeavesNothing() throws {
        try writeFileAtomically(path: path("keep.txt"), contents: "old")
        XCTAssertThrowsError(try writeFileAtomically(path: path("keep.txt")) { sink in
            try sink.write("partial")
            throw Boom()
        })
        XCTAssertEqual(String(decoding: try bytes("keep.txt"), as: UTF8.self), "old")
        XCTAssertEqual(try listing(), ["keep.txt"])
    }

    func testUnwritableDirectory() throws {
        XCTAssertEqual(errorText { try writeFileAtomically(path: path("no/such/x.csv"), contents: "") },
                       "cannot write \(path("no/such/x.csv")): folder \(path("no/such")) does not exist; create it first")
        XCTAssertEqual(errorText { try writeFileAtomically(path: dir, contents: "") }.map { $0.hasPrefix("cannot write ") }, true)
        try writeFileAtomically(path: path("plain"), contents: "x")
        XCTAssertEqual(errorText { try writeFileAtomically(path: path("plain/x.csv"), contents: "") },
                       "cannot write \(path("plain/x.csv")): \(path("plain")) is a file, not a folder; choose a path in a folder")
        #if os(Linux)
        // procfs refuses new files with ENOENT: the folder is named, and what to do.
        XCTAssertEqual(errorText { try writeFileAtomically(path: "/proc/x.npz", contents: "") },
                       "cannot write /proc/x.npz: No such file or directory (creating a file in folder /proc); choose a folder where you can create files")
        #endif
        if getuid() != 0 {
            XCTAssertEqual(chmod(dir, 0o555), 0)
            XCTAssertEqual(errorText { try writeFileAtomically(path: path("out.npz"), contents: "") },
                           "cannot write \(path("out.npz")): Permission denied (folder \(dir))")
        }
    }
}
