/// Counts (context, next token) events for a fixed order N in one streaming pass.
///
/// A context is the tuple of the previous N−1 token ids. Memory grows with the number of
/// distinct contexts and distinct (context, token) pairs only: each is stored once in an
/// open-addressing table, never per occurrence.
public struct ContextCounter {
    /// N − 1.
    public let contextLength: Int
    private var contextKeys: [UInt32] = []       // contextLength ids per context, flat
    private var contextHashes: [UInt64] = []
    private var contextSlots: [Int32]
    private var contextMask: Int
    // (context index << 32 | token) -> count, open addressing.
    private var pairKeys: [UInt64]
    private var pairCounts: [Int64]
    private var pairMask: Int
    /// Number of distinct (context, token) pairs.
    public private(set) var pairCount = 0
    /// Total number of events counted.
    public private(set) var eventCount: Int64 = 0
    private static let emptyKey = UInt64.max

    public init(contextLength: Int) {
        precondition(contextLength >= 0)
        self.contextLength = contextLength
        contextSlots = [Int32](repeating: -1, count: 1 << 10)
        contextMask = (1 << 10) - 1
        pairKeys = [UInt64](repeating: Self.emptyKey, count: 1 << 12)
        pairCounts = [Int64](repeating: 0, count: 1 << 12)
        pairMask = (1 << 12) - 1
    }

    /// Number of distinct contexts seen.
    public var contextCount: Int { contextHashes.count }

    /// Bytes of memory the tables hold, for memory budgets.
    var approximateBytes: Int {
        contextKeys.capacity * 4 + contextHashes.capacity * 8 + contextSlots.count * 4 + pairKeys.count * 16
    }

    /// The ids of context `index`.
    public func context(_ index: Int) -> ArraySlice<UInt32> {
        contextKeys[(index * contextLength)..<((index + 1) * contextLength)]
    }

    /// Counts `count` occurrences of `token` after the context `window[0..<contextLength]`.
    @inline(__always)
    public mutating func add(context window: UnsafePointer<UInt32>, token: UInt32, count: Int64 = 1) {
        let c = contextIndex(window)
        let key = UInt64(c) << 32 | UInt64(token)
        var i = Int(truncatingIfNeeded: ByteHash.mix(key, 0x9E37_79B9_7F4A_7C15)) & pairMask
        while true {
            let k = pairKeys[i]
            if k == key { pairCounts[i] += count; break }
            if k == Self.emptyKey {
                pairKeys[i] = key; pairCounts[i] = count; pairCount += 1
                if pairCount * 2 > pairKeys.count { growPairs() }
                break
            }
            i = (i + 1) & pairMask
        }
        eventCount += count
    }

    @inline(__always)
    private mutating func contextIndex(_ window: UnsafePointer<UInt32>) -> UInt32 {
        let n = contextLength
        let h = ByteHash.hash(ids: window, n)
        var i = Int(truncatingIfNeeded: h) & contextMask
        while true {
            let c = Int(contextSlots[i])
            if c < 0 { break }
            if contextHashes[c] == h {
                var same = true
                let base = c * n
                for t in 0..<n where contextKeys[base + t] != window[t] { same = false; break }
                if same { return UInt32(c) }
            }
            i = (i + 1) & contextMask
        }
        let c = contextHashes.count
        precondition(c < Int(UInt32.max), "more than 2^32 distinct contexts")
        contextHashes.append(h)
        for t in 0..<n { contextKeys.append(window[t]) }
        contextSlots[i] = Int32(truncatingIfNeeded: c)
        if contextHashes.count * 2 > contextSlots.count { growContexts() }
        return UInt32(c)
    }

    private mutating func growContexts() {
        let size = contextSlots.count * 2
        contextSlots = [Int32](repeating: -1, count: size)
        contextMask = size - 1
        for c in 0..<contextHashes.count {
            var i = Int(truncatingIfNeeded: contextHashes[c]) & contextMask
            while contextSlots[i] >= 0 { i = (i + 1) & contextMask }
            contextSlots[i] = Int32(truncatingIfNeeded: c)
        }
    }

    private mutating func growPairs() {
        let oldKeys = pairKeys, oldCounts = pairCounts
        let size = pairKeys.count * 2
        pairKeys = [UInt64](repeating: Self.emptyKey, count: size)
        pairCounts = [Int64](repeating: 0, count: size)
        pairMask = size - 1
        for s in 0..<oldKeys.count where oldKeys[s] != Self.emptyKey {
            var i = Int(truncatingIfNeeded: ByteHash.mix(oldKeys[s], 0x9E37_79B9_7F4A_7C15)) & pairMask
            while pairKeys[i] != Self.emptyKey { i = (i + 1) & pairMask }
            pairKeys[i] = oldKeys[s]; pairCounts[i] = oldCounts[s]
        }
    }

    /// Calls `body(context, token, count)` for every distinct pair, in table order.
    public func forEachPair(_ body: (Int, UInt32, Int64) -> Void) {
        for s in 0..<pairKeys.count where pairKeys[s] != Self.emptyKey {
            body(Int(pairKeys[s] >> 32), UInt32(truncatingIfNeeded: pairKeys[s]), pairCounts[s])
        }
    }
}
