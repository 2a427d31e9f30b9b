import Glibc

/// The byte order of tokens (UTF-8 bytes compared as unsigned numbers, a prefix first): the order
/// of a part's vocabulary, and of the data set's tokens of equal count.
enum ByteOrder {
    /// Whether `a` comes before `b`: memcmp, then the shorter first. `lexicographicallyPrecedes`
    /// goes byte by byte through the generic iterator, and a large vocabulary compares ~10⁷ pairs.
    @inline(__always)
    static func precedes(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
        let common = min(a.count, b.count)
        if common > 0 {
            let c = memcmp(a.baseAddress!, b.baseAddress!, common)
            if c != 0 { return c < 0 }
        }
        return a.count < b.count
    }

    /// `precedes` for byte arrays.
    static func precedes(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        a.withUnsafeBufferPointer { a in b.withUnsafeBufferPointer { b in precedes(a, b) } }
    }

    /// The tokens of `lists`, each strictly ascending, as one strictly ascending list: merged two
    /// at a time (n log k comparisons for k lists, against n log n for sorting their concatenation).
    static func union(_ lists: [[[UInt8]]]) -> [[UInt8]] {
        var level = lists
        while level.count > 1 {
            var next: [[[UInt8]]] = []
            for i in stride(from: 0, to: level.count, by: 2) {
                next.append(i + 1 < level.count ? union(level[i], level[i + 1]) : level[i])
            }
            level = next
        }
        return level.first ?? []
    }

    private static func union(_ a: [[UInt8]], _ b: [[UInt8]]) -> [[UInt8]] {
        var out: [[UInt8]] = []
        out.reserveCapacity(max(a.count, b.count))
        var i = 0, j = 0
        while i < a.count && j < b.count {
            if precedes(a[i], b[j]) { out.append(a[i]); i += 1 }
            else if precedes(b[j], a[i]) { out.append(b[j]); j += 1 }
            else { out.append(a[i]); i += 1; j += 1 }
        }
        out += a[i...]
        out += b[j...]
        return out
    }
}
