import CZip

/// `.npz` archives: ZIP files whose members are `.npy` images named "NAME.npy".
public struct NPZArchive {
    /// The first line of a count part (NTPCorpus's `CountPart`), here so that a part given where an
    /// archive goes is named as one.
    public static let countPartMagic = "NTPSEP-PART"

    /// Reads every `.npy` member, keyed by name without ".npy" (as `np.load` does).
    /// Supports stored and deflate members (np.savez / np.savez_compressed), ZIP64 and data
    /// descriptors. Members not ending in ".npy" are ignored.
    /// With `decodingStrings`, deflated string members are decoded while they are inflated,
    /// never held padded (a 1.28 M-token vocabulary is 2.4 GB padded); such arrays answer
    /// `strings()` only (their `data` is empty), so read that way only to use them.
    public static func read(path: String, decodingStrings: Bool = false) throws -> [String: NPYArray] {
        var d: [String: NPYArray] = [:]
        for (k, v) in try readOrdered(path: path, decodingStrings: decodingStrings) { d[k] = v }
        return d
    }

    /// Reads the `.npy` members of an archive held in memory; `name` appears in messages.
    public static func read(bytes: [UInt8], name: String) throws -> [String: NPYArray] {
        var d: [String: NPYArray] = [:]
        for (k, v) in try bytes.withUnsafeBytes({ try parseZip($0, path: name, decodingStrings: false) }) { d[k] = v }
        return d
    }

    /// Like `read(path:)` but keeps the archive's member order.
    public static func readOrdered(path: String, decodingStrings: Bool = false) throws -> [(String, NPYArray)] {
        let bytes = try readWholeFile(path)
        return try bytes.withUnsafeBytes { try parseZip($0, path: path, decodingStrings: decodingStrings) }
    }

    /// Writes an `.npz` archive atomically, with members "NAME.npy" in the given order, like
    /// `np.savez`, but deterministic: DOS timestamp 1980-01-01 00:00, no extra fields except
    /// ZIP64 ones when an offset or size needs them. Same input ⇒ same bytes. Members are STORED,
    /// except unicode string arrays, which are deflated (level 1) as `np.savez_compressed` does:
    /// numpy pads every string to the longest, so a vocabulary with one 464-character token is
    /// mostly zeros (2.4 GB stored, 27 MB deflated, for 1.28 M whitespace tokens).
    public static func write(_ members: [(String, NPYArray)], to path: String) throws {
        try write(members.map { ($0.0, NPZMember.array($0.1)) }, to: path)
    }

    /// `write(_:to:)` for members that may be too large for memory: a `.file` member's payload is
    /// read from a file twice (CRC-32, then copy). The bytes equal those of `write(_:to:)` with
    /// the same arrays in memory.
    public static func write(_ members: [(String, NPZMember)], to path: String) throws {
        var seen = Set<String>()
        for (name, member) in members {
            guard !name.isEmpty, seen.insert(name).inserted else {
                throw NTPFormatError("cannot write \(path): member name '\(name)' is empty or repeated")
            }
            if case .array(let a) = member { _ = try encodeCheck(a, path: path) }
            if case .pieces(let descr, let shape, let byteCount, _) = member {
                try encodeCheck(NPYArray(descr: descr, shape: shape, data: []), payloadBytes: byteCount, path: path)
            }
        }
        try writeFileAtomically(path: path) { sink in
            var central: [UInt8] = []
            var offset: UInt64 = 0
            for (name, member) in members {
                let header = npyHeader(descr: member.descr, fortranOrder: member.fortranOrder, shape: member.shape)
                var crc = header.withUnsafeBytes { czip_crc32(0, $0.baseAddress, $0.count) }
                var size = UInt64(header.count)
                var deflated: UnsafeRawBufferPointer? = nil
                var streamed: [UInt8]? = nil
                switch member {
                case .array(let a):
                    crc = a.data.withUnsafeBytes { czip_crc32(crc, $0.baseAddress, $0.count) }
                    size += UInt64(a.data.count)
                    if a.descr.dropFirst().hasPrefix("U") { deflated = try deflate(header, a.data, path: path) }
                case .file(_, _, let file):
                    let (c, payload) = try PayloadFile.crc32(file, seed: crc, writing: path)
                    crc = c; size += payload
                case .strings(let values):
                    (streamed, crc, size) = try PaddedStrings.deflate(values, header: header, writing: path)
                case .pieces(_, _, let byteCount, let pieces):
                    try pieces { crc = czip_crc32(crc, $0.baseAddress, $0.count) }
                    size += UInt64(byteCount)
                }
                defer { if let deflated { czip_free(UnsafeMutableRawPointer(mutating: deflated.baseAddress)) } }
                let method: UInt16 = deflated == nil && streamed == nil ? 0 : 8
                let stored = deflated.map { UInt64($0.count) } ?? streamed.map { UInt64($0.count) } ?? size
                let entry = ZipEntry(name: name, method: method, crc: crc, size: size, stored: stored)
                let local = entry.localHeader()
                try sink.write(local)
                if let deflated {
                    try sink.write(UnsafeRawBufferPointer(deflated))
                } else if let streamed {
                    try sink.write(streamed)
                } else {
                    try sink.write(header)
                    switch member {
                    case .array(let a): try sink.write(a.data)
                    case .file(_, _, let file): try PayloadFile.copy(file, to: sink)
                    case .pieces(_, _, _, let pieces): try pieces { try sink.write($0) }
                    case .strings: break
                    }
                }
                central += entry.centralHeader(at: offset)
                offset += UInt64(local.count) + stored
            }
            try sink.write(central)
            try sink.write(endRecords(centralOffset: offset, centralSize: UInt64(central.count), entries: UInt64(members.count)))
        }
    }

    /// One member's zip headers: the local one before its data, the central one at the end.
    private struct ZipEntry {
        let fileName: [UInt8]
        let utf8Flag: UInt16
        let method: UInt16          // 0 stored, 8 deflate
        let crc: UInt32
        let size: UInt64, stored: UInt64
        /// Sizes that need the zip64 extra field.
        let big: Bool

        init(name: String, method: UInt16, crc: UInt32, size: UInt64, stored: UInt64) {
            fileName = Array((name + ".npy").utf8)
            utf8Flag = fileName.allSatisfy { $0 < 0x80 } ? 0 : 0x0800 // as Python's zipfile
            self.method = method; self.crc = crc; self.size = size; self.stored = stored
            big = size >= 0xffff_ffff || stored >= 0xffff_ffff
        }

        func localHeader() -> [UInt8] {
            var local: [UInt8] = []
            local.le32(0x0403_4b50)
            local.le16(big ? 45 : 20)               // version needed
            local.le16(utf8Flag)                    // flags: bit 11 = UTF-8 name
            local.le16(method)                      // 0 stored, 8 deflate
            local.le16(0); local.le16(0x0021)       // time 00:00:00, date 1980-01-01
            local.le32(crc)
            local.le32(big ? 0xffff_ffff : UInt32(stored))
            local.le32(big ? 0xffff_ffff : UInt32(size))
            local.le16(UInt16(fileName.count))
            local.le16(big ? 20 : 0)
            local += fileName
            if big { local.le16(1); local.le16(16); local.le64(size); local.le64(stored) }
            return local
        }

        /// The central directory entry of the member whose local header starts at `offset`.
        func centralHeader(at offset: UInt64) -> [UInt8] {
            let bigOffset = offset >= 0xffff_ffff
            var extra: [UInt8] = []
            if big { extra.le64(size); extra.le64(stored) }
            if bigOffset { extra.le64(offset) }
            var central: [UInt8] = []
            central.le32(0x0201_4b50)
            central.le16(big || bigOffset ? 45 : 20) // version made by (MS-DOS)
            central.le16(big || bigOffset ? 45 : 20) // version needed
            central.le16(utf8Flag)
            central.le16(method)
            central.le16(0); central.le16(0x0021)
            central.le32(crc)
            central.le32(big ? 0xffff_ffff : UInt32(stored))
            central.le32(big ? 0xffff_ffff : UInt32(size))
            central.le16(UInt16(fileName.count))
            central.le16(extra.isEmpty ? 0 : UInt16(4 + extra.count))
            central.le16(0); central.le16(0); central.le16(0) // comment, disk, internal attrs
            central.le32(0)                                    // external attrs
            central.le32(bigOffset ? 0xffff_ffff : UInt32(offset))
            central += fileName
            if !extra.isEmpty { central.le16(1); central.le16(UInt16(extra.count)); central += extra }
            return central
        }
    }

    /// The end of central directory record, preceded by the zip64 record and locator when the
    /// directory's offset, size or entry count does not fit the classic one.
    private static func endRecords(centralOffset cdOffset: UInt64, centralSize cdSize: UInt64, entries n: UInt64) -> [UInt8] {
        var end: [UInt8] = []
        let zip64 = cdOffset >= 0xffff_ffff || cdSize >= 0xffff_ffff || n >= 0xffff
        if zip64 {
            end.le32(0x0606_4b50); end.le64(44); end.le16(45); end.le16(45)
            end.le32(0); end.le32(0); end.le64(n); end.le64(n); end.le64(cdSize); end.le64(cdOffset)
            end.le32(0x0706_4b50); end.le32(0); end.le64(cdOffset + cdSize); end.le32(1)
        }
        end.le32(0x0605_4b50)
        end.le16(0); end.le16(0)
        end.le16(zip64 ? 0xffff : UInt16(n)); end.le16(zip64 ? 0xffff : UInt16(n))
        end.le32(zip64 ? 0xffff_ffff : UInt32(cdSize)); end.le32(zip64 ? 0xffff_ffff : UInt32(cdOffset))
        end.le16(0)
        return end
    }

    /// Raw deflate of the member's header and data (zlib level 1: string padding compresses
    /// ~100× at once, higher levels gain little and cost several times more).
    private static func deflate(_ header: [UInt8], _ data: [UInt8], path: String) throws -> UnsafeRawBufferPointer {
        var length = 0
        let out = header.withUnsafeBytes { h in
            data.withUnsafeBytes { d in czip_deflate_raw(h.baseAddress, h.count, d.baseAddress, d.count, 1, &length) }
        }
        guard let out else { throw NTPFormatError("cannot write \(path): out of memory while compressing") }
        return UnsafeRawBufferPointer(start: out, count: length)
    }

    /// Checks that `payloadBytes` (default: the array's data) fit its shape and dtype.
    @discardableResult
    private static func encodeCheck(_ a: NPYArray, payloadBytes: Int? = nil, path: String) throws -> Int {
        let bytes = payloadBytes ?? a.data.count
        do {
            let t = try NPYType(a.descr)
            guard a.shape.allSatisfy({ $0 >= 0 }), bytes == a.count * t.size else {
                throw NTPFormatError("payload (\(bytes) bytes) does not match shape \(a.shape) of \(a.descr)")
            }
            return bytes
        } catch let e as NTPFormatError {
            throw NTPFormatError("cannot write \(path): \(e.description)")
        }
    }
}

extension Array where Element == UInt8 {
    mutating func le16(_ v: UInt16) { append(UInt8(v & 0xff)); append(UInt8(v >> 8)) }
    mutating func le32(_ v: UInt32) { for k in 0..<4 { append(UInt8((v >> (8 * UInt32(k))) & 0xff)) } }
    mutating func le64(_ v: UInt64) { for k in 0..<8 { append(UInt8((v >> (8 * UInt64(k))) & 0xff)) } }
}

private extension UnsafeRawBufferPointer {
    func u16(_ o: Int) -> UInt64 { UInt64(self[o]) | UInt64(self[o + 1]) << 8 }
    func u32(_ o: Int) -> UInt64 { u16(o) | u16(o + 2) << 16 }
    func u64(_ o: Int) -> UInt64 { u32(o) | u32(o + 4) << 32 }
}

private func parseZip(_ z: UnsafeRawBufferPointer, path: String, decodingStrings: Bool) throws -> [(String, NPYArray)] {
    let bad = ZipError(path: path)
    let (count, cdOffset) = try centralDirectory(z, bad)
    var out: [(String, NPYArray)] = []
    var p = Int(cdOffset)
    for _ in 0..<count {
        let entry = try CentralEntry(z, at: p, bad)
        p = entry.next
        guard entry.name.hasSuffix(".npy") else { continue }
        let key = String(entry.name.dropLast(4))
        out.append((key, try readMember(entry, of: z, path: path, decodingStrings: decodingStrings, bad)))
    }
    return out
}

/// One-line errors about an archive that is not a valid `.npz`.
private struct ZipError {
    let path: String
    func callAsFunction(_ what: String, _ offset: Int? = nil) -> NTPFormatError {
        NTPFormatError("\(path): \(what)\(offset.map { " at byte \($0)" } ?? ""); expected an .npz (zip) archive as written by numpy/scipy or ntpsep")
    }
}

/// The entry count and offset of the central directory, from the end of central directory record
/// (within the last 22 + 65535 bytes) or its zip64 record.
private func centralDirectory(_ z: UnsafeRawBufferPointer, _ bad: ZipError) throws -> (count: UInt64, offset: UInt64) {
    var eocd = -1
    if z.count >= 22 {
        var i = z.count - 22
        let stop = max(0, z.count - 22 - 0xffff)
        while i >= stop {
            if z.u32(i) == 0x0605_4b50 { eocd = i; break }
            i -= 1
        }
    }
    guard eocd >= 0 else {
        if z.count >= 4 && z.u32(0) == 0x0403_4b50 {
            throw bad("truncated zip archive (no end-of-central-directory record, file has \(z.count) bytes)")
        }
        // A count part (its first line NTPSEP-PART, see NTPCorpus's CountPart), given where a data set goes.
        let partLine = Array((NPZArchive.countPartMagic + "\n").utf8)
        if z.count >= partLine.count && Array(z[0..<partLine.count]) == partLine {
            throw bad("not a zip archive but a count part from `ingest --shard`: merge the parts into a data set first (ntpsep merge PART... -o DATA.npz)")
        }
        throw bad("not a zip archive (no end-of-central-directory record)")
    }
    var count = z.u16(eocd + 10)
    var cdSize = z.u32(eocd + 12)
    var cdOffset = z.u32(eocd + 16)
    if eocd >= 20, z.u32(eocd - 20) == 0x0706_4b50 {
        let rec = Int(clamping: z.u64(eocd - 20 + 8))
        guard rec >= 0, rec <= z.count - 56, z.u32(rec) == 0x0606_4b50 else { throw bad("damaged ZIP64 end record", rec) }
        count = z.u64(rec + 32); cdSize = z.u64(rec + 40); cdOffset = z.u64(rec + 48)
    }
    guard cdOffset <= UInt64(z.count), cdSize <= UInt64(z.count) - cdOffset else {
        throw bad("truncated zip archive (central directory at \(cdOffset)+\(cdSize) is beyond the end of the \(z.count)-byte file)")
    }
    return (count, cdOffset)
}

/// A central directory entry, with its zip64 sizes and offset applied.
private struct CentralEntry {
    let name: String
    let flags: UInt64, method: UInt64
    let crc: UInt32
    var csize: UInt64, usize: UInt64, localHeader: UInt64
    /// Where the next entry starts.
    let next: Int

    init(_ z: UnsafeRawBufferPointer, at p: Int, _ bad: ZipError) throws {
        guard p + 46 <= z.count, z.u32(p) == 0x0201_4b50 else { throw bad("damaged central directory entry", p) }
        flags = z.u16(p + 8); method = z.u16(p + 10); crc = UInt32(z.u32(p + 16))
        csize = z.u32(p + 20); usize = z.u32(p + 24)
        let nlen = Int(z.u16(p + 28)), elen = Int(z.u16(p + 30)), clen = Int(z.u16(p + 32))
        localHeader = z.u32(p + 42)
        guard p + 46 + nlen + elen + clen <= z.count else { throw bad("damaged central directory entry", p) }
        name = String(decoding: UnsafeRawBufferPointer(rebasing: z[(p + 46)..<(p + 46 + nlen)]), as: UTF8.self)
        // ZIP64 extended information: present fields appear in this fixed order.
        var e = p + 46 + nlen
        let eEnd = e + elen
        while e + 4 <= eEnd {
            let id = z.u16(e), len = Int(z.u16(e + 2))
            if id == 1 {
                var f = e + 4
                if usize == 0xffff_ffff, f + 8 <= e + 4 + len { usize = z.u64(f); f += 8 }
                if csize == 0xffff_ffff, f + 8 <= e + 4 + len { csize = z.u64(f); f += 8 }
                if localHeader == 0xffff_ffff, f + 8 <= e + 4 + len { localHeader = z.u64(f); f += 8 }
            }
            e += 4 + len
        }
        next = eEnd + clen
    }
}

/// The array of one `.npy` member: stored or deflated, CRC-checked (string arrays are decoded
/// while inflating when `decodingStrings`).
private func readMember(_ entry: CentralEntry, of z: UnsafeRawBufferPointer, path: String, decodingStrings: Bool,
                        _ bad: ZipError) throws -> NPYArray {
    let name = entry.name, crc = entry.crc, csize = entry.csize, usize = entry.usize, p = entry.next
    guard entry.flags & 1 == 0 else { throw bad("member '\(name)' is encrypted") }
    let l = Int(clamping: entry.localHeader)
    guard l <= z.count - 30, z.u32(l) == 0x0403_4b50 else { throw bad("member '\(name)': damaged local header", l) }
    let start = l + 30 + Int(z.u16(l + 26)) + Int(z.u16(l + 28))
    guard csize <= UInt64(Int.max), usize <= UInt64(Int.max), start <= z.count, Int(csize) <= z.count - start else {
        throw bad("truncated zip archive: member '\(name)' needs \(csize) bytes from byte \(start), file has \(z.count)")
    }
    let comp = UnsafeRawBufferPointer(rebasing: z[start..<(start + Int(csize))])
    let memberName = "\(path) member '\(name)'"
    switch entry.method {
    case 0:
        guard csize == usize else { throw bad("member '\(name)': stored sizes disagree", p) }
        guard czip_crc32(0, comp.baseAddress, comp.count) == crc else { throw bad("member '\(name)': CRC-32 mismatch (data corrupt)", start) }
        return try decodeNPY(comp, name: memberName) // no intermediate copy
    case 8:
        // Deflate expands at most 1032:1, so a larger claim is a corrupt (or hostile) header.
        guard usize <= csize * 1032 + 1024 else {
            throw bad("member '\(name)' claims \(usize) bytes from \(csize) compressed, beyond deflate's 1032:1 limit (corrupt header)", p)
        }
        let damaged = bad("member '\(name)': CRC-32 mismatch (data corrupt)", start)
        if decodingStrings {
            do {
                if let strings = try inflateStrings(comp, size: Int(usize), crc: crc, name: memberName) { return strings }
            } catch let failure as NTPFormatError where !failure.isMemory {
                // A flipped bit mostly shows first as a bad string or header, before the CRC can be checked; the CRC
                // names the real fault (QA round 21: "string 8121 holds an invalid code point").
                throw inflatesToCRC(comp, crc) ? failure : damaged
            }
        }
        try AvailableMemory.require(usize, for: "\(path): member '\(name)'", advice: "load it on a machine with more memory")
        var raw = [UInt8](repeating: 0, count: Int(usize))
        var msg = [CChar](repeating: 0, count: 256)
        let rc = raw.withUnsafeMutableBytes { czip_inflate_raw(comp.baseAddress, comp.count, $0.baseAddress, $0.count, &msg, msg.count) }
        if rc != 0 {
            throw bad("member '\(name)': \(cMessage(msg))", start)
        }
        let actual = raw.withUnsafeBytes { czip_crc32(0, $0.baseAddress, $0.count) }
        guard actual == crc else { throw damaged }
        return try decodeNPY(raw, name: memberName)
    default:
        throw bad("member '\(name)' uses unsupported compression method \(entry.method) (only stored and deflate)")
    }
}

/// Whether the deflate stream inflates to its end and to bytes with this CRC-32 (1 MiB at a time).
private func inflatesToCRC(_ compressed: UnsafeRawBufferPointer, _ expected: UInt32) -> Bool {
    guard let inflater = czip_inflater_new(compressed.baseAddress, compressed.count) else { return true }
    defer { czip_inflater_free(inflater) }
    var message = [CChar](repeating: 0, count: 256), buffer = [UInt8](repeating: 0, count: 1 << 20), crc: UInt32 = 0
    while true {
        let n = buffer.withUnsafeMutableBytes { czip_inflater_read(inflater, $0.baseAddress!, $0.count, &message, message.count) }
        guard n > 0 else { return n == 0 && crc == expected }
        crc = buffer.withUnsafeBytes { czip_crc32(crc, $0.baseAddress!, Int(n)) }
    }
}

/// The NUL-terminated message a C shim wrote into `buffer`.
private func cMessage(_ buffer: [CChar]) -> String {
    buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
}

/// A deflated `.npy` member holding a C-ordered string array, decoded while inflating (1 MiB at a
/// time); `nil` when the member is another kind of array.
private func inflateStrings(_ compressed: UnsafeRawBufferPointer, size: Int, crc expected: UInt32, name: String) throws -> NPYArray? {
    guard let inflater = czip_inflater_new(compressed.baseAddress, compressed.count) else {
        throw NTPFormatError("\(name): out of memory")
    }
    defer { czip_inflater_free(inflater) }
    var message = [CChar](repeating: 0, count: 256)
    var buffer = [UInt8](repeating: 0, count: 1 << 20)
    var filled = 0, total = 0, crc: UInt32 = 0
    /// Inflates more bytes after `filled`; returns how many.
    func more() throws -> Int {
        let n = buffer.withUnsafeMutableBytes { czip_inflater_read(inflater, $0.baseAddress! + filled, $0.count - filled, &message, message.count) }
        guard n >= 0 else { throw NTPFormatError("\(name): \(cMessage(message))") }
        crc = buffer.withUnsafeBytes { czip_crc32(crc, $0.baseAddress! + filled, Int(n)) }
        filled += Int(n); total += Int(n)
        return Int(n)
    }
    while filled < min(size, buffer.count), try more() > 0 {}
    let header = try buffer.withUnsafeBytes { try parseNPYHeader(UnsafeRawBufferPointer(rebasing: $0[0..<filled]), name: name) }
    let type: NPYType
    do { type = try NPYType(header.descr) } catch { return nil }
    guard type.kind == .unicode || type.kind == .bytes, !header.fortranOrder || header.shape.count < 2, type.size > 0 else { return nil }
    let count = header.shape.reduce(1, *)
    if type.size > buffer.count { buffer += [UInt8](repeating: 0, count: type.size) }
    var strings: [String] = []
    strings.reserveCapacity(count)
    var start = header.dataOffset
    while strings.count < count {
        while filled - start < type.size {
            buffer.withUnsafeMutableBytes { raw in raw.baseAddress!.copyMemory(from: raw.baseAddress! + start, byteCount: filled - start) }
            filled -= start; start = 0
            guard try more() > 0 else {
                throw NTPFormatError("\(name): truncated .npy payload: \(counted(count, "string")) of \(type.size) bytes, found \(strings.count)")
            }
        }
        do {
            try buffer.withUnsafeBytes { raw in
                while filled - start >= type.size && strings.count < count {
                    strings.append(try NPYArray.decodeString(UnsafeRawBufferPointer(rebasing: raw[start..<(start + type.size)]), type, index: strings.count))
                    start += type.size
                }
            }
        } catch let e as NTPFormatError { throw NTPFormatError("\(name): \(e.description)") }
    }
    filled = 0
    while try more() > 0 { filled = 0 }
    guard total == size else { throw NTPFormatError("\(name): inflated to \(total) bytes, the archive says \(size)") }
    guard crc == expected else { throw NTPFormatError("\(name): CRC-32 mismatch (data corrupt)") }
    var array = NPYArray(descr: header.descr, shape: header.shape, fortranOrder: header.fortranOrder, data: [])
    array.decodedStrings = strings
    return array
}
