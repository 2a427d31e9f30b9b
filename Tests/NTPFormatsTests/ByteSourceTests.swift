import Foundation
import XCTest
@testable import NTPFormats

final class ByteSourceTests: TempDirTestCase {
    /// 1.3 MB of varied text, in two parts, so buffers (1 MiB) and member boundaries are crossed.
    let script = """
    import gzip, bz2, random
    random.seed(7)
    a = ''.join(random.choices('abcdefghij \\n', k=800_000)).encode()
    b = ''.join(random.choices('klmnopq€\\n', k=500_000)).encode()
    open('plain.txt', 'wb').write(a + b)
    open('one.gz', 'wb').write(gzip.compress(a + b))
    open('multi.gz', 'wb').write(gzip.compress(a) + gzip.compress(b) + gzip.compress(b''))
    open('one.bz2', 'wb').write(bz2.compress(a + b))
    open('multi.bz2', 'wb').write(bz2.compress(a) + bz2.compress(b))
    open('padded.gz', 'wb').write(gzip.compress(a) + bytes(100))
    open('empty.txt', 'wb').write(b'')
    open('tiny.txt', 'wb').write(b'BZ')

    """

    func testDecompressesAllKinds() throws {
        try python(script)
        let plain = try bytes("plain.txt")
        let expect: [(String, ByteSource.Compression, Int)] = [
            ("plain.txt", .none, plain.count), ("one.gz", .gzip, plain.count), ("multi.gz", .gzip, plain.count),
            ("one.bz2", .bzip2, plain.count), ("multi.bz2", .bzip2, plain.count),
        ]
        for (n, c, len) in expect {
            let s = try ByteSource(path: path(n))
            XCTAssertEqual(s.compression, c, n)
            XCTAssertEqual(s.compressedBytesRead, 0, n)
            let data = try s.readAll()
            XCTAssertEqual(data.count, len, n)
            XCTAssertTrue(data == plain, n)
            let size = try bytes(n).count
            XCTAssertEqual(s.compressedSize, Int64(size), n)
            XCTAssertEqual(s.compressedBytesRead, Int64(size), n)
            XCTAssertEqual(try s.withUnsafeReadZero(), 0, n)
        }
        let padded = try ByteSource(path: path("padded.gz")).readAll()
        XCTAssertEqual(padded, Array(plain[0..<800_000]))
        XCTAssertEqual(try ByteSource(path: path("empty.txt")).readAll(), [])
        let tiny = try ByteSource(path: path("tiny.txt"))
        XCTAssertEqual(tiny.compression, .none)
        XCTAssertEqual(try tiny.readAll(), Array("BZ".utf8))
    }

    /// The same bytes held in memory decode to the same output, with the same compression,
    /// sizes and errors as the file (the fuzz targets read this way).
    func testBytesInMemoryReadLikeTheFile() throws {
        try python(script + """
        z = open('one.gz', 'rb').read()
        open('trunc.gz', 'wb').write(z[:len(z) // 2])
        """)
        let plain = try bytes("plain.txt")
        for (n, c) in [("plain.txt", ByteSource.Compression.none), ("multi.gz", .gzip), ("multi.bz2", .bzip2), ("tiny.txt", .none)] {
            let s = try ByteSource(bytes: try bytes(n), name: n)
            XCTAssertEqual(s.compression, c, n)
            XCTAssertEqual(s.compressedSize, Int64(try bytes(n).count), n)
            let data = try s.readAll()
            XCTAssertTrue(n == "tiny.txt" ? data == Array("BZ".utf8) : data == plain, n)
            XCTAssertEqual(s.compressedBytesRead, Int64(try bytes(n).count), n)
            XCTAssertEqual(try s.withUnsafeReadZero(), 0, n)
        }
        XCTAssertEqual(try ByteSource(bytes: [], name: "empty").readAll(), [])
        let half = try bytes("one.gz").count / 2
        XCTAssertEqual(errorText { _ = try ByteSource(bytes: try bytes("trunc.gz"), name: "t.gz").readAll() },
                       "t.gz: truncated gzip stream (input ends inside a member) at compressed byte \(half); the file is damaged or incomplete, re-create or re-download it")
    }

    /// A pipe (not seekable, no size) works through the look-ahead, as stdin does.
    func testPipe() throws {
        try python(script)
        let gz = try bytes("multi.bz2")
        let pipe = Pipe()
        let writer = Thread {
            pipe.fileHandleForWriting.write(Data(gz))
            try? pipe.fileHandleForWriting.close()
        }
        writer.start()
        let s = try ByteSource(path: "/dev/fd/\(pipe.fileHandleForReading.fileDescriptor)")
        XCTAssertEqual(s.compression, .bzip2)
        XCTAssertNil(s.compressedSize)
        XCTAssertTrue(try s.readAll() == (try bytes("plain.txt")))
        XCTAssertEqual(s.compressedBytesRead, Int64(gz.count))
    }

    /// "-" reads standard input (here a pipe temporarily put on descriptor 0).
    func testStdin() throws {
        try python(script)
        let gz = try bytes("multi.gz")
        let pipe = Pipe()
        let saved = dup(0)
        XCTAssertEqual(dup2(pipe.fileHandleForReading.fileDescriptor, 0), 0)
        defer { dup2(saved, 0); close(saved) }
        let writer = Thread {
            pipe.fileHandleForWriting.write(Data(gz))
            try? pipe.fileHandleForWriting.close()
        }
        writer.start()
        let s = try ByteSource(path: "-")
        XCTAssertEqual(s.path, "-")
        XCTAssertEqual(s.compression, .gzip)
        XCTAssertNil(s.compressedSize)
        XCTAssertTrue(try s.readAll() == (try bytes("plain.txt")))
        XCTAssertEqual(s.compressedBytesRead, Int64(gz.count))
    }

    func testErrors() throws {
        try python(script + """
        g = open('one.gz', 'rb').read()
        open('trunc.gz', 'wb').write(g[:len(g) // 2])
        c = bytearray(g); c[1000] ^= 0xff; c[1001] ^= 0xff; c[1002] ^= 0xff
        open('corrupt.gz', 'wb').write(bytes(c))
        z = open('one.bz2', 'rb').read()
        open('trunc.bz2', 'wb').write(z[:len(z) // 2])
        c = bytearray(z); c[1000] ^= 0x55
        open('corrupt.bz2', 'wb').write(bytes(c))
        open('garbage.gz', 'wb').write(gzip.compress(b'x') + b'junk')
        """)
        let gzSize = try bytes("one.gz").count, bzSize = try bytes("one.bz2").count
        XCTAssertEqual(errorText { _ = try ByteSource(path: path("trunc.gz")).readAll() },
                       "\(path("trunc.gz")): truncated gzip stream (input ends inside a member) at compressed byte \(gzSize / 2); the file is damaged or incomplete, re-create or re-download it")
        XCTAssertEqual(errorText { _ = try ByteSource(path: path("trunc.bz2")).readAll() },
                       "\(path("trunc.bz2")): truncated bzip2 stream (input ends inside a stream) at compressed byte \(bzSize / 2); the file is damaged or incomplete, re-create or re-download it")
        let corrupt = errorText { _ = try ByteSource(path: path("corrupt.gz")).readAll() } ?? ""
        XCTAssertTrue(corrupt.hasPrefix("\(path("corrupt.gz")): corrupt gzip data ("), corrupt)
        // The error is detected at or shortly after the damaged bytes, never before.
        let offset = Int(corrupt.components(separatedBy: "at compressed byte ")[1].split(separator: ";")[0]) ?? -1
        XCTAssertTrue(offset >= 1000 && offset <= gzSize, corrupt)
        let bzCorrupt = errorText { _ = try ByteSource(path: path("corrupt.bz2")).readAll() } ?? ""
        XCTAssertTrue(bzCorrupt.hasPrefix("\(path("corrupt.bz2")): corrupt bzip2 data (data integrity error) at compressed byte "), bzCorrupt)
        XCTAssertEqual(errorText { _ = try ByteSource(path: path("garbage.gz")).readAll() },
                       "\(path("garbage.gz")): trailing garbage after the last gzip stream at compressed byte \(try bytes("garbage.gz").count - 4); the file is damaged or incomplete, re-create or re-download it")
        XCTAssertEqual(errorText { _ = try ByteSource(path: path("nope.txt")) },
                       "cannot read \(path("nope.txt")): No such file or directory (check the path)")
        XCTAssertEqual(errorText { _ = try ByteSource(path: dir) },
                       "cannot read \(dir): Is a directory (give a file, not a directory)")
        if getuid() != 0 {
            XCTAssertEqual(chmod(path("plain.txt"), 0), 0)
            XCTAssertEqual(errorText { _ = try ByteSource(path: path("plain.txt")) },
                           "cannot read \(path("plain.txt")): Permission denied (check the file's permissions)")
        }
    }
}

extension ByteSource {
    /// A read after the end must keep returning 0.
    func withUnsafeReadZero() throws -> Int {
        var b = [UInt8](repeating: 0, count: 16)
        return try b.withUnsafeMutableBytes { try read(into: $0) }
    }
}
