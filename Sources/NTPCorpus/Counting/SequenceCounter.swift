/// Turns a stream of token ids with sequence boundaries into (context, next token) events.
///
/// With padding (every boundary mode but `none`), each sequence starts with N−1 `<s>` in front
/// and ends with one `</s>` event, as KenLM and SRILM do: every real token and the final `</s>`
/// is a predicted event. Without padding the ids form one stream and the first N−1 tokens are
/// only context.
///
/// Storage: while every id fits in ⌊64/N⌋ bits, whole n-grams are packed into one UInt64 and
/// counted by sorting in `NGramRuns` (orders ≤ 3 with up to 2 M token types, or byte/BPE-sized
/// vocabularies at higher orders). The first id that does not fit moves the counts into a
/// `ContextCounter`, which has no such limit.
public struct SequenceCounter {
    /// N − 1.
    public let contextLength: Int
    /// Whether sequences are padded with `<s>` … `</s>`.
    public let padded: Bool
    /// Bits per id in packed keys (⌊64/N⌋).
    let bits: Int
    private let historyMask: UInt64
    private let idLimit: UInt64
    var packed: NGramRuns?
    var general: ContextCounter? = nil
    private var history: UInt64 = 0
    private let window: UnsafeMutablePointer<UInt32>
    private var filled = 0
    private var inSequence = false
    /// Number of sequences that received at least one token.
    public private(set) var sequenceCount = 0
    /// Total number of events counted.
    public private(set) var eventCount: Int64 = 0
    /// Set when an id outgrew the packed keys after runs had gone to disk: those runs cannot
    /// be moved into the general counter, so the counts are incomplete (reported as an error).
    public private(set) var outgrewSpilledRuns = false

    /// `packing: false` counts in the general store from the start, and a small
    /// `runBufferCapacity` makes the packed store sort and merge often (tests compare the paths).
    public init(contextLength: Int, padded: Bool, packing: Bool = true, runBufferCapacity: Int? = nil) {
        precondition(contextLength >= 0)
        packed = packing ? NGramRuns(bufferCapacity: runBufferCapacity ?? NGramRuns.defaultBufferCapacity) : nil
        if !packing { general = ContextCounter(contextLength: contextLength) }
        self.contextLength = contextLength
        self.padded = padded
        let order = contextLength + 1
        bits = min(64 / order, 32)
        idLimit = bits >= 32 ? UInt64(UInt32.max) : (1 << UInt64(bits))
        historyMask = contextLength == 0 ? 0 : (contextLength * bits >= 64 ? .max : (1 << UInt64(contextLength * bits)) - 1)
        window = .allocate(capacity: max(contextLength, 1))
    }

    /// Frees the window buffer; call once when done.
    public func deallocate() { window.deallocate() }

    /// Distinct n-grams (packed) or (context, token) pairs (general) so far, for progress display.
    public var distinctCount: Int { packed?.approximateCount ?? general!.pairCount }

    /// Counts `id` as the next token of the current sequence.
    @inline(__always)
    public mutating func token(_ id: UInt32) {
        let n = contextLength
        if !inSequence {
            inSequence = true
            sequenceCount += 1
            if padded {
                history = 0   // <s> has id 0, so a history of n <s> packs to 0
                window.initialize(repeating: TokenInterner.sentenceStart, count: n)
                filled = n
            }
        }
        if packed != nil && UInt64(id) >= idLimit { unpack() }
        if packed != nil {
            if filled == n {
                packed!.add(n == 0 ? UInt64(id) : (history << UInt64(bits)) | UInt64(id))
                eventCount += 1
                if n > 0 { history = ((history << UInt64(bits)) | UInt64(id)) & historyMask }
            } else {
                history = (history << UInt64(bits)) | UInt64(id)
                filled += 1
            }
            return
        }
        if filled == n {
            general!.add(context: window, token: id)
            eventCount += 1
            if n > 0 {
                window.update(from: window + 1, count: n - 1)
                window[n - 1] = id
            }
        } else {
            window[filled] = id
            filled += 1
        }
    }

    /// Ends the current sequence (adds the `</s>` event when padded). No effect on an empty sequence.
    public mutating func endSequence() {
        guard padded, inSequence else { return }
        inSequence = false
        let n = contextLength
        eventCount += 1
        if packed != nil {
            packed!.add(n == 0 ? UInt64(TokenInterner.sentenceEnd) : (history << UInt64(bits)) | UInt64(TokenInterner.sentenceEnd))
        } else {
            general!.add(context: window, token: TokenInterner.sentenceEnd)
        }
    }

    /// The ids of a packed n-gram key: `into[0..<N]`.
    @inline(__always)
    func unpackKey(_ key: UInt64, into ids: UnsafeMutablePointer<UInt32>) {
        let order = contextLength + 1
        let mask: UInt64 = bits >= 32 ? 0xFFFF_FFFF : (1 << UInt64(bits)) - 1
        for t in 0..<order {
            ids[order - 1 - t] = UInt32(truncatingIfNeeded: (key >> UInt64(t * bits)) & mask)
        }
    }

    /// Moves packed counts into a general counter (an id no longer fits in `bits`).
    private mutating func unpack() {
        if !(packed?.spilledRuns.isEmpty ?? true) { outgrewSpilledRuns = true }
        var counter = ContextCounter(contextLength: contextLength)
        let ids = UnsafeMutablePointer<UInt32>.allocate(capacity: contextLength + 1)
        defer { ids.deallocate() }
        packed!.forEach { key, count in
            unpackKey(key, into: ids)
            counter.add(context: ids, token: ids[contextLength], count: count)
        }
        // The window mirrors the packed history (its last `filled` ids).
        let mask: UInt64 = (1 << UInt64(bits)) - 1
        for t in 0..<filled { window[filled - 1 - t] = UInt32(truncatingIfNeeded: (history >> UInt64(t * bits)) & mask) }
        packed = nil
        general = counter
    }

    /// Calls `body(ids, count)` for every distinct n-gram: `ids[0..<N−1]` is the context, `ids[N−1]` the token.
    public func forEachNGram(_ body: (UnsafePointer<UInt32>, Int64) -> Void) {
        let ids = UnsafeMutablePointer<UInt32>.allocate(capacity: contextLength + 1)
        defer { ids.deallocate() }
        if let table = packed {
            table.forEach { key, count in unpackKey(key, into: ids); body(ids, count) }
        } else if let counter = general {
            counter.forEachPair { c, tok, count in
                for (t, id) in counter.context(c).enumerated() { ids[t] = id }
                ids[contextLength] = tok
                body(ids, count)
            }
        }
    }
}
