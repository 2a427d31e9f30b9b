/// Maps token byte strings to dense ids and counts their occurrences.
///
/// Ids 0, 1, 2 are reserved for `<s>`, `</s>` and `<unk>`; literal occurrences of those strings
/// in a corpus map onto the same ids (as KenLM treats `<unk>`). Token bytes live in one arena, so
/// interning a token that was seen before allocates nothing.
public struct TokenInterner {
    /// The reserved special tokens, in id order.
    public static let specials = ["<s>", "</s>", "<unk>"]
    public static let sentenceStart: UInt32 = 0
    public static let sentenceEnd: UInt32 = 1
    public static let unknown: UInt32 = 2

    private var arena: [UInt8] = []
    private var starts: [Int] = []
    private var lengths: [Int32] = []
    private var hashes: [UInt64] = []
    /// Occurrences of each id as a token of the corpus (padding is not counted).
    public private(set) var occurrences: [Int64] = []
    private var slots: [Int32]
    private var mask: Int

    public init() {
        slots = [Int32](repeating: -1, count: 1 << 12)
        mask = (1 << 12) - 1
        for s in Self.specials {
            var bytes = Array(s.utf8)
            _ = bytes.withUnsafeMutableBufferPointer { intern(UnsafeBufferPointer($0), countOccurrence: false) }
        }
    }

    /// Number of distinct ids (specials included).
    public var count: Int { starts.count }

    /// The bytes of token `id`.
    public func bytes(of id: Int) -> ArraySlice<UInt8> { arena[starts[id]..<(starts[id] + Int(lengths[id]))] }

    /// The string of token `id` (invalid UTF-8 is repaired, which cannot happen for validated input).
    public func string(of id: Int) -> String { String(decoding: bytes(of: id), as: UTF8.self) }

    /// Returns the id of `token`, adding it if new, and counts one occurrence.
    @inline(__always)
    public mutating func intern(_ token: UnsafeBufferPointer<UInt8>) -> UInt32 {
        intern(token, countOccurrence: true)
    }

    mutating func intern(_ token: UnsafeBufferPointer<UInt8>, countOccurrence: Bool) -> UInt32 {
        let n = token.count
        let h = ByteHash.hash(UnsafeRawPointer(token.baseAddress ?? UnsafePointer(bitPattern: 1)!), n)
        var i = Int(truncatingIfNeeded: h) & mask
        while true {
            let id = Int(slots[i])
            if id < 0 { break }
            if hashes[id] == h && Int(lengths[id]) == n {
                let equal = arena.withUnsafeBufferPointer { a in
                    n == 0 || memcmpEqual(a.baseAddress! + starts[id], token.baseAddress!, n)
                }
                if equal {
                    if countOccurrence { occurrences[id] += 1 }
                    return UInt32(id)
                }
            }
            i = (i + 1) & mask
        }
        let id = starts.count
        starts.append(arena.count)
        lengths.append(Int32(n))
        hashes.append(h)
        occurrences.append(countOccurrence ? 1 : 0)
        arena.append(contentsOf: token)
        slots[i] = Int32(id)
        if starts.count * 2 > slots.count { grow() }
        return UInt32(id)
    }

    private mutating func grow() {
        let size = slots.count * 2
        slots = [Int32](repeating: -1, count: size)
        mask = size - 1
        for id in 0..<starts.count {
            var i = Int(truncatingIfNeeded: hashes[id]) & mask
            while slots[i] >= 0 { i = (i + 1) & mask }
            slots[i] = Int32(id)
        }
    }

    /// Counts one occurrence of an already interned id (used for special tokens met in text).
    public mutating func countOccurrence(of id: UInt32) { occurrences[Int(id)] += 1 }
}

@inline(__always)
func memcmpEqual(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ n: Int) -> Bool {
    var i = 0
    while i + 8 <= n {
        if UnsafeRawPointer(a + i).loadUnaligned(as: UInt64.self) != UnsafeRawPointer(b + i).loadUnaligned(as: UInt64.self) { return false }
        i += 8
    }
    while i < n { if a[i] != b[i] { return false }; i += 1 }
    return true
}
