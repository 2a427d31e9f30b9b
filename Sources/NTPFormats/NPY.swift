/// An n-dimensional array as stored in a numpy `.npy` file: the dtype string, the shape, the
/// memory order and the raw payload. Payloads built by this module are little-endian.
public struct NPYArray: Equatable, Sendable {
    /// numpy dtype string, e.g. "<f8", "<i4", "<U7", "|S3", "|b1".
    public var descr: String
    /// Dimensions; `[]` is a 0-d (scalar) array.
    public var shape: [Int]
    /// True when the payload is in Fortran (column-major) order.
    public var fortranOrder: Bool
    /// Raw payload bytes, `shape.product × itemsize` of them (empty when `decodedStrings` holds
    /// the elements instead).
    public var data: [UInt8]
    /// A string array's elements in C order, decoded while its member was inflated (see
    /// `NPZArchive.read(path:decodingStrings:)`); then `data` is empty.
    var decodedStrings: [String]? = nil

    /// Wraps raw parts without checking them (`readNPY`/`writeNPY` check).
    public init(descr: String, shape: [Int], fortranOrder: Bool = false, data: [UInt8]) {
        self.descr = descr
        self.shape = shape
        self.fortranOrder = fortranOrder
        self.data = data
    }

    /// A float64 ("<f8") array; `doubles` is in the given memory order.
    public init(doubles: [Double], shape: [Int], fortranOrder: Bool = false) {
        precondition(doubles.count == elementCount(shape), "NPYArray: \(doubles.count) values for shape \(shape)")
        self.init(descr: "<f8", shape: shape, fortranOrder: fortranOrder, data: littleEndianBytes(doubles))
    }

    /// An int32 ("<i4") array in C order.
    public init(int32: [Int32], shape: [Int]) {
        precondition(int32.count == elementCount(shape), "NPYArray: \(int32.count) values for shape \(shape)")
        self.init(descr: "<i4", shape: shape, data: littleEndianBytes(int32))
    }

    /// An int64 ("<i8") array in C order.
    public init(int64: [Int64], shape: [Int]) {
        precondition(int64.count == elementCount(shape), "NPYArray: \(int64.count) values for shape \(shape)")
        self.init(descr: "<i8", shape: shape, data: littleEndianBytes(int64))
    }

    /// A unicode array ("<U{maxlen}", UTF-32LE, NUL-padded, maxlen ≥ 1 like numpy) in C order.
    /// As in numpy, trailing NUL characters of a string do not survive a round trip.
    public init(strings: [String], shape: [Int]) {
        precondition(strings.count == elementCount(shape), "NPYArray: \(strings.count) strings for shape \(shape)")
        let scalars = strings.map { Array($0.unicodeScalars) }
        let width = max(1, scalars.map(\.count).max() ?? 0)
        var bytes = [UInt8](repeating: 0, count: strings.count * width * 4)
        for (i, s) in scalars.enumerated() {
            for (k, c) in s.enumerated() {
                let v = c.value, o = (i * width + k) * 4
                bytes[o] = UInt8(v & 0xff); bytes[o + 1] = UInt8((v >> 8) & 0xff)
                bytes[o + 2] = UInt8((v >> 16) & 0xff); bytes[o + 3] = UInt8(v >> 24)
            }
        }
        self.init(descr: "<U\(width)", shape: shape, data: bytes)
    }

    /// A 0-d byte-string array ("|S{n}", UTF-8, n ≥ 1) like `np.array(b"csr")`.
    public init(bytesString: String) {
        var bytes = Array(bytesString.utf8)
        if bytes.isEmpty { bytes = [0] }
        self.init(descr: "|S\(bytes.count)", shape: [], data: bytes)
    }

    /// Number of elements (product of the shape; 1 for 0-d).
    public var count: Int { elementCount(shape) }

    /// All elements converted to Double, in C (row-major) order. Accepts bool, signed and
    /// unsigned integers of 1–8 bytes and float32/float64, either byte order.
    public func doubles() throws -> [Double] {
        let t = try NPYType(descr)
        guard t.kind != .unicode && t.kind != .bytes else {
            throw NTPFormatError("array of dtype \(descr) holds strings, not numbers (expected a bool, integer or float dtype)")
        }
        try checkSize(t)
        let n = count
        var out = [Double](repeating: 0, count: n)
        data.withUnsafeBytes { raw in
            for i in 0..<n {
                let bits = t.load(raw, i)
                switch t.kind {
                case .bool: out[i] = bits != 0 ? 1 : 0
                case .int: out[i] = Double(signExtend(bits, t.size))
                case .uint: out[i] = Double(bits)
                case .float: out[i] = t.size == 4 ? Double(Float(bitPattern: UInt32(truncatingIfNeeded: bits))) : Double(bitPattern: bits)
                default: break
                }
            }
        }
        return cOrder(out)
    }

    /// All elements as Int64 in C order. Accepts bool and integer dtypes; throws for floats,
    /// strings and unsigned values above Int64.max.
    public func int64s() throws -> [Int64] {
        let t = try NPYType(descr)
        guard t.kind == .bool || t.kind == .int || t.kind == .uint else {
            throw NTPFormatError("array of dtype \(descr) cannot be read as integers (expected an integer dtype)")
        }
        try checkSize(t)
        let n = count
        var out = [Int64](repeating: 0, count: n)
        var overflow = false
        data.withUnsafeBytes { raw in
            for i in 0..<n {
                let bits = t.load(raw, i)
                switch t.kind {
                case .int: out[i] = signExtend(bits, t.size)
                case .uint: if bits > UInt64(Int64.max) { overflow = true }; out[i] = Int64(truncatingIfNeeded: bits)
                default: out[i] = bits != 0 ? 1 : 0
                }
            }
        }
        if overflow { throw NTPFormatError("array of dtype \(descr) holds values above Int64.max") }
        return cOrder(out)
    }

    /// All elements as strings in C order, for "<U"/">U" (UTF-32) and "|S" (bytes, decoded as
    /// UTF-8) arrays; trailing NULs are stripped as numpy does. An element that is not text
    /// (bytes that are not UTF-8, a value that is no code point) is an error naming its index.
    public func strings() throws -> [String] {
        let t = try NPYType(descr)
        guard t.kind == .unicode || t.kind == .bytes else {
            throw NTPFormatError("array of dtype \(descr) is not a string array (expected <U or |S)")
        }
        if let decodedStrings { return decodedStrings }
        try checkSize(t)
        let n = count
        var out: [String] = []
        out.reserveCapacity(n)
        try data.withUnsafeBytes { raw in
            for i in 0..<n {
                out.append(try Self.decodeString(UnsafeRawBufferPointer(rebasing: raw[(i * t.size)..<((i + 1) * t.size)]), t, index: i))
            }
        }
        return cOrder(out)
    }

    /// Element `index` of a "<U"/">U" or "|S" array, trailing NULs stripped. '|S' bytes must be
    /// UTF-8: decoding them leniently turned bad bytes into U+FFFD, so a '|S' vocabulary passed
    /// where the same bytes as `vocab_utf8` were refused (QA round 11).
    static func decodeString(_ element: UnsafeRawBufferPointer, _ t: NPYType, index: Int) throws -> String {
        if t.kind == .bytes {
            var end = element.count
            while end > 0 && element[end - 1] == 0 { end -= 1 }
            guard let text = validUTF8(element[0..<end]) else {
                throw NTPFormatError("string \(index) is not valid UTF-8 ('|S' strings are read as UTF-8 bytes; store text as '<U', e.g. np.array(words, dtype=str))")
            }
            return text
        }
        var end = element.count / 4
        func code(_ k: Int) -> UInt32 {
            let o = 4 * k
            return t.bigEndian
                ? UInt32(element[o]) << 24 | UInt32(element[o + 1]) << 16 | UInt32(element[o + 2]) << 8 | UInt32(element[o + 3])
                : UInt32(element[o]) | UInt32(element[o + 1]) << 8 | UInt32(element[o + 2]) << 16 | UInt32(element[o + 3]) << 24
        }
        while end > 0 && code(end - 1) == 0 { end -= 1 }
        var scalars = String.UnicodeScalarView()
        for k in 0..<end {
            let v = code(k)
            guard let scalar = Unicode.Scalar(v) else {
                throw NTPFormatError("string \(index) holds an invalid code point U+\(String(v, radix: 16, uppercase: true))")
            }
            scalars.append(scalar)
        }
        return String(scalars)
    }

    private func checkSize(_ t: NPYType) throws {
        guard data.count == count * t.size else {
            throw NTPFormatError("array payload has \(data.count) bytes but shape \(shape) of \(descr) needs \(count * t.size)")
        }
    }

    /// Reorders a flat Fortran-order element list into C order (no-op for C order or ndim < 2).
    private func cOrder<T>(_ flat: [T]) -> [T] {
        guard fortranOrder, shape.count > 1, !flat.isEmpty else { return flat }
        // Fortran stride of each axis; walk the C-order multi-index like an odometer.
        var fstride = [Int](repeating: 1, count: shape.count)
        for a in 1..<shape.count { fstride[a] = fstride[a - 1] * shape[a - 1] }
        var index = [Int](repeating: 0, count: shape.count)
        var offset = 0
        var out: [T] = []
        out.reserveCapacity(flat.count)
        for _ in 0..<flat.count {
            out.append(flat[offset])
            var a = shape.count - 1
            while a >= 0 {
                index[a] += 1
                offset += fstride[a]
                if index[a] < shape[a] { break }
                offset -= fstride[a] * index[a]
                index[a] = 0
                a -= 1
            }
        }
        return out
    }
}

/// Product of a shape (1 for 0-d).
func elementCount(_ shape: [Int]) -> Int { shape.reduce(1, *) }

private func signExtend(_ bits: UInt64, _ size: Int) -> Int64 {
    let shift = UInt64(64 - 8 * size)
    return Int64(bitPattern: bits << shift) >> Int64(shift)
}

/// The values' bytes in little-endian order (numpy's `<` types): a copy of memory on
/// little-endian hosts, each value's bytes reversed on big-endian ones.
func littleEndianBytes<T: BitwiseCopyable>(_ values: [T]) -> [UInt8] {
    let count = values.count * MemoryLayout<T>.size
    return [UInt8](unsafeUninitializedCapacity: count) { bytes, initialized in
        values.withUnsafeBytes { UnsafeMutableRawBufferPointer(bytes).copyMemory(from: $0) }
        #if _endian(big)
        for start in stride(from: 0, to: count, by: MemoryLayout<T>.size) {
            bytes[start..<(start + MemoryLayout<T>.size)].reverse()
        }
        #endif
        initialized = count
    }
}

/// A parsed simple (non-structured) numpy dtype string.
struct NPYType {
    enum Kind { case bool, int, uint, float, unicode, bytes }
    let kind: Kind
    /// Item size in bytes.
    let size: Int
    let bigEndian: Bool

    init(_ descr: String) throws {
        let b = Array(descr.utf8)
        guard b.count >= 2, let order = b.first, "<>|=".utf8.contains(order) else {
            throw NTPFormatError("unsupported dtype '\(descr)' (expected a simple dtype such as <f8, <i4, <U5, |S3)")
        }
        let digits = b.count > 2 ? String(decoding: b[2...], as: UTF8.self) : ""
        guard let n = Int(digits), n >= 0 else {
            if b[1] == UInt8(ascii: "O") {
                throw NTPFormatError("object arrays ('\(descr)', pickled) are not supported; save plain numeric or string arrays")
            }
            throw NTPFormatError("unsupported dtype '\(descr)' (expected a simple dtype such as <f8, <i4, <U5, |S3)")
        }
        bigEndian = order == UInt8(ascii: ">")
        switch b[1] {
        case UInt8(ascii: "b"): kind = .bool; size = n; guard n == 1 else { throw Self.bad(descr) }
        case UInt8(ascii: "i"): kind = .int; size = n; guard [1, 2, 4, 8].contains(n) else { throw Self.bad(descr) }
        case UInt8(ascii: "u"): kind = .uint; size = n; guard [1, 2, 4, 8].contains(n) else { throw Self.bad(descr) }
        case UInt8(ascii: "f"): kind = .float; size = n; guard n == 4 || n == 8 else { throw Self.bad(descr) }
        // Zero-width strings would let a tiny payload claim billions of elements (numpy saves
        // empty strings as <U1 / |S1).
        case UInt8(ascii: "U"): kind = .unicode; size = 4 * n; guard n >= 1 else { throw Self.zeroWidth(descr) }
        case UInt8(ascii: "S"): kind = .bytes; size = n; guard n >= 1 else { throw Self.zeroWidth(descr) }
        default: throw Self.bad(descr)
        }
    }

    private static func zeroWidth(_ descr: String) -> NTPFormatError {
        NTPFormatError("zero-width string dtype '\(descr)' is not supported (numpy saves strings as <U1 or |S1 at least)")
    }

    private static func bad(_ descr: String) -> NTPFormatError {
        NTPFormatError("unsupported dtype '\(descr)' (supported: bool, int/uint 1–8 bytes, float32/64, <U, |S)")
    }

    /// Loads element `i` as raw bits in host order.
    @inline(__always) func load(_ raw: UnsafeRawBufferPointer, _ i: Int) -> UInt64 {
        let o = i * size
        var v: UInt64 = 0
        if bigEndian {
            for k in 0..<size { v = v << 8 | UInt64(raw[o + k]) }
        } else {
            switch size {
            case 1: v = UInt64(raw[o])
            case 2: v = UInt64(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: o, as: UInt16.self)))
            case 4: v = UInt64(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: o, as: UInt32.self)))
            default: v = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: o, as: UInt64.self))
            }
        }
        return v
    }
}

// MARK: - Header

/// The `.npy` header bytes numpy's `np.save` writes for this dtype/order/shape: version 1.0
/// when the header fits in 65535 bytes (else 2.0), keys sorted, 21 − digits spaces of growth
/// room, space padding and a final newline so the payload starts at a multiple of 64.
func npyHeader(descr: String, fortranOrder: Bool, shape: [Int]) -> [UInt8] {
    let shapeText: String
    switch shape.count {
    case 0: shapeText = "()"
    case 1: shapeText = "(\(shape[0]),)"
    default: shapeText = "(" + shape.map(String.init).joined(separator: ", ") + ")"
    }
    var dict = "{'descr': '\(descr)', 'fortran_order': \(fortranOrder ? "True" : "False"), 'shape': \(shapeText), }"
    if !shape.isEmpty {
        let growth = String(shape[fortranOrder ? shape.count - 1 : 0]).count
        dict += String(repeating: " ", count: max(0, 21 - growth))
    }
    let body = Array(dict.utf8)
    func wrap(_ major: UInt8, _ lenBytes: Int) -> [UInt8]? {
        let hlen = body.count + 1
        let padlen = 64 - ((6 + 2 + lenBytes + hlen) % 64)
        let total = hlen + padlen
        if lenBytes == 2 && total > 0xffff { return nil }
        var out: [UInt8] = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]
        for k in 0..<lenBytes { out.append(UInt8((total >> (8 * k)) & 0xff)) }
        out += body
        out += [UInt8](repeating: 0x20, count: padlen)
        out.append(0x0a)
        return out
    }
    return wrap(1, 2) ?? wrap(2, 4)!
}

/// Parses the header at the start of `bytes` (the whole header must be there). Returns descr,
/// order, shape and payload offset; readers of streamed .npy files (NTPCorpus) use it too.
public func parseNPYHeader(_ bytes: UnsafeRawBufferPointer, name: String) throws -> (descr: String, fortranOrder: Bool, shape: [Int], dataOffset: Int) {
    let magic: [UInt8] = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]
    guard bytes.count >= 10, Array(bytes[0..<6]) == magic else {
        if bytes.count >= 4, Array(bytes[0..<4]) == [0x50, 0x4b, 0x03, 0x04] {
            throw NTPFormatError("\(name): an .npz archive, not a .npy file; save the one array with "
                                 + "np.save('H.npy', np.load('\(name)')['NAME'])")
        }
        throw NTPFormatError("\(name): not a .npy file (missing the \\x93NUMPY magic at byte 0); write the array with numpy.save")
    }
    let major = bytes[6]
    let headerStart: Int, headerLen: Int
    switch major {
    case 1:
        headerStart = 10
        headerLen = Int(bytes[8]) | Int(bytes[9]) << 8
    case 2, 3:
        guard bytes.count >= 12 else { throw NTPFormatError("\(name): truncated .npy header at byte \(bytes.count)") }
        headerStart = 12
        headerLen = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
    default:
        throw NTPFormatError("\(name): unsupported .npy format version \(major).\(bytes[7]) at byte 6 (supported: 1.0, 2.0, 3.0)")
    }
    guard headerStart + headerLen <= bytes.count else {
        throw NTPFormatError("\(name): truncated .npy header (needs \(headerStart + headerLen) bytes, file has \(bytes.count))")
    }
    let text = Array(bytes[headerStart..<(headerStart + headerLen)])
    var p = HeaderParser(b: text, name: name, base: headerStart)
    let dict = try p.parseDict()
    guard case .string(let descr)? = dict["descr"] else {
        if case .other? = dict["descr"] {
            throw NTPFormatError("\(name): structured dtypes are not supported (save a plain numeric or string array)")
        }
        throw NTPFormatError("\(name): .npy header lacks a 'descr' string at byte \(headerStart)")
    }
    guard case .bool(let fortran)? = dict["fortran_order"] else {
        throw NTPFormatError("\(name): .npy header lacks 'fortran_order' at byte \(headerStart)")
    }
    guard case .tuple(let shape)? = dict["shape"] else {
        throw NTPFormatError("\(name): .npy header lacks a 'shape' tuple at byte \(headerStart)")
    }
    return (descr, fortran, shape, headerStart + headerLen)
}

/// A minimal parser for the Python dict literal in `.npy` headers.
private struct HeaderParser {
    enum Value { case string(String), bool(Bool), tuple([Int]), other }
    let b: [UInt8]
    let name: String
    let base: Int
    var i = 0

    func fail(_ what: String) -> NTPFormatError {
        NTPFormatError("\(name): malformed .npy header at byte \(base + i): \(what)")
    }
    mutating func skipSpace() { while i < b.count, b[i] == 0x20 || b[i] == 0x0a || b[i] == 0x09 || b[i] == 0x0d { i += 1 } }
    mutating func expect(_ c: Character) throws {
        skipSpace()
        guard i < b.count, b[i] == c.asciiValue! else { throw fail("expected '\(c)'") }
        i += 1
    }
    mutating func peek() -> UInt8? { skipSpace(); return i < b.count ? b[i] : nil }

    mutating func parseString() throws -> String {
        skipSpace()
        guard i < b.count, b[i] == 0x27 || b[i] == 0x22 else { throw fail("expected a quoted string") }
        let q = b[i]; i += 1
        let start = i
        while i < b.count, b[i] != q { i += 1 }
        guard i < b.count else { throw fail("unterminated string") }
        defer { i += 1 }
        return String(decoding: b[start..<i], as: UTF8.self)
    }

    mutating func parseInt() throws -> Int {
        skipSpace()
        let start = i
        while i < b.count, (0x30...0x39).contains(b[i]) { i += 1 }
        guard i > start, let v = Int(String(decoding: b[start..<i], as: UTF8.self)) else { throw fail("expected a non-negative integer") }
        if i < b.count, b[i] == UInt8(ascii: "L") { i += 1 } // Python 2 long suffix in old files
        return v
    }

    mutating func parseValue() throws -> Value {
        guard let c = peek() else { throw fail("unexpected end") }
        switch c {
        case 0x27, 0x22: return .string(try parseString())
        case UInt8(ascii: "T"), UInt8(ascii: "F"):
            if b[i...].starts(with: "True".utf8) { i += 4; return .bool(true) }
            if b[i...].starts(with: "False".utf8) { i += 5; return .bool(false) }
            throw fail("expected True or False")
        case UInt8(ascii: "("):
            i += 1
            var xs: [Int] = []
            while peek() != UInt8(ascii: ")") {
                xs.append(try parseInt())
                if peek() == UInt8(ascii: ",") { i += 1 } else { break }
            }
            try expect(")")
            return .tuple(xs)
        case UInt8(ascii: "["):
            // Structured dtype description: skip to the matching bracket.
            var depth = 0
            while i < b.count {
                if b[i] == UInt8(ascii: "[") || b[i] == UInt8(ascii: "(") { depth += 1 }
                if b[i] == UInt8(ascii: "]") || b[i] == UInt8(ascii: ")") { depth -= 1; if depth == 0 { i += 1; return .other } }
                i += 1
            }
            throw fail("unterminated list")
        default: throw fail("unexpected character")
        }
    }

    mutating func parseDict() throws -> [String: Value] {
        try expect("{")
        var d: [String: Value] = [:]
        while peek() != UInt8(ascii: "}") {
            let k = try parseString()
            try expect(":")
            d[k] = try parseValue()
            if peek() == UInt8(ascii: ",") { i += 1 } else { break }
        }
        try expect("}")
        return d
    }
}

/// Decodes a complete `.npy` image (header + payload); `name` is used in error messages.
func decodeNPY(_ bytes: [UInt8], name: String) throws -> NPYArray {
    try bytes.withUnsafeBytes { try decodeNPY($0, name: name) }
}

/// Decodes a complete `.npy` image from raw memory (copies only the payload).
func decodeNPY(_ bytes: UnsafeRawBufferPointer, name: String) throws -> NPYArray {
    let h = try parseNPYHeader(bytes, name: name)
    let t: NPYType
    do { t = try NPYType(h.descr) } catch let e as NTPFormatError { throw NTPFormatError("\(name): \(e.description)") }
    var n = 1
    for d in h.shape {
        let (m, o) = n.multipliedReportingOverflow(by: d)
        guard !o else { throw NTPFormatError("\(name): shape \(h.shape) is too large") }
        n = m
    }
    let (need, o) = n.multipliedReportingOverflow(by: t.size)
    guard !o, h.dataOffset + need <= bytes.count else {
        throw NTPFormatError("\(name): truncated .npy payload: shape \(h.shape) of \(h.descr) needs \(need) bytes after byte \(h.dataOffset), file has \(bytes.count - h.dataOffset)")
    }
    return NPYArray(descr: h.descr, shape: h.shape, fortranOrder: h.fortranOrder,
                    data: Array(UnsafeRawBufferPointer(rebasing: bytes[h.dataOffset..<(h.dataOffset + need)])))
}

/// Encodes an array as a complete `.npy` image, byte-identical to `np.save`.
func encodeNPY(_ a: NPYArray) throws -> [UInt8] {
    try checkWritable(a)
    return npyHeader(descr: a.descr, fortranOrder: a.fortranOrder, shape: a.shape) + a.data
}

private func checkWritable(_ a: NPYArray) throws {
    let t = try NPYType(a.descr)
    guard a.shape.allSatisfy({ $0 >= 0 }), a.data.count == a.count * t.size else {
        throw NTPFormatError("cannot write an array whose payload (\(a.data.count) bytes) does not match shape \(a.shape) of \(a.descr)")
    }
}

/// Reads a `.npy` file (format versions 1.0, 2.0 and 3.0).
public func readNPY(path: String) throws -> NPYArray {
    try decodeNPY(try readWholeFile(path), name: path)
}

/// Decodes a `.npy` image held in memory; `name` appears in messages.
public func readNPY(bytes: [UInt8], name: String) throws -> NPYArray {
    try decodeNPY(bytes, name: name)
}

/// Writes a `.npy` file atomically, byte-identical to numpy's `np.save` of the same array.
public func writeNPY(_ a: NPYArray, to path: String) throws {
    try checkWritable(a)
    try writeFileAtomically(path: path) { sink in
        try sink.write(npyHeader(descr: a.descr, fortranOrder: a.fortranOrder, shape: a.shape))
        try sink.write(a.data)
    }
}

/// Writes a large `.npy` file piece by piece without holding the payload in memory (e.g. a
/// V × m float64 matrix column block by column block in Fortran order). The file appears
/// atomically at `finish()`; `abandon()` (or dropping the writer unfinished) leaves nothing.
public final class NPYStreamWriter {
    private let sink: AtomicFileSink
    private let expected: Int64
    private var written: Int64 = 0
    /// The final path.
    public var path: String { sink.path }

    /// Starts the file and writes the numpy header for `descr`/`shape`/`fortranOrder`.
    public init(path: String, descr: String, shape: [Int], fortranOrder: Bool) throws {
        let t = try NPYType(descr)
        guard shape.allSatisfy({ $0 >= 0 }) else { throw NTPFormatError("cannot write \(path): negative dimension in shape \(shape)") }
        expected = Int64(elementCount(shape) * t.size)
        sink = try AtomicFileSink(path: path)
        try sink.write(npyHeader(descr: descr, fortranOrder: fortranOrder, shape: shape))
    }

    /// Appends payload bytes in the file's memory order.
    public func append(_ bytes: UnsafeRawBufferPointer) throws {
        guard written + Int64(bytes.count) <= expected else {
            sink.abandon()
            throw NTPFormatError("cannot write \(path): more payload than the shape allows (\(written + Int64(bytes.count)) > \(expected) bytes)")
        }
        written += Int64(bytes.count)
        try sink.write(bytes)
    }

    /// Checks that exactly the whole payload was appended, then renames the file into place.
    public func finish() throws {
        guard written == expected else {
            sink.abandon()
            throw NTPFormatError("cannot write \(path): payload has \(written) bytes but the shape needs \(expected); file not written")
        }
        try sink.commit()
    }

    /// Discards the partial file.
    public func abandon() { sink.abandon() }
}
