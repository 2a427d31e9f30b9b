/// Fast non-cryptographic hashing for token bytes and id tuples (the ingestion hot path).
enum ByteHash {
    @inline(__always)
    static func mix(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let p = a.multipliedFullWidth(by: b)
        return p.high ^ p.low
    }

    /// Hashes `count` bytes at `p` (unaligned 8-byte loads, wyhash-style mixing).
    @inline(__always)
    static func hash(_ p: UnsafeRawPointer, _ count: Int) -> UInt64 {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(truncatingIfNeeded: count)
        var i = 0
        while i + 8 <= count {
            h = mix(h ^ p.loadUnaligned(fromByteOffset: i, as: UInt64.self), 0xA076_1D64_78BD_642F)
            i += 8
        }
        if i < count {
            var tail: UInt64 = 0
            var shift: UInt64 = 0
            while i < count {
                tail |= UInt64(p.load(fromByteOffset: i, as: UInt8.self)) << shift
                shift += 8; i += 1
            }
            h = mix(h ^ tail, 0xE703_7ED1_A0B4_28DB)
        }
        return mix(h, 0x8EBC_6AF0_9C88_C6E3)
    }

    /// Hashes a tuple of token ids.
    @inline(__always)
    static func hash(ids p: UnsafePointer<UInt32>, _ count: Int) -> UInt64 {
        var h: UInt64 = 0x2D35_8DCC_AA6C_78A5
        for i in 0..<count { h = mix(h ^ UInt64(p[i]), 0xA076_1D64_78BD_642F) }
        return h ^ (h >> 29)
    }
}
