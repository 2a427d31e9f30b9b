import Foundation
import XCTest
@testable import NTPFormats

/// Temporary names, stale temporaries, refused targets and staged folders (AtomicFileSink, OutputFolder).
final class OutputSafetyTests: TempDirTestCase {
    /// `.NAME.tmp-HOST-PID-START-RANDOM`, parsed from the right so NAME may hold ".tmp-" and '-'.
    func testTemporaryNamesCarryHostPIDAndStartTime() {
        let name = TemporaryName.make(for: "a.tmp-b-c.npz")
        XCTAssertTrue(name.hasPrefix(".a.tmp-b-c.npz.tmp-\(TemporaryName.host)-\(getpid())-\(TemporaryName.start)-"), name)
        XCTAssertGreaterThan(TemporaryName.start, 0)
        XCTAssertEqual(TemporaryName.owner(of: name)?.pid, getpid())
        XCTAssertEqual(TemporaryName.owner(of: name)?.start, TemporaryName.start)
        XCTAssertNil(TemporaryName.owner(of: ".x.tmp-otherhost-1-2-abc"))
        XCTAssertNil(TemporaryName.owner(of: "x.tmp-\(TemporaryName.host)-1-2-abc"))   // not hidden
        XCTAssertFalse(TemporaryName.isStale(name))                                    // this live process
        // Our PID with another start time is a recycled PID: stale.
        XCTAssertTrue(TemporaryName.isStale(".x.tmp-\(TemporaryName.host)-\(getpid())-\(TemporaryName.start + 1)-abc"))
        // PID 1 is alive but started at another time than 7.
        XCTAssertTrue(TemporaryName.isStale(".x.tmp-\(TemporaryName.host)-1-7-abc") == (ntpStart(1) != 7))
    }

    /// The first write into a folder deletes this host's dead temporaries (files and staged
    /// folders) and nothing else.
    func testStaleTemporariesAreSweptOnTheNextWrite() throws {
        let host = TemporaryName.host
        let deadFile = ".out.npz.tmp-\(host)-\(getpid())-\(TemporaryName.start + 5)-zz"
        let deadFolder = ".report.tmp-\(host)-\(getpid())-\(TemporaryName.start + 6)-yy"
        let foreign = ".out.npz.tmp-elsewhere-\(getpid())-1-xx"
        let live = TemporaryName.make(for: "live.npz")
        for f in [deadFile, foreign, live] { XCTAssertTrue(FileManager.default.createFile(atPath: path(f), contents: Data("x".utf8))) }
        try FileManager.default.createDirectory(atPath: path(deadFolder), withIntermediateDirectories: false)
        XCTAssertTrue(FileManager.default.createFile(atPath: path(deadFolder) + "/a.svg", contents: nil))
        try writeFileAtomically(path: path("new.txt"), contents: "ok")
        XCTAssertEqual(try listing().sorted(), [foreign, live, "new.txt"].sorted())
    }

    /// An input (also through a symlink or hard link) and a directory are refused; a character
    /// device is written into; a symlink's target is replaced and the link stays.
    func testTargetsThatMustNotBeReplaced() throws {
        try writeFileAtomically(path: path("in.txt"), contents: "input")
        CommandInputs.reset()
        defer { CommandInputs.reset() }
        CommandInputs.register([path("in.txt")])
        try FileManager.default.createSymbolicLink(atPath: path("link"), withDestinationPath: "in.txt")
        try FileManager.default.linkItem(atPath: path("in.txt"), toPath: path("hard"))
        for name in ["in.txt", "link", "hard"] {
            XCTAssertEqual(errorText { try writeFileAtomically(path: path(name), contents: "x") }?.contains("it is an input of this command"), true, name)
        }
        XCTAssertEqual(String(decoding: try bytes("in.txt"), as: UTF8.self), "input")
        try writeFileAtomically(path: "/dev/null", contents: "discarded")
        XCTAssertEqual(errorText { try writeFileAtomically(path: "/dev/full", contents: "x") }, "cannot write /dev/full: No space left on device")
        CommandInputs.reset()
        try writeFileAtomically(path: path("link"), contents: "through the link")
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: path("link")), "in.txt")
        XCTAssertEqual(String(decoding: try bytes("in.txt"), as: UTF8.self), "through the link")
    }

    /// A staged folder appears whole at commit, and an abandoned one leaves nothing, parents included.
    func testOutputFolderIsAllOrNothing() throws {
        let folder = try OutputFolder(path: path("a/b/out"))
        try writeFileAtomically(path: folder.file("x.txt"), contents: "x")
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("a/b/out")))
        folder.abandon()
        XCTAssertEqual(try listing(), [])
        let kept = try OutputFolder(path: path("out"))
        try writeFileAtomically(path: kept.file("x.txt"), contents: "x")
        try kept.commit()
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: path("out")), ["x.txt"])
        XCTAssertEqual(try listing(), ["out"])
    }

    /// Names with folders ("certificates/sweep/x.npz") are staged in those folders, and a commit
    /// into an existing folder creates the ones it lacks and keeps its other files.
    func testOutputFolderFilesInSubfolders() throws {
        let fresh = try OutputFolder(path: path("out"))
        try writeFileAtomically(path: fresh.file("c/s/a.npz"), contents: "a")
        try writeFileAtomically(path: fresh.file("c/b.npz"), contents: "b")
        try fresh.commit()
        XCTAssertEqual(String(decoding: try bytes("out/c/s/a.npz"), as: UTF8.self), "a")
        let again = try OutputFolder(path: path("out"))
        try writeFileAtomically(path: again.file("c/s/t/z.npz"), contents: "z")
        try writeFileAtomically(path: again.file("c/b.npz"), contents: "b2")
        try again.commit()
        XCTAssertEqual(try FileManager.default.subpathsOfDirectory(atPath: path("out")).sorted(),
                       ["c", "c/b.npz", "c/s", "c/s/a.npz", "c/s/t", "c/s/t/z.npz"])
        XCTAssertEqual(String(decoding: try bytes("out/c/b.npz"), as: UTF8.self), "b2")
        XCTAssertEqual(try listing(), ["out"])   // no staging folder left
    }
}

private func ntpStart(_ pid: Int32) -> Int64 {
    guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = text.lastIndex(of: ")") else { return -1 }
    let fields = text[text.index(after: close)...].split(separator: " ")
    return Int64(fields[19]) ?? -1
}
