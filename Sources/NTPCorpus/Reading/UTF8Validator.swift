#if canImport(Glibc)
import Glibc
#endif

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

/// ISO-2022 text (ISO-2022-JP mail and Emacs tutorials, ISO-2022-KR, ISO-2022-CN) is 7-bit, so it
/// passes UTF-8 validation and would be read as ASCII garbage; its designation escape sequences
/// give it away. Only a chunk holding an ESC byte is looked at further (one `memchr` per chunk).
enum ISO2022Escape {
    /// The first designation in `text`: its index, the encoding to name to iconv and the sequence
    /// as shown ("ESC $ B"). `ESC $ …` designates a multi-byte set and always counts; `ESC ( B`,
    /// `ESC ( J`, `ESC ( I` count unless another escape follows at once (terminal output resets
    /// with `ESC ( B ESC [ m`). A sequence cut by the end of `text` is not seen.
    static func first(in text: UnsafeBufferPointer<UInt8>) -> (index: Int, encoding: String, sequence: String)? {
        guard let base = text.baseAddress else { return nil }
        var i = 0
        while i < text.count, let hit = memchr(base + i, 0x1B, text.count - i) {
            let e = UnsafePointer<UInt8>(hit.assumingMemoryBound(to: UInt8.self)) - base
            if let (encoding, length) = designation(text, at: e) {
                let sequence = (["ESC"] + text[(e + 1)...(e + length)].map { String(UnicodeScalar($0)) }).joined(separator: " ")
                return (e, encoding, sequence)
            }
            i = e + 1
        }
        return nil
    }

    /// The encoding a designation at `text[e]` (ESC) implies, and its length after the ESC.
    private static func designation(_ text: UnsafeBufferPointer<UInt8>, at e: Int) -> (String, Int)? {
        func byte(_ k: Int) -> UInt8? { e + k < text.count ? text[e + k] : nil }
        guard let first = byte(1), let second = byte(2) else { return nil }
        switch (first, second) {
        case (0x24, 0x42), (0x24, 0x40): return ("ISO-2022-JP", 2)                    // $ B, $ @: JIS X 0208
        case (0x24, 0x41): return ("ISO-2022-JP-2", 2)                                 // $ A: GB 2312
        case (0x28, 0x42), (0x28, 0x4A), (0x28, 0x49):                                 // ( B, ( J, ( I
            return byte(3) == 0x1B ? nil : ("ISO-2022-JP", 2)
        case (0x24, 0x28), (0x24, 0x29), (0x24, 0x2A), (0x24, 0x2B):                   // $ ( F, $ ) F, $ * F, $ + F
            guard let final = byte(3), final >= 0x40, final <= 0x7E else { return nil }
            switch (second, final) {
            case (0x29, 0x43): return ("ISO-2022-KR", 3)                                // $ ) C: KS X 1001
            case (0x28, 0x4F), (0x28, 0x50), (0x28, 0x51): return ("ISO-2022-JP-3", 3)  // JIS X 0213
            case (0x28, _): return ("ISO-2022-JP-2", 3)                                 // $ ( D: JIS X 0212, $ ( C
            default: return ("ISO-2022-CN", 3)                                          // $ ) A, $ ) G, $ * H, …
            }
        default: return nil
        }
    }
}
