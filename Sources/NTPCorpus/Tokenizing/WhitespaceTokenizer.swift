/// Splits UTF-8 text on ASCII whitespace (space, tab, LF, VT, FF, CR): for pre-tokenized text.
public struct WhitespaceTokenizer: TextTokenizer {
    public init() {}

    public mutating func forEachToken(in text: UnsafeBufferPointer<UInt8>, _ emit: (Range<Int>) -> Void) {
        guard let p = text.baseAddress else { return }
        let n = text.count
        var i = 0
        while i < n {
            while i < n && isASCIIWhitespace(p[i]) { i += 1 }
            let start = i
            while i < n && !isASCIIWhitespace(p[i]) { i += 1 }
            if i > start { emit(start..<i) }
        }
    }
}

/// True for the six ASCII whitespace bytes.
@inline(__always)
func isASCIIWhitespace(_ b: UInt8) -> Bool {
    b == 0x20 || (b >= 0x09 && b <= 0x0D)
}

/// Anything that splits UTF-8 text into tokens, reporting byte ranges.
public protocol TextTokenizer {
    /// Calls `emit` with the byte range of every token of `text`, in order.
    mutating func forEachToken(in text: UnsafeBufferPointer<UInt8>, _ emit: (Range<Int>) -> Void)
}
