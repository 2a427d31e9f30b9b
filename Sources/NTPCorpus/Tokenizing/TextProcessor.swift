import CSupport
#if canImport(Glibc)
import Glibc
#endif

/// Tokenizes validated UTF-8 text and counts its events, honouring the boundary mode.
///
/// Text arrives in arbitrary pieces (file chunks, XML text callbacks); the processor keeps the
/// unfinished unit (line, sentence, or token) in `carry` so results never depend on where the
/// pieces were cut.
struct TextProcessor {
    /// The resolved boundary mode (never `.auto`).
    let boundary: IngestOptions.Boundary
    var interner: TokenInterner
    var sequences: SequenceCounter
    /// ICU word segmentation, or nil for the whitespace tokenizer.
    private var icu: ICUWordTokenizer?
    private var transform: TextTransform?
    private var sentences: ICUSentenceSplitter?
    private var carry: [UInt8] = []
    private var spare: [UInt8] = []
    private let batch = TokenBatch()
    /// Tokens counted so far.
    private(set) var tokenCount: Int64 = 0
    /// Runs of more than `maxCarry` bytes without whitespace cut so far (QA round 12: a 20 MB token
    /// became two, at a point that depended on the read buffers, without a word).
    private(set) var cutRuns = 0

    /// Units longer than this are cut even without a boundary (languages without spaces, huge lines).
    static let maxCarry = 1 << 24
    /// Sentence mode splits once this much text is buffered.
    private static let sentenceBatch = 1 << 20
    /// Sentence mode splits again once the buffer reaches this: twice the unfinished sentence left
    /// by the last split, so a long sentence is segmented a bounded number of times (QA round 8:
    /// a 50 MB line without a sentence end was re-segmented every MiB, 21 s against 1.7 s).
    private var nextSentenceSplit = TextProcessor.sentenceBatch

    init(options: IngestOptions, boundary: IngestOptions.Boundary, interner: TokenInterner, sequences: SequenceCounter) throws {
        precondition(boundary != .auto)
        self.boundary = boundary
        self.interner = interner
        self.sequences = sequences
        icu = options.tokenizer == .icu
            ? try ICUWordTokenizer(keepPunctuation: options.keepPunctuation, locale: options.locale) : nil
        let normalization: UnicodeNormalization? = switch options.normalization {
            case .none: nil
            case .nfc: .nfc
            case .nfkc: .nfkc
        }
        let t = try TextTransform(normalization: normalization, caseFold: options.caseFold)
        transform = t.isIdentity ? nil : t
        if boundary == .sentence { sentences = try ICUSentenceSplitter(locale: options.locale) }
    }

    /// Consumes the next piece of text.
    mutating func feed(_ text: UnsafeBufferPointer<UInt8>) {
        guard text.count > 0 else { return }
        switch boundary {
        case .line: feedLines(text)
        case .sentence:
            carry.append(contentsOf: text)
            if carry.count >= nextSentenceSplit { flushSentences(final: false) }
        case .document, .none, .auto: feedStream(text)
        }
        countBatch()   // the batch points into `text`, which the caller reuses
    }

    /// Ends a document (a file, an XML record, a separator in an id stream).
    mutating func endDocument() {
        defer { countBatch() }
        switch boundary {
        case .line:
            if !carry.isEmpty { withCarry { p, s in p.processUnit(s, endsSequence: true) } }
            batch.endSequence()
        case .sentence:
            flushSentences(final: true)
        case .document:
            if !carry.isEmpty { withCarry { p, s in p.processUnit(s, endsSequence: false) } }
            batch.endSequence()
        case .none, .auto:
            if !carry.isEmpty { withCarry { p, s in p.processUnit(s, endsSequence: false) } }
        }
    }

    /// Counts one pre-tokenized id (id streams bypass tokenization).
    @inline(__always)
    mutating func countToken(_ id: UInt32) {
        if batch.count > 0 || batch.hasEnds { countBatch() }
        sequences.token(id)
        tokenCount += 1
    }

    private mutating func feedLines(_ text: UnsafeBufferPointer<UInt8>) {
        let p = text.baseAddress!, n = text.count
        var start = 0
        while start < n {
            if carry.isEmpty && icu == nil && transform == nil {
                // Whitespace tokens need no per-line work: take every complete line at once.
                var end = n
                while end > start && p[end - 1] != 0x0A { end -= 1 }
                if end > start {
                    feedCompleteLines(UnsafeBufferPointer(start: p + start, count: end - start))
                    start = end
                    continue
                }
            }
            guard let nl = memchr(p + start, 0x0A, n - start) else {
                carry.append(contentsOf: UnsafeBufferPointer(start: p + start, count: n - start))
                if carry.count > Self.maxCarry { cutCarryAtWhitespace() }
                return
            }
            let end = UnsafePointer<UInt8>(nl.assumingMemoryBound(to: UInt8.self)) - p
            let line = UnsafeBufferPointer(start: p + start, count: end - start)
            if carry.isEmpty {
                processUnit(line, endsSequence: true)
            } else {
                carry.append(contentsOf: line)
                withCarry { q, s in q.processUnit(s, endsSequence: true) }
            }
            start = end + 1
        }
    }

    /// Whitespace tokens and line ends of complete lines (`lines` ends with "\n"), read off
    /// whitespace and newline bit masks 64 bytes at a time: the same tokens and sequence ends as
    /// `processUnit` line by line (a CR before the LF is whitespace either way).
    private mutating func feedCompleteLines(_ lines: UnsafeBufferPointer<UInt8>) {
        let p = lines.baseAddress!, n = lines.count
        var tokenStart = 0
        var previousSpace: UInt64 = 1   // the region starts a line
        var i = 0
        var space: UInt64 = 0, newline: UInt64 = 0
        while i < n {
            let width = min(64, n - i)
            if width == 64 {
                ntp_space_masks64(p + i, &space, &newline)
            } else {
                space = 0; newline = 0
                for k in 0..<width where isASCIIWhitespace(p[i + k]) {
                    space |= 1 << UInt64(k)
                    if p[i + k] == 0x0A { newline |= 1 << UInt64(k) }
                }
            }
            let valid: UInt64 = width == 64 ? .max : (1 << UInt64(width)) - 1
            // Where whitespace starts or stops, and line ends, in byte order.
            let changes = (space ^ (space << 1 | previousSpace)) & valid
            var events = changes | newline
            while events != 0 {
                let q = events.trailingZeroBitCount
                events &= events - 1
                let bit: UInt64 = 1 << UInt64(q)
                if changes & bit != 0 {
                    if space & bit == 0 {
                        tokenStart = i + q
                    } else {
                        if batch.isFull { countBatch() }
                        batch.append(p + tokenStart, i + q - tokenStart)
                    }
                }
                if newline & bit != 0 {
                    if batch.endsFull { countBatch() }
                    batch.endSequence()
                }
            }
            previousSpace = space >> 63
            i += width
        }
    }

    private mutating func feedStream(_ text: UnsafeBufferPointer<UInt8>) {
        let p = text.baseAddress!, n = text.count
        var cut = n
        while cut > 0 && !isASCIIWhitespace(p[cut - 1]) { cut -= 1 }
        if cut == 0 {
            carry.append(contentsOf: text)
            if carry.count > Self.maxCarry { cutCarryAtCharacter() }
            return
        }
        if carry.isEmpty {
            processUnit(UnsafeBufferPointer(start: p, count: cut), endsSequence: false)
        } else {
            carry.append(contentsOf: UnsafeBufferPointer(start: p, count: cut))
            withCarry { q, s in q.processUnit(s, endsSequence: false) }
        }
        carry.append(contentsOf: UnsafeBufferPointer(start: p + cut, count: n - cut))
    }

    /// Processes the carried text of a line longer than `maxCarry` up to its last ASCII whitespace, so that
    /// no token is cut (QA round 8: text8-style one-line corpora gained tokens such as `lor` and `do`);
    /// a carry without whitespace, one token of that size, is cut at its last complete character.
    private mutating func cutCarryAtWhitespace() {
        var cut = carry.count
        while cut > 0 && !isASCIIWhitespace(carry[cut - 1]) { cut -= 1 }
        guard cut > 0 else { return cutCarryAtCharacter() }
        let rest = Array(carry[cut...])
        carry.removeSubrange(cut...)
        withCarry { q, s in q.processUnit(s, endsSequence: false) }
        carry.append(contentsOf: rest)
    }

    /// Processes the carried text up to its last complete UTF-8 character.
    private mutating func cutCarryAtCharacter() {
        cutRuns += 1
        var cut = carry.count
        while cut > 0 && carry[cut - 1] & 0xC0 == 0x80 { cut -= 1 }
        if cut > 0 { cut -= 1 }  // the lead byte of a possibly incomplete character stays
        let rest = Array(carry[cut...])
        carry.removeSubrange(cut...)
        withCarry { q, s in q.processUnit(s, endsSequence: false) }
        carry.append(contentsOf: rest)
    }

    /// Splits buffered text into sentences; all but the last are complete unless `final`.
    /// Single line breaks inside a paragraph count as spaces (hard-wrapped prose); blank lines end paragraphs.
    private mutating func flushSentences(final: Bool) {
        guard !carry.isEmpty else { if final { batch.endSequence() }; return }
        joinWrappedLines(&carry, final: final)
        var pending: [Range<Int>] = []
        sentences!.forEachSentence(in: carry.withUnsafeBufferPointer { $0 }) { pending.append($0) }
        let complete = final ? pending.count : max(pending.count - 1, 0)
        var local: [UInt8] = []
        swap(&local, &carry)
        local.withUnsafeBufferPointer { all in
            for r in pending[..<complete] {
                processUnit(UnsafeBufferPointer(rebasing: all[r]), endsSequence: true)
            }
            countBatch()   // before `local` goes away
        }
        if complete < pending.count { carry.append(contentsOf: local[pending[complete].lowerBound...]) }
        if carry.count > Self.maxCarry { cutCarryAtWhitespace() }
        nextSentenceSplit = max(Self.sentenceBatch, 2 * carry.count)
    }

    private mutating func withCarry(_ body: (inout TextProcessor, UnsafeBufferPointer<UInt8>) -> Void) {
        swap(&spare, &carry)
        spare.withUnsafeBufferPointer { body(&self, $0); countBatch() }
        spare.removeAll(keepingCapacity: true)
    }

    /// Interns the batched tokens (overlapping their cache misses) and counts them, and the
    /// sequence ends among them, in order. Must run before the text the batch points into is
    /// reused: at the end of every `feed`, carried unit, and transformed unit.
    private mutating func countBatch() {
        interner.internBatch(batch.pointers, lengths: batch.lengths, count: batch.count,
                             hashes: batch.hashes, into: batch.ids)
        var token = 0
        for e in 0..<batch.endCount {
            let end = Int(batch.ends[e])
            while token < end { sequences.token(batch.ids[token]); token += 1 }
            sequences.endSequence()
        }
        while token < batch.count { sequences.token(batch.ids[token]); token += 1 }
        tokenCount += Int64(batch.count)
        batch.removeAll()
    }

    /// Tokenizes one unit and counts its tokens; a line or sentence also ends its sequence.
    private mutating func processUnit(_ raw: UnsafeBufferPointer<UInt8>, endsSequence: Bool) {
        var unit = raw
        if boundary == .line, unit.count > 0, unit[unit.count - 1] == 0x0D {
            unit = UnsafeBufferPointer(rebasing: unit[0..<(unit.count - 1)])
        }
        if transform != nil { unit = transform!.apply(unit) }
        if let p = unit.baseAddress {
            if icu == nil {
                // No range buffer on the throughput path: tokens go straight into the batch.
                var whitespace = WhitespaceTokenizer()
                whitespace.forEachToken(in: unit) { r in
                    if batch.isFull { countBatch() }
                    batch.append(p + r.lowerBound, r.count)
                }
            } else {
                // Tokens go straight into the batch: the tokenizer is moved out of `self` meanwhile
                // (so counting a full batch does not overlap an access to it) and stays unique.
                var tokenizer = icu.take()!
                tokenizer.forEachToken(in: unit) { r in
                    if batch.isFull { countBatch() }
                    batch.append(p + r.lowerBound, r.count)
                }
                icu = consume tokenizer
            }
        }
        if endsSequence {
            if batch.endsFull { countBatch() }
            batch.endSequence()
        }
        if transform != nil { countBatch() }   // the transform reuses its output buffer
    }
}

/// Replaces each line break that is not part of a blank line by a space, in place, and each lone CR
/// (a line end only in classic Mac files, already turned into LF there): ICU's sentence rules end a
/// sentence at any CR (QA round 12: "abc\rdef" gave `abc </s>` under sentence, `abc def` under line).
/// A break at the very end stays unless `final`: the next piece may start a blank line.
func joinWrappedLines(_ text: inout [UInt8], final: Bool) {
    let n = final ? text.count : text.count - 1
    var i = 0
    while i < n {
        if text[i] == 0x0D && (i + 1 == text.count || text[i + 1] != 0x0A) {
            text[i] = 0x20
        } else if text[i] == 0x0A {
            let prevNL = i > 0 && (text[i - 1] == 0x0A || (text[i - 1] == 0x0D && i > 1 && text[i - 2] == 0x0A))
            let nextNL = i + 1 < text.count && (text[i + 1] == 0x0A || (text[i + 1] == 0x0D && i + 2 < text.count && text[i + 2] == 0x0A))
            if !prevNL && !nextNL {
                text[i] = 0x20
                if i > 0 && text[i - 1] == 0x0D { text[i - 1] = 0x20 }
            }
        }
        i += 1
    }
}

/// Fixed-size scratch for `TokenInterner.internBatch`: tokens (pointers into text that is still
/// alive) and the positions of sequence ends among them (reused, never reallocated).
final class TokenBatch {
    static let capacity = 256
    let pointers = UnsafeMutablePointer<UnsafePointer<UInt8>>.allocate(capacity: capacity)
    let lengths = UnsafeMutablePointer<Int32>.allocate(capacity: capacity)
    let hashes = UnsafeMutablePointer<UInt64>.allocate(capacity: capacity)
    let ids = UnsafeMutablePointer<UInt32>.allocate(capacity: capacity)
    /// A sequence ends after the first `ends[e]` tokens of the batch.
    let ends = UnsafeMutablePointer<Int32>.allocate(capacity: capacity)
    private(set) var count = 0
    private(set) var endCount = 0

    var isFull: Bool { count == Self.capacity }
    var endsFull: Bool { endCount == Self.capacity }
    var hasEnds: Bool { endCount > 0 }
    func append(_ start: UnsafePointer<UInt8>, _ length: Int) {
        pointers[count] = start; lengths[count] = Int32(truncatingIfNeeded: length); count += 1
    }
    func endSequence() { ends[endCount] = Int32(truncatingIfNeeded: count); endCount += 1 }
    func removeAll() { count = 0; endCount = 0 }

    deinit { pointers.deallocate(); lengths.deallocate(); hashes.deallocate(); ids.deallocate(); ends.deallocate() }
}
