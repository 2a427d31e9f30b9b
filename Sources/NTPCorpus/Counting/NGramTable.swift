/// An open-addressing table from a packed n-gram (all N ids in one UInt64) to its count.
///
/// One probe per event instead of a context lookup followed by a pair lookup: counting is bound
/// by memory latency, so this is what makes order ≤ 3 counting fast.
struct NGramTable {
    private(set) var keys: [UInt64]
    private(set) var counts: [Int64]
    private var mask: Int
    /// Number of distinct keys.
    private(set) var count = 0
    static let empty = UInt64.max

    init() {
        keys = [UInt64](repeating: Self.empty, count: 1 << 12)
        counts = [Int64](repeating: 0, count: 1 << 12)
        mask = (1 << 12) - 1
    }

    @inline(__always)
    static func slot(_ key: UInt64) -> Int { Int(truncatingIfNeeded: ByteHash.mix(key, 0x9E37_79B9_7F4A_7C15)) }

    @inline(__always)
    mutating func add(_ key: UInt64, _ n: Int64 = 1) {
        var i = Self.slot(key) & mask
        while true {
            let k = keys[i]
            if k == key { counts[i] += n; return }
            if k == Self.empty {
                keys[i] = key; counts[i] = n; count += 1
                if count * 10 > keys.count * 7 { grow() }
                return
            }
            i = (i + 1) & mask
        }
    }

    private mutating func grow() {
        let oldKeys = keys, oldCounts = counts
        let size = keys.count * 2
        keys = [UInt64](repeating: Self.empty, count: size)
        counts = [Int64](repeating: 0, count: size)
        mask = size - 1
        for s in 0..<oldKeys.count where oldKeys[s] != Self.empty {
            var i = Self.slot(oldKeys[s]) & mask
            while keys[i] != Self.empty { i = (i + 1) & mask }
            keys[i] = oldKeys[s]; counts[i] = oldCounts[s]
        }
    }

    /// Calls `body(key, count)` for every entry, in table order.
    func forEach(_ body: (UInt64, Int64) -> Void) {
        for s in 0..<keys.count where keys[s] != Self.empty { body(keys[s], counts[s]) }
    }
}

/// Sorts `keys` ascending and permutes `values` alongside (LSD radix sort, 16-bit digits;
/// digits where every key agrees are skipped).
func radixSort(_ keys: inout [UInt64], _ values: inout [Int64]) {
    let n = keys.count
    guard n > 1 else { return }
    var orAll: UInt64 = 0, andAll: UInt64 = .max
    for k in keys { orAll |= k; andAll &= k }
    let varying = orAll ^ andAll
    var tmpKeys = [UInt64](repeating: 0, count: n)
    var tmpValues = [Int64](repeating: 0, count: n)
    var histogram = [Int](repeating: 0, count: 1 << 16)
    for shift in stride(from: 0, to: 64, by: 16) where (varying >> UInt64(shift)) & 0xFFFF != 0 {
        for i in 0..<histogram.count { histogram[i] = 0 }
        for k in keys { histogram[Int((k >> UInt64(shift)) & 0xFFFF)] += 1 }
        var sum = 0
        for i in 0..<histogram.count { let c = histogram[i]; histogram[i] = sum; sum += c }
        for i in 0..<n {
            let d = Int((keys[i] >> UInt64(shift)) & 0xFFFF)
            let p = histogram[d]
            tmpKeys[p] = keys[i]; tmpValues[p] = values[i]
            histogram[d] = p + 1
        }
        swap(&keys, &tmpKeys); swap(&values, &tmpValues)
    }
}
