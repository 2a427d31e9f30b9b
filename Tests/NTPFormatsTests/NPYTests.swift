import Foundation
import XCTest
@testable import NTPFormats

final class NPYTests: TempDirTestCase {
    /// Header derived by hand from numpy's format.py: dict text, 21 − 1 growth spaces, padding
    /// to 127 bytes + "\n" so the payload starts at byte 128; header length field 118 = 0x76.
    func testHeaderBytesByHand() throws {
        let a = NPYArray(doubles: [1.0, 2.0], shape: [2])
        try writeNPY(a, to: path("a.npy"))
        let b = try bytes("a.npy")
        let dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }"
        var expected: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0, 0x76, 0]
        expected += Array(dict.utf8)
        expected += [UInt8](repeating: 0x20, count: 127 - expected.count) + [0x0a]
        expected += [0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 0, 0, 0, 0, 0, 0, 0, 0x40]
        XCTAssertEqual(b, expected)
    }

    /// np.save of the same arrays must give identical bytes.
    func testByteIdenticalToNumpySave() throws {
        let cases: [(String, NPYArray)] = [
            ("np.arange(6, dtype='<f8').reshape(2, 3)", NPYArray(doubles: [0, 1, 2, 3, 4, 5], shape: [2, 3])),
            ("np.asfortranarray(np.arange(6, dtype='<f8').reshape(2, 3))", NPYArray(doubles: [0, 3, 1, 4, 2, 5], shape: [2, 3], fortranOrder: true)),
            ("np.array([1, -2, 3], dtype='<i4')", NPYArray(int32: [1, -2, 3], shape: [3])),
            ("np.array([7, -9000000000], dtype='<i8')", NPYArray(int64: [7, -9_000_000_000], shape: [2])),
            ("np.array(['ab', 'c', 'é€😀'])", NPYArray(strings: ["ab", "c", "é€😀"], shape: [3])),
            ("np.array(['', ''])", NPYArray(strings: ["", ""], shape: [2])),
            ("np.array('{\"a\": 1}')", NPYArray(strings: ["{\"a\": 1}"], shape: [])),
            ("np.array(b'csr')", NPYArray(bytesString: "csr")),
            ("np.zeros((0,), dtype='<f8')", NPYArray(doubles: [], shape: [0])),
            ("np.zeros((1,) * 12, dtype='<i8')", NPYArray(int64: [0], shape: [Int](repeating: 1, count: 12))),
            ("np.zeros((12345678901, 0), dtype='<i4')", NPYArray(int32: [], shape: [12_345_678_901, 0])),
        ]
        var script = "import numpy as np\n"
        for (i, c) in cases.enumerated() { script += "np.save('ref\(i).npy', \(c.0))\n" }
        try python(script)
        for (i, c) in cases.enumerated() {
            try writeNPY(c.1, to: path("ours\(i).npy"))
            XCTAssertEqual(try bytes("ours\(i).npy"), try bytes("ref\(i).npy"), c.0)
        }
    }

    /// We read every dtype numpy writes (both byte orders, Fortran order, v2/v3 headers).
    func testReadNumpyDtypes() throws {
        try python("""
        import numpy as np
        v = [0, 1, 2, 100, 127]
        for t in ['i1','u1','<i2','<u2','<i4','<u4','<i8','<u8','<f4','<f8','>i2','>u4','>i8','>f4','>f8','|b1']:
            np.save('t_' + t.replace('<','L').replace('>','B').replace('|','P') + '.npy', np.array(v, dtype=t))
        np.save('neg.npy', np.array([-1, -128, 127], dtype='i1'))
        np.save('big.npy', np.array([2**63 - 1, -2**63], dtype='<i8'))
        np.save('f.npy', np.asfortranarray(np.arange(24, dtype='<f8').reshape(2, 3, 4)))
        np.save('u.npy', np.array([['a', 'bcd'], ['€', '']]))
        np.save('ub.npy', np.array(['xy', 'z'], dtype='>U2'))
        np.save('s.npy', np.array([b'ab', b'c']))
        np.lib.format.write_array(open('v2.npy', 'wb'), np.array([1.5, 2.5]), version=(2, 0))
        np.lib.format.write_array(open('v3.npy', 'wb'), np.array([3, 4], dtype='<i4'), version=(3, 0))
        """)
        for t in ["i1", "u1", "Li2", "Lu2", "Li4", "Lu4", "Li8", "Lu8", "Lf4", "Lf8", "Bi2", "Bu4", "Bi8", "Bf4", "Bf8", "Pb1"] {
            let a = try readNPY(path: path("t_\(t).npy"))
            let expect: [Double] = t == "Pb1" ? [0, 1, 1, 1, 1] : [0, 1, 2, 100, 127]
            XCTAssertEqual(try a.doubles(), expect, t)
            if !t.contains("f") { XCTAssertEqual(try a.int64s(), expect.map { Int64($0) }, t) }
        }
        XCTAssertEqual(try readNPY(path: path("neg.npy")).int64s(), [-1, -128, 127])
        XCTAssertEqual(try readNPY(path: path("big.npy")).int64s(), [Int64.max, Int64.min])
        let f = try readNPY(path: path("f.npy"))
        XCTAssertEqual(f.shape, [2, 3, 4]); XCTAssertTrue(f.fortranOrder)
        XCTAssertEqual(try f.doubles(), (0..<24).map(Double.init))
        XCTAssertEqual(try readNPY(path: path("u.npy")).strings(), ["a", "bcd", "€", ""])
        XCTAssertEqual(try readNPY(path: path("ub.npy")).strings(), ["xy", "z"])
        XCTAssertEqual(try readNPY(path: path("s.npy")).strings(), ["ab", "c"])
        XCTAssertEqual(try readNPY(path: path("v2.npy")).doubles(), [1.5, 2.5])
        XCTAssertEqual(try readNPY(path: path("v3.npy")).int64s(), [3, 4])
        XCTAssertThrowsError(try readNPY(path: path("t_Lf8.npy")).int64s())
        XCTAssertThrowsError(try readNPY(path: path("t_Lf8.npy")).strings())
    }

    /// numpy reads what we write, and our own round trip is exact.
    func testRoundTripAndNumpyReadsOurs() throws {
        let arrays: [(String, NPYArray)] = [
            ("d", NPYArray(doubles: [0.1, -2.5e300, .infinity, .leastNonzeroMagnitude], shape: [2, 2])),
            ("i", NPYArray(int32: [Int32.min, Int32.max, 0], shape: [3])),
            ("l", NPYArray(int64: [Int64.min, Int64.max], shape: [2, 1])),
            ("s", NPYArray(strings: ["naïve", "日本", "x"], shape: [3])),
            ("b", NPYArray(bytesString: "coo")),
        ]
        for (n, a) in arrays {
            try writeNPY(a, to: path("\(n).npy"))
            XCTAssertEqual(try readNPY(path: path("\(n).npy")), a, n)
        }
        let out = try python("""
        import numpy as np
        print(np.load('d.npy').tolist(), np.load('i.npy').tolist(), np.load('l.npy').tolist(), np.load('s.npy').tolist(), np.load('b.npy')[()])
        """)
        XCTAssertEqual(out, "[[0.1, -2.5e+300], [inf, 5e-324]] [-2147483648, 2147483647, 0] [[-9223372036854775808], [9223372036854775807]] ['naïve', '日本', 'x'] b'coo'")
    }

    func testStreamWriterFortranBlocks() throws {
        // 3 × 4 matrix M[i][j] = 10 i + j written column by column in Fortran order.
        let w = try NPYStreamWriter(path: path("w.npy"), descr: "<f8", shape: [3, 4], fortranOrder: true)
        for j in 0..<4 {
            let col = (0..<3).map { Double(10 * $0 + j) }
            try col.withUnsafeBytes { try w.append($0) }
        }
        try w.finish()
        try python("import numpy as np; np.save('ref.npy', np.asfortranarray(np.array([[10*i + j for j in range(4)] for i in range(3)], dtype='<f8')))")
        XCTAssertEqual(try bytes("w.npy"), try bytes("ref.npy"))
        XCTAssertEqual(try readNPY(path: path("w.npy")).doubles(), [0, 1, 2, 3, 10, 11, 12, 13, 20, 21, 22, 23])

        // Too few bytes: finish throws and leaves no file, not even the hidden temp file.
        let short = try NPYStreamWriter(path: path("short.npy"), descr: "<f8", shape: [2], fortranOrder: false)
        try [1.0].withUnsafeBytes { try short.append($0) }
        XCTAssertEqual(errorText { try short.finish() },
                       "cannot write \(path("short.npy")): payload has 8 bytes but the shape needs 16; file not written")
        let abandoned = try NPYStreamWriter(path: path("ab.npy"), descr: "<i4", shape: [1], fortranOrder: false)
        abandoned.abandon()
        XCTAssertEqual(try listing(), ["ref.npy", "w.npy"])
    }

    func testReadErrors() throws {
        try write("junk.npy", Array("hello world".utf8))
        XCTAssertEqual(errorText { _ = try readNPY(path: path("junk.npy")) },
                       "\(path("junk.npy")): not a .npy file (missing the \\x93NUMPY magic at byte 0); write the array with numpy.save")
        try python("import numpy as np; np.savez('h.npz', H=np.eye(2))")
        XCTAssertEqual(errorText { _ = try readNPY(path: path("h.npz")) },
                       "\(path("h.npz")): an .npz archive, not a .npy file; save the one array with np.save('H.npy', np.load('\(path("h.npz"))')['NAME'])")
        var good = try { try writeNPY(NPYArray(doubles: [1, 2], shape: [2]), to: path("g.npy")); return try bytes("g.npy") }()
        good.removeLast(3)
        try write("trunc.npy", good)
        XCTAssertEqual(errorText { _ = try readNPY(path: path("trunc.npy")) },
                       "\(path("trunc.npy")): truncated .npy payload: shape [2] of <f8 needs 16 bytes after byte 128, file has 13")
        try python("import numpy as np; np.save('obj.npy', np.array([{}, 1], dtype=object), allow_pickle=True)")
        XCTAssertEqual(errorText { _ = try readNPY(path: path("obj.npy")) },
                       "\(path("obj.npy")): object arrays ('|O', pickled) are not supported; save plain numeric or string arrays")
        XCTAssertEqual(errorText { _ = try readNPY(path: path("none.npy")) },
                       "cannot read \(path("none.npy")): No such file or directory")
    }
}
