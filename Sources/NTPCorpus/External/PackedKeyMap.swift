/// Renumbers the ids inside packed n-gram keys (N ids of `bits` bits each in one UInt64).
struct PackedKeyMap {
    let order: Int
    let bits: UInt64
    private let mask: UInt64
    /// Old id -> new id.
    let map: [UInt32]

    init(order: Int, bits: Int, map: [UInt32]) {
        self.order = order
        self.bits = UInt64(bits)
        mask = bits >= 32 ? 0xFFFF_FFFF : (1 << UInt64(bits)) - 1
        self.map = map
    }

    @inline(__always)
    func callAsFunction(_ key: UInt64) -> UInt64 {
        var out: UInt64 = 0
        map.withUnsafeBufferPointer { ids in
            for t in stride(from: order - 1, through: 0, by: -1) {
                out = (out << bits) | UInt64(ids[Int((key >> (UInt64(t) * bits)) & mask)])
            }
        }
        return out
    }
}

/// The last step of out-of-core counting: merges sorted runs, renumbers their keys with `map`
/// (which breaks their order) and sorts again in bounded memory, calling `body` with the keys
/// ascending and distinct. `pairsAtMost` (the event count) caps the sort buffer.
func sortRenumbered(_ merger: RunMerger, map: PackedKeyMap, budgetBytes: Int, pairsAtMost: Int, folder: SpillFolder,
                    _ body: (UInt64, Int64) throws -> Void) throws {
    let capacity = min(ExternalSorter.capacity(forBudget: max(16 << 20, budgetBytes)), max(pairsAtMost, 1))
    let sorter = ExternalSorter(capacity: capacity, folder: folder)
    try merger.forEach { key, count in try sorter.add(map(key), count) }
    try sorter.forEachSorted(body)
}
