/// Fast non-cryptographic hashing for token bytes and id tuples (the ingestion hot path).
enum ByteHash {
    @inline(__always)
    static func mix(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let p = a.multipliedFullWidth(by: b)
        return p.high ^ p.low
    }

    /// The `count` ≤ 8 bytes at `p` as one little-endian word, zero padded. Reads stay inside
    /// the bytes: two overlapping 4-byte loads for 4…8 bytes, first/middle/last byte for 1…3.
    @inline(__always)
    static func word(_ p: UnsafeRawPointer, _ count: Int) -> UInt64 {
        if count >= 4 {
            let low = UInt64(p.loadUnaligned(as: UInt32.self))
            let high = UInt64(p.loadUnaligned(fromByteOffset: count - 4, as: UInt32.self))
            return low | high << UInt64(8 * (count - 4))
        }
        if count == 0 { return 0 }
        let first = UInt64(p.load(as: UInt8.self))
        let middle = UInt64(p.load(fromByteOffset: count / 2, as: UInt8.self))
        let last = UInt64(p.load(fromByteOffset: count - 1, as: UInt8.self))
        return first | middle << UInt64(8 * (count / 2)) | last << UInt64(8 * (count - 1))
    }

    /// Hashes `count` bytes at `p` (unaligned 8-byte loads, wyhash-style mixing).
    @inline(__always)
    static func hash(_ p: UnsafeRawPointer, _ count: Int) -> UInt64 {
        if count <= 8 { return hash(word: word(p, count), count) }
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(truncatingIfNeeded: count)
        var i = 0
        while i + 8 <= count {
            h = mix(h ^ p.loadUnaligned(fromByteOffset: i, as: UInt64.self), 0xA076_1D64_78BD_642F)
            i += 8
        }
        if i < count { h = mix(h ^ word(p + i, count - i), 0xE703_7ED1_A0B4_28DB) }
        return mix(h, 0x8EBC_6AF0_9C88_C6E3)
    }

    /// `hash(p, count)` of `count` ≤ 8 bytes given as `word(p, count)`: the same value, so a
    /// table that stores short tokens' bytes can rehash them without reading the text.
    @inline(__always)
    static func hash(word: UInt64, _ count: Int) -> UInt64 {
        let h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(truncatingIfNeeded: count)
        if count == 0 { return mix(h, 0x8EBC_6AF0_9C88_C6E3) }
        return mix(mix(h ^ word, count == 8 ? 0xA076_1D64_78BD_642F : 0xE703_7ED1_A0B4_28DB), 0x8EBC_6AF0_9C88_C6E3)
    }

    /// Hashes a tuple of token ids.
    @inline(__always)
    static func hash(ids p: UnsafePointer<UInt32>, _ count: Int) -> UInt64 {
        var h: UInt64 = 0x2D35_8DCC_AA6C_78A5
        for i in 0..<count { h = mix(h ^ UInt64(p[i]), 0xA076_1D64_78BD_642F) }
        return h ^ (h >> 29)
    }
}
