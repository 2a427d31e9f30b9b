/// Incremental UTF-8 validation across chunk boundaries, reporting the first bad byte's offset.
///
/// Also rejects NUL bytes: a text corpus never contains them, binary files almost always do.
struct UTF8Validator {
    init(offset: Int64 = 0) { self.offset = offset }
    /// Offset of the next byte to validate, from the start of the (decompressed) input.
    private(set) var offset: Int64 = 0

    enum Failure: Error {
        case invalid(offset: Int64, byte: UInt8)
        case nul(offset: Int64)
    }

    /// Validates `chunk`; returns how many leading bytes form complete characters (the rest,
    /// at most 3 bytes of an unfinished sequence, is kept for the next call and must be
    /// resubmitted by the caller in front of the next chunk).
    mutating func validate(_ chunk: UnsafeBufferPointer<UInt8>) throws -> Int {
        guard let p = chunk.baseAddress else { return 0 }
        let n = chunk.count
        var i = 0
        while i < n {
            // ASCII fast path, 8 bytes at a time.
            while i + 8 <= n {
                let w = UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self)
                if w & 0x8080_8080_8080_8080 != 0 { break }
                // A NUL byte makes some byte of w zero.
                if (w &- 0x0101_0101_0101_0101) & ~w & 0x8080_8080_8080_8080 != 0 { break }
                i += 8
            }
            if i >= n { break }
            let b = p[i]
            if b < 0x80 {
                if b == 0 { throw Failure.nul(offset: offset + Int64(i)) }
                i += 1
                continue
            }
            let need: Int
            var lower: UInt8 = 0x80, upper: UInt8 = 0xBF
            switch b {
            case 0xC2...0xDF: need = 1
            case 0xE0: need = 2; lower = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: need = 2
            case 0xED: need = 2; upper = 0x9F
            case 0xF0: need = 3; lower = 0x90
            case 0xF1...0xF3: need = 3
            case 0xF4: need = 3; upper = 0x8F
            default: throw Failure.invalid(offset: offset + Int64(i), byte: b)
            }
            if i + need >= n {
                // Sequence runs past the chunk: validate what is there, leave the rest for next time.
                for t in 1..<(n - i) {
                    let c = p[i + t]
                    let lo: UInt8 = t == 1 ? lower : 0x80, hi: UInt8 = t == 1 ? upper : 0xBF
                    if c < lo || c > hi { throw Failure.invalid(offset: offset + Int64(i), byte: b) }
                }
                offset += Int64(i)
                return i
            }
            for t in 1...need {
                let c = p[i + t]
                let lo: UInt8 = t == 1 ? lower : 0x80, hi: UInt8 = t == 1 ? upper : 0xBF
                if c < lo || c > hi { throw Failure.invalid(offset: offset + Int64(i), byte: b) }
            }
            i += need + 1
        }
        offset += Int64(n)
        return n
    }
}
