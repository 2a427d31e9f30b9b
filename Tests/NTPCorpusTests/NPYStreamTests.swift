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
            XCTAssertEqual("\(error)", "\(floats): a .npy token stream needs a little-endian integer dtype (got '<f8')")
        }
        XCTAssertThrowsError(try ingest([fortran]) { $0.format = .npy }) { error in
            XCTAssertTrue("\(error)".contains("must be C-ordered"), "\(error)")
        }
    }
}
