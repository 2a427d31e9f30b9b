/// Turns a stream of token ids with sequence boundaries into (context, next token) events.
///
/// With padding (every boundary mode but `none`), each sequence starts with N−1 `<s>` in front
/// and ends with one `</s>` event, as KenLM and SRILM do: every real token and the final `</s>`
/// is a predicted event. Without padding the ids form one stream and the first N−1 tokens are
/// only context.
public struct SequenceCounter {
    public private(set) var counter: ContextCounter
    /// Whether sequences are padded with `<s>` … `</s>`.
    public let padded: Bool
    private let window: UnsafeMutablePointer<UInt32>
    private var filled = 0
    private var inSequence = false
    /// Number of sequences that received at least one token.
    public private(set) var sequenceCount = 0

    public init(contextLength: Int, padded: Bool) {
        counter = ContextCounter(contextLength: contextLength)
        self.padded = padded
        window = .allocate(capacity: max(contextLength, 1))
    }

    /// Frees the window buffer; call once when done.
    public func deallocate() { window.deallocate() }

    /// Counts `id` as the next token of the current sequence.
    @inline(__always)
    public mutating func token(_ id: UInt32) {
        let n = counter.contextLength
        if !inSequence {
            inSequence = true
            sequenceCount += 1
            if padded {
                window.initialize(repeating: TokenInterner.sentenceStart, count: n)
                filled = n
            }
        }
        if filled == n {
            counter.add(context: window, token: id)
            if n > 0 {
                (window).update(from: window + 1, count: n - 1)
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
        counter.add(context: window, token: TokenInterner.sentenceEnd)
        inSequence = false
    }
}
