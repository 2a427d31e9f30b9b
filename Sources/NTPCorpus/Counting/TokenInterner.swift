import CSupport

/// Maps token byte strings to dense ids and counts their occurrences.
///
/// Ids 0, 1, 2 are reserved for `<s>`, `</s>` and `<unk>`; literal occurrences of those strings
/// in a corpus map onto the same ids (as KenLM treats `<unk>`). Token bytes live in one arena.
///
/// The probe table has 16-byte slots that answer most lookups on their own: a token of at most
/// 8 bytes is stored in its slot (bytes and length, so a hit touches nothing else); a longer one
/// stores a 32-bit hash fingerprint, its arena offset and length, so a hit reads its bytes
/// directly. Batched lookups (`internBatch`) overlap the cache misses of many tokens. Counts live
/// in their own dense array (8 bytes per id, frequent ids first), so counting a hit touches
/// a quarter of the memory an entry would.
public final class TokenInterner {
    /// The reserved special tokens, in id order.
    public static let specials = ["<s>", "</s>", "<unk>"]
    public static let sentenceStart: UInt32 = 0
    public static let sentenceEnd: UInt32 = 1
    public static let unknown: UInt32 = 2

    private struct Entry {
        var start: Int
        var length: Int
        /// Kept so that growing the table never re-reads token bytes.
        var hash: UInt64
    }

    /// One probe slot; `meta == 0` marks an empty slot.
    ///   length ≤ 8: tag = the bytes (little-endian, zero padded), meta = length << 40 | (id + 1)
    ///   length > 8: tag = fingerprint (high 32 bits of the hash) | (id + 1), meta = length << 40 | arena offset
    /// (lengths of 2^24 − 1 or more are stored as 2^24 − 1 and confirmed in the entry).
    private struct Slot {
        var tag: UInt64
        var meta: UInt64
    }

    private static let shortLength = 8
    private static let lengthCap = (1 << 24) - 1

    private var arena: UnsafeMutablePointer<UInt8>
    private var arenaCapacity = 1 << 16
    private var arenaCount = 0
    private var entries: UnsafeMutablePointer<Entry>
    private var entryCapacity = 1 << 10
    /// Occurrences of each id (`entryCapacity` of them, the first `count` in use).
    private var counts: UnsafeMutablePointer<Int64>
    /// Number of distinct ids (specials included).
    public private(set) var count = 0
    private var slots: UnsafeMutablePointer<Slot>
    private var slotCount = 1 << 12

    public init() {
        arena = .allocate(capacity: arenaCapacity)
        entries = .allocate(capacity: entryCapacity)
        counts = .allocate(capacity: entryCapacity)
        slots = .allocate(capacity: slotCount)
        slots.initialize(repeating: Slot(tag: 0, meta: 0), count: slotCount)
        for s in Self.specials {
            var bytes = Array(s.utf8)
            _ = bytes.withUnsafeMutableBufferPointer { lookup(UnsafeBufferPointer($0), occurrence: 0) }
        }
    }

    deinit {
        arena.deallocate(); entries.deallocate(); counts.deallocate(); slots.deallocate()
    }

    /// Occurrences of each id as a token of the corpus (padding is not counted).
    public var occurrences: [Int64] { Array(UnsafeBufferPointer(start: counts, count: count)) }

    /// The bytes of token `id`.
    public func bytes(of id: Int) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: arena + entries[id].start, count: entries[id].length)
    }

    /// Starts loading the entry of token `id` into the cache (ahead of `prefetchBytes`).
    @inline(__always)
    func prefetchEntry(of id: Int) { ntp_prefetch(entries + id) }

    /// Starts loading the first bytes of token `id` (ahead of `bytes(of:)` or `string(of:)`).
    @inline(__always)
    func prefetchBytes(of id: Int) { ntp_prefetch(arena + entries[id].start) }

    /// The string of token `id` (invalid UTF-8 is repaired, which cannot happen for validated input).
    public func string(of id: Int) -> String { String(decoding: bytes(of: id), as: UTF8.self) }

    /// Returns the id of `token`, adding it if new, and counts `occurrences` of it (merging parts).
    func intern(_ token: UnsafeBufferPointer<UInt8>, occurrences: Int64) -> UInt32 { lookup(token, occurrence: occurrences) }

    /// Bytes of memory the table holds (arena, entries and probe slots), for memory budgets.
    var approximateBytes: Int {
        arenaCapacity + entryCapacity * (MemoryLayout<Entry>.stride + MemoryLayout<Int64>.stride) + slotCount * MemoryLayout<Slot>.stride
    }

    /// Returns the id of `token`, adding it if new, and counts one occurrence.
    @inline(__always)
    public func intern(_ token: UnsafeBufferPointer<UInt8>) -> UInt32 { lookup(token, occurrence: 1) }

    /// Interns `count` tokens (`lengths[i]` bytes at `tokens[i]`) into `ids`, overlapping
    /// the cache misses of their probes: all hashes first with a prefetch of every home slot,
    /// then a pass that resolves the tokens whose home slot answers (prefetching the bytes of
    /// long candidates and every hit's count), then the lookups in order. Long-tail tokens miss
    /// the cache, so this is what bounds ingestion speed.
    func internBatch(_ tokens: UnsafePointer<UnsafePointer<UInt8>>, lengths: UnsafePointer<Int32>,
                     count n: Int, hashes: UnsafeMutablePointer<UInt64>, into ids: UnsafeMutablePointer<UInt32>) {
        let mask = slotCount - 1
        for i in 0..<n {
            let h = ByteHash.hash(UnsafeRawPointer(tokens[i]), Int(lengths[i]))
            hashes[i] = h
            ntp_prefetch(slots + (Int(truncatingIfNeeded: h) & mask))
        }
        // ids[i] = id + 1 when the home slot settles it, 0 otherwise.
        for i in 0..<n {
            let p = tokens[i], length = Int(lengths[i])
            let slot = slots[Int(truncatingIfNeeded: hashes[i]) & mask]
            ids[i] = 0
            guard slot.meta >> 40 == UInt64(min(length, Self.lengthCap)) else { continue }
            if length <= Self.shortLength {
                if slot.tag == Self.packShort(p, length) {
                    let id = Int(slot.meta & 0xFFFF_FFFF) - 1
                    ids[i] = UInt32(id + 1)
                    ntp_prefetch(counts + id)
                }
            } else if slot.tag & 0xFFFF_FFFF_0000_0000 == hashes[i] & 0xFFFF_FFFF_0000_0000 {
                ntp_prefetch(arena + Int(slot.meta & 0xFF_FFFF_FFFF))
                ntp_prefetch(entries + Int(slot.tag & 0xFFFF_FFFF) - 1)
            }
        }
        for i in 0..<n {
            if ids[i] != 0 {
                let id = Int(ids[i]) - 1
                counts[id] += 1
                ids[i] = UInt32(id)
            } else {
                ids[i] = lookup(UnsafeBufferPointer(start: tokens[i], count: Int(lengths[i])),
                                hash: hashes[i], occurrence: 1)
            }
        }
    }

    /// Counts one occurrence of an already interned id.
    public func countOccurrence(of id: UInt32) { counts[Int(id)] += 1 }

    /// The bytes of a token of at most 8 bytes as one little-endian word, zero padded.
    @inline(__always)
    private static func packShort(_ p: UnsafePointer<UInt8>, _ n: Int) -> UInt64 { ByteHash.word(UnsafeRawPointer(p), n) }

    @inline(__always)
    private func lookup(_ token: UnsafeBufferPointer<UInt8>, occurrence: Int64) -> UInt32 {
        let p = token.baseAddress ?? UnsafePointer(arena)
        return lookup(token, hash: ByteHash.hash(UnsafeRawPointer(p), token.count), occurrence: occurrence)
    }

    @inline(__always)
    private func lookup(_ token: UnsafeBufferPointer<UInt8>, hash h: UInt64, occurrence: Int64) -> UInt32 {
        let n = token.count
        let p = token.baseAddress ?? UnsafePointer(arena)
        let lengthField = UInt64(min(n, Self.lengthCap))
        let short = n <= Self.shortLength
        let tag = short ? Self.packShort(p, n) : h & 0xFFFF_FFFF_0000_0000
        let mask = slotCount - 1
        var i = Int(truncatingIfNeeded: h) & mask
        while true {
            let s = slots[i]
            if s.meta == 0 { break }
            if s.meta >> 40 == lengthField {
                if short {
                    if s.tag == tag {
                        let id = Int(s.meta & 0xFFFF_FFFF) - 1
                        counts[id] += occurrence
                        return UInt32(id)
                    }
                } else if s.tag & 0xFFFF_FFFF_0000_0000 == tag {
                    let id = Int(s.tag & 0xFFFF_FFFF) - 1
                    let e = entries + id
                    if e.pointee.length == n && memcmpEqual(arena + e.pointee.start, p, n) {
                        counts[id] += occurrence
                        return UInt32(id)
                    }
                }
            }
            i = (i + 1) & mask
        }
        return insert(p, n, hash: h, slot: i, occurrence: occurrence)
    }

    /// The slot of token `id` (its entry must be complete).
    private func slot(for id: Int) -> Slot {
        let e = entries[id]
        let lengthField = UInt64(min(e.length, Self.lengthCap)) << 40
        if e.length <= Self.shortLength {
            return Slot(tag: Self.packShort(arena + e.start, e.length), meta: lengthField | UInt64(id + 1))
        }
        return Slot(tag: (e.hash & 0xFFFF_FFFF_0000_0000) | UInt64(id + 1), meta: lengthField | UInt64(e.start))
    }

    private func insert(_ p: UnsafePointer<UInt8>, _ n: Int, hash: UInt64, slot: Int, occurrence: Int64) -> UInt32 {
        if arenaCount + n > arenaCapacity {
            var capacity = arenaCapacity * 2
            while arenaCount + n > capacity { capacity *= 2 }
            let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
            grown.update(from: arena, count: arenaCount)
            arena.deallocate(); arena = grown; arenaCapacity = capacity
        }
        precondition(arenaCount + n < 1 << 40, "token arena over 1 TiB")
        if count == entryCapacity {
            let grown = UnsafeMutablePointer<Entry>.allocate(capacity: entryCapacity * 2)
            grown.moveInitialize(from: entries, count: count)
            entries.deallocate(); entries = grown
            let grownCounts = UnsafeMutablePointer<Int64>.allocate(capacity: entryCapacity * 2)
            grownCounts.moveInitialize(from: counts, count: count)
            counts.deallocate(); counts = grownCounts
            entryCapacity *= 2
        }
        (arena + arenaCount).update(from: p, count: n)
        (entries + count).initialize(to: Entry(start: arenaCount, length: n, hash: hash))
        (counts + count).initialize(to: occurrence)
        arenaCount += n
        let id = count
        count += 1
        slots[slot] = self.slot(for: id)
        if count * 2 > slotCount { growSlots() }
        return UInt32(id)
    }

    /// Doubles the table. The old slots are read in order and a short token's hash is computed
    /// from its slot (its bytes are the tag), so the new table is written in two near-sequential
    /// streams and only long tokens read their entry: no random access per id.
    private func growSlots() {
        let newCount = slotCount * 2
        let grown = UnsafeMutablePointer<Slot>.allocate(capacity: newCount)
        grown.initialize(repeating: Slot(tag: 0, meta: 0), count: newCount)
        let mask = newCount - 1
        for old in 0..<slotCount where slots[old].meta != 0 {
            let s = slots[old]
            let length = Int(s.meta >> 40)
            let h = length <= Self.shortLength ? ByteHash.hash(word: s.tag, length)
                : entries[Int(s.tag & 0xFFFF_FFFF) - 1].hash
            var i = Int(truncatingIfNeeded: h) & mask
            while grown[i].meta != 0 { i = (i + 1) & mask }
            grown[i] = s
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
