import CSupport

/// Maps token byte strings to dense ids and counts their occurrences.
///
/// Ids 0, 1, 2 are reserved for `<s>`, `</s>` and `<unk>`; literal occurrences of those strings
/// in a corpus map onto the same ids (as KenLM treats `<unk>`). Token bytes live in one arena and
/// the probe table stores a hash fingerprint beside each id, so a lookup of a known token touches
/// the table, one entry and the token's bytes, and allocates nothing.
public final class TokenInterner {
    /// The reserved special tokens, in id order.
    public static let specials = ["<s>", "</s>", "<unk>"]
    public static let sentenceStart: UInt32 = 0
    public static let sentenceEnd: UInt32 = 1
    public static let unknown: UInt32 = 2

    private struct Entry {
        var start: Int
        var length: Int
        var occurrences: Int64
        /// Kept so that growing the table never re-reads token bytes.
        var hash: UInt64
    }

    private var arena: UnsafeMutablePointer<UInt8>
    private var arenaCapacity = 1 << 16
    private var arenaCount = 0
    private var entries: UnsafeMutablePointer<Entry>
    private var entryCapacity = 1 << 10
    /// Number of distinct ids (specials included).
    public private(set) var count = 0
    /// Slot = fingerprint (high 32 bits of the hash) << 32 | (id + 1); 0 = empty.
    private var slots: UnsafeMutablePointer<UInt64>
    private var slotCount = 1 << 12

    public init() {
        arena = .allocate(capacity: arenaCapacity)
        entries = .allocate(capacity: entryCapacity)
        slots = .allocate(capacity: slotCount)
        slots.initialize(repeating: 0, count: slotCount)
        for s in Self.specials {
            var bytes = Array(s.utf8)
            _ = bytes.withUnsafeMutableBufferPointer { lookup(UnsafeBufferPointer($0), occurrence: 0) }
        }
    }

    deinit {
        arena.deallocate(); entries.deallocate(); slots.deallocate()
    }

    /// Occurrences of each id as a token of the corpus (padding is not counted).
    public var occurrences: [Int64] { (0..<count).map { entries[$0].occurrences } }

    /// The bytes of token `id`.
    public func bytes(of id: Int) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: arena + entries[id].start, count: entries[id].length)
    }

    /// The string of token `id` (invalid UTF-8 is repaired, which cannot happen for validated input).
    public func string(of id: Int) -> String { String(decoding: bytes(of: id), as: UTF8.self) }

    /// Returns the id of `token`, adding it if new, and counts one occurrence.
    @inline(__always)
    public func intern(_ token: UnsafeBufferPointer<UInt8>) -> UInt32 { lookup(token, occurrence: 1) }

    /// Interns `count` tokens `base[starts[i] ..< starts[i] + lengths[i]]` into `ids`, overlapping
    /// the cache misses of their probes: all hashes first, a prefetch of every probe slot, then
    /// the lookups. Long-tail tokens miss the cache, so this is what bounds ingestion speed.
    func internBatch(_ base: UnsafePointer<UInt8>, starts: UnsafePointer<Int32>, lengths: UnsafePointer<Int32>,
                     count n: Int, hashes: UnsafeMutablePointer<UInt64>, into ids: UnsafeMutablePointer<UInt32>) {
        let mask = slotCount - 1
        for i in 0..<n {
            let h = ByteHash.hash(UnsafeRawPointer(base + Int(starts[i])), Int(lengths[i]))
            hashes[i] = h
            ntp_prefetch(slots + (Int(truncatingIfNeeded: h) & mask))
        }
        for i in 0..<n {
            ids[i] = lookup(UnsafeBufferPointer(start: base + Int(starts[i]), count: Int(lengths[i])), hash: hashes[i], occurrence: 1)
        }
    }

    /// Counts one occurrence of an already interned id.
    public func countOccurrence(of id: UInt32) { entries[Int(id)].occurrences += 1 }

    @inline(__always)
    private func lookup(_ token: UnsafeBufferPointer<UInt8>, occurrence: Int64) -> UInt32 {
        let p = token.baseAddress ?? UnsafePointer(arena)
        return lookup(token, hash: ByteHash.hash(UnsafeRawPointer(p), token.count), occurrence: occurrence)
    }

    @inline(__always)
    private func lookup(_ token: UnsafeBufferPointer<UInt8>, hash h: UInt64, occurrence: Int64) -> UInt32 {
        let n = token.count
        let p = token.baseAddress ?? UnsafePointer(arena)
        let fingerprint = h & 0xFFFF_FFFF_0000_0000
        let mask = slotCount - 1
        var i = Int(truncatingIfNeeded: h) & mask
        while true {
            let s = slots[i]
            if s == 0 { break }
            if s & 0xFFFF_FFFF_0000_0000 == fingerprint {
                let id = Int(s & 0xFFFF_FFFF) - 1
                let e = entries + id
                if e.pointee.length == n && (n == 0 || memcmpEqual(arena + e.pointee.start, p, n)) {
                    e.pointee.occurrences += occurrence
                    return UInt32(id)
                }
            }
            i = (i + 1) & mask
        }
        return insert(p, n, hash: h, slot: i, occurrence: occurrence)
    }

    private func insert(_ p: UnsafePointer<UInt8>, _ n: Int, hash: UInt64, slot: Int, occurrence: Int64) -> UInt32 {
        if arenaCount + n > arenaCapacity {
            var capacity = arenaCapacity * 2
            while arenaCount + n > capacity { capacity *= 2 }
            let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
            grown.update(from: arena, count: arenaCount)
            arena.deallocate(); arena = grown; arenaCapacity = capacity
        }
        if count == entryCapacity {
            let grown = UnsafeMutablePointer<Entry>.allocate(capacity: entryCapacity * 2)
            grown.moveInitialize(from: entries, count: count)
            entries.deallocate(); entries = grown; entryCapacity *= 2
        }
        (arena + arenaCount).update(from: p, count: n)
        (entries + count).initialize(to: Entry(start: arenaCount, length: n, occurrences: occurrence, hash: hash))
        arenaCount += n
        let id = count
        count += 1
        slots[slot] = (hash & 0xFFFF_FFFF_0000_0000) | UInt64(id + 1)
        if count * 2 > slotCount { growSlots() }
        return UInt32(id)
    }

    private func growSlots() {
        let newCount = slotCount * 2
        let grown = UnsafeMutablePointer<UInt64>.allocate(capacity: newCount)
        grown.initialize(repeating: 0, count: newCount)
        let mask = newCount - 1
        for id in 0..<count {
            let h = entries[id].hash
            var i = Int(truncatingIfNeeded: h) & mask
            while grown[i] != 0 { i = (i + 1) & mask }
            grown[i] = (h & 0xFFFF_FFFF_0000_0000) | UInt64(id + 1)
        }
        slots.deallocate(); slots = grown; slotCount = newCount
    }
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
