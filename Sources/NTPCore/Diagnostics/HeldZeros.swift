/// The set Z of the entropy-gap search: off-support entries (context j, token a) held at 0.
///
/// Stored per context as one of: nothing held, every off-support token held (separable data start
/// there), or a V-bit set allocated when the context first holds some but not all of them. So a
/// context costs 4 bytes until it needs bits, and the worst case is V·m bits (1/64 of a V × m array
/// of doubles).
struct HeldZeros {
    let vocabulary: Int
    /// 64-bit words per context bit set.
    private let words: Int
    /// Per context: `none`, `allOffSupport`, or the index of its bit set in `bits`.
    private var slots: [Int32]
    private var bits: [UInt64] = []
    /// Held entries (all off-support by construction).
    private(set) var count: Int

    private static let none: Int32 = -1
    private static let allOffSupport: Int32 = -2

    /// Nothing held, or (`allOffSupport`) every token outside each support; `supportSizes[j]` = k_j.
    init(vocabulary v: Int, supportSizes: [Int], allOffSupport: Bool) {
        vocabulary = v
        words = (v + 63) / 64
        slots = [Int32](repeating: allOffSupport ? Self.allOffSupport : Self.none, count: supportSizes.count)
        count = allOffSupport ? supportSizes.reduce(0) { $0 + v - $1 } : 0
    }

    /// Bytes in use.
    var bytes: Int { 4 * slots.count + 8 * bits.count }

    /// Writes context j's held flags into `held[0..<V]`; `support` flags its support.
    func fill(_ j: Int, support: UnsafePointer<Bool>, into held: UnsafeMutablePointer<Bool>) {
        let slot = slots[j]
        if slot == Self.none {
            held.initialize(repeating: false, count: vocabulary)
        } else if slot == Self.allOffSupport {
            for a in 0..<vocabulary { held[a] = !support[a] }
        } else {
            bits.withUnsafeBufferPointer { b in
                let base = b.baseAddress! + Int(slot) * words
                for a in 0..<vocabulary { held[a] = base[a >> 6] & (1 << UInt64(a & 63)) != 0 }
            }
        }
    }

    /// Holds the off-support, not yet held entry (j, a).
    mutating func insert(context j: Int, token a: Int) {
        var slot = slots[j]
        precondition(slot != Self.allOffSupport, "every off-support entry of context \(j) is already held")
        if slot == Self.none {
            slot = Int32(bits.count / words)
            slots[j] = slot
            bits.append(contentsOf: repeatElement(0, count: words))
        }
        // Counted once: a pass may hold an entry for two reasons (negative, and suspect after mixing).
        let word = Int(slot) * words + (a >> 6), bit = UInt64(1) << UInt64(a & 63)
        if bits[word] & bit == 0 { bits[word] |= bit; count += 1 }
    }
}
