import XCTest
import TestSupport
@testable import NTPCorpus
import NTPFormats

/// Token ids in a .npy file: the header is read by NTPFormats' parser (as every .npy), then the
/// stream must be C-ordered little-endian integers.
final class NPYStreamTests: XCTestCase {
    /// ids 5 7 5 7 5 (int64) at order 2, no boundaries: contexts 5 → {7: 2} and 7 → {5: 2}.
    func testInt64IdsAreCounted() throws {
        let path = temporaryDirectory().appendingPathComponent("ids.npy").path
        try writeNPY(NPYArray(int64: [5, 7, 5, 7, 5], shape: [5]), to: path)
        let data = try ingest([path]) { $0.format = .npy; $0.order = 2; $0.boundary = .none }
        XCTAssertEqual(data.eventCount, 4)
        XCTAssertEqual(data.contextCount, 2)
        XCTAssertEqual(data.counts, [2, 2])
    }

    func testFloatAndFortranStreamsAreRefusedInOneLine() throws {
        let dir = temporaryDirectory()
        let floats = dir.appendingPathComponent("f.npy").path, fortran = dir.appendingPathComponent("t.npy").path
        try writeNPY(NPYArray(doubles: [1, 2, 3], shape: [3]), to: floats)
        try writeNPY(NPYArray(descr: "<i8", shape: [2, 2], fortranOrder: true, data: Array(repeating: 0, count: 32)), to: fortran)
        XCTAssertThrowsError(try ingest([floats]) { $0.format = .npy }) { error in
            XCTAssertEqual("\(error)", "\(floats): a .npy token stream needs a little-endian integer dtype (got '<f8'); save the ids as integers with np.save(path, ids.astype('<i8'))")
        }
        XCTAssertThrowsError(try ingest([fortran]) { $0.format = .npy }) { error in
            XCTAssertTrue("\(error)".contains("must be C-ordered"), "\(error)")
        }
    }

    /// The header's shape is authoritative: ids 0 1 2 … 9 (int32, payload from byte 128) with 8 or
    /// 7 bytes cut off are refused with the byte counts, plain or gzip-compressed; 8 bytes appended
    /// are ignored, as numpy.load ignores them, and never become ids.
    func testShapeDecidesThePayload() throws {
        let dir = temporaryDirectory()
        let loaded = try Python.run("""
            import numpy as np, gzip
            np.save("ok.npy", np.arange(10, dtype="<i4")); whole = open("ok.npy", "rb").read()
            for name, b in [("cut8", whole[:-8]), ("cut7", whole[:-7]), ("extra", whole + bytes(8))]:
                open(name + ".npy", "wb").write(b); open(name + ".npy.gz", "wb").write(gzip.compress(b, mtime=0))
            print(len(whole), np.load("extra.npy").tolist())
            """, in: dir)
        XCTAssertEqual(loaded, "168 [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]\n")
        for cut in [8, 7] {
            for file in ["cut\(cut).npy", "cut\(cut).npy.gz"].map({ dir.appendingPathComponent($0).path }) {
                XCTAssertThrowsError(try ingest([file]) { $0.order = 2 }) { error in
                    XCTAssertEqual("\(error)", "\(file): truncated .npy payload: shape [10] of <i4 needs 40 bytes after byte 128, file has \(40 - cut); the file is incomplete: save it again (np.save)")
                }
            }
        }
        let reference = try ingest([dir.appendingPathComponent("ok.npy").path]) { $0.order = 2 }
        XCTAssertEqual(reference.eventCount, 9)   // 0→1, …, 8→9: one stream, no boundaries
        for file in ["extra.npy", "extra.npy.gz"].map({ dir.appendingPathComponent($0).path }) {
            let data = try ingest([file]) { $0.order = 2 }
            XCTAssertEqual(data.eventCount, 9, file)
            XCTAssertEqual(data.vocabulary, reference.vocabulary, file)
            XCTAssertEqual(rows(data), rows(reference), file)
        }
    }
}
