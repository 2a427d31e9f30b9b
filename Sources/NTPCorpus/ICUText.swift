import CICU

/// An ICU call failed (for example an unknown break-iterator locale or missing ICU data).
public struct ICUError: Error, CustomStringConvertible {
    /// What was being done, e.g. "opening a word break iterator for locale 'xx'".
    public let operation: String
    /// ICU's `UErrorCode` value.
    public let status: Int32

    /// One line: what failed, ICU's error name, what to do.
    public var description: String {
        "ICU error while \(operation): \(String(cString: cicu_error_name(status))) (check that libicu72 and its data are installed)"
    }
}

/// Owns one C break iterator plus a reusable range buffer. A class so that `deinit` closes it;
/// the public structs copy it on write (`isKnownUniquelyReferenced`), so copies never share
/// iteration state.
final class ICUBreakerBox {
    let handle: OpaquePointer
    /// Pairs (start, end) written by `cicu_breaker_next_segments`.
    let ranges: UnsafeMutablePointer<Int64>
    static let batch: Int32 = 512

    init(kind: Int32, locale: String) throws {
        var status: Int32 = 0
        guard let h = cicu_breaker_open(kind, locale, &status) else {
            let what = kind == Int32(CICU_BREAK_WORD) ? "word" : "sentence"
            throw ICUError(operation: "opening a \(what) break iterator for locale '\(locale)'", status: status)
        }
        handle = h
        ranges = .allocate(capacity: 2 * Int(Self.batch))
    }

    private init(handle: OpaquePointer) {
        self.handle = handle
        ranges = .allocate(capacity: 2 * Int(Self.batch))
    }

    func copy() -> ICUBreakerBox {
        var status: Int32 = 0
        guard let h = cicu_breaker_clone(handle, &status) else {
            fatalError("ICU: cannot clone a break iterator (\(String(cString: cicu_error_name(status))))")
        }
        return ICUBreakerBox(handle: h)
    }

    /// Emits the UTF-8 byte ranges of the segments of `text` that pass `filter`.
    @inline(__always)
    func forEachSegment(in text: UnsafeBufferPointer<UInt8>, filter: Int32, _ emit: (Range<Int>) -> Void) {
        // ICU break iterators use 32-bit offsets; callers feed records/lines, not whole corpora.
        precondition(text.count <= Int(Int32.max), "ICU segmentation needs pieces below 2 GiB; split the text first")
        var status: Int32 = 0
        cicu_breaker_set_utf8(handle, text.baseAddress, Int64(text.count), &status)
        precondition(status <= 0, "ICU: cannot set text (\(String(cString: cicu_error_name(status))))")
        while true {
            let n = Int(cicu_breaker_next_segments(handle, filter, ranges, Self.batch))
            if n == 0 { break }
            for i in 0..<n {
                emit(Int(ranges[2 * i])..<Int(ranges[2 * i + 1]))
            }
        }
        // The iterator keeps a pointer to `text`, valid only during this call: forget it.
        cicu_breaker_set_utf8(handle, nil, 0, &status)
    }

    deinit {
        cicu_breaker_close(handle)
        ranges.deallocate()
    }
}

/// ICU word segmentation (UAX #29 plus ICU's dictionaries for Chinese, Japanese, Thai, ...)
/// over UTF-8, without a UTF-16 copy (ICU reads the UTF-8 through a `UText`).
///
/// Speed: ICU alone does ≈ 50–60 MB/s on English. An exact ASCII fast path handles
/// whitespace-delimited pieces of letters, digits and punctuation (`earth.`, `(really?)`,
/// `don't`, `1,000.50`, `e.g.`) by ICU's rules for those characters; everything else (`@`, `_`,
/// non-ASCII, pieces of 64 bytes or more) goes to ICU. Result: ≈ 340 MB/s of segmentation on
/// English text, identical ranges (differential tests, exhaustive up to 4 characters). The fast
/// path encodes the root rules: a locale whose word rules differ (ICU 72: `sv`, `fi`,
/// `en_US_POSIX`, which cut `C:a` and `Mr.Smith` otherwise) sends all its text to ICU.
public struct ICUWordTokenizer {
    /// Whether punctuation, symbols and emoji are tokens (word-like tokens always are).
    public let keepPunctuation: Bool
    /// ICU locale of the break rules ("" = root rules, fine for almost every language).
    public let locale: String
    private var box: ICUBreakerBox
    /// Testing only: false sends everything to ICU (the fast path must give identical ranges).
    var useFastPath = true
    /// Whether the ASCII fast path can apply: the locale's word rules are the root rules
    /// (compared when the iterator is opened).
    var fastPathApplies: Bool { cicu_breaker_has_fast_path(box.handle) != 0 }

    /// Opens an ICU word break iterator. Throws `ICUError` if ICU cannot (unknown locale data).
    public init(keepPunctuation: Bool = true, locale: String = "") throws {
        self.keepPunctuation = keepPunctuation
        self.locale = locale
        box = try ICUBreakerBox(kind: Int32(CICU_BREAK_WORD), locale: locale)
    }

    /// Calls `emit` with the byte range (in `text`) of every token, in order. Whitespace is never
    /// a token, nor are control and format characters (BOM, ZWSP, backspace): they are trimmed off
    /// both ends of ICU's segments, and what is left is a token (a mark or a ZWJ emoji that ICU
    /// glued to the space before it). Segments made only of punctuation and symbols (P*, S*,
    /// emoji, with their marks) are emitted only when `keepPunctuation`, unless ICU's rule status
    /// is word-like (>= 100); every other segment (words, numbers such as `²` or `½`, private-use
    /// characters, `々`, a lone mark) always is.
    /// `text` is valid UTF-8 (the caller validated it) and shorter than 2 GiB.
    public mutating func forEachToken(in text: UnsafeBufferPointer<UInt8>, _ emit: (Range<Int>) -> Void) {
        if !isKnownUniquelyReferenced(&box) { box = box.copy() }
        box.forEachSegment(in: text,
                           filter: Int32(keepPunctuation ? CICU_FILTER_NO_SPACE : CICU_FILTER_WORDS)
                               | (useFastPath ? 0 : Int32(CICU_FILTER_NO_FAST_PATH)),
                           emit)
    }
}

/// ICU sentence segmentation (UAX #29 sentence boundaries) over UTF-8.
public struct ICUSentenceSplitter {
    /// ICU locale of the break rules ("" = root).
    public let locale: String
    private var box: ICUBreakerBox

    /// Opens an ICU sentence break iterator. Throws `ICUError` if ICU cannot.
    public init(locale: String = "") throws {
        self.locale = locale
        box = try ICUBreakerBox(kind: Int32(CICU_BREAK_SENTENCE), locale: locale)
    }

    /// Calls `emit` with the byte range (in `text`) of every sentence, in order, with leading and
    /// trailing whitespace (and control/format characters) trimmed; blank stretches emit nothing.
    /// `text` is valid UTF-8 and shorter than 2 GiB.
    public mutating func forEachSentence(in text: UnsafeBufferPointer<UInt8>, _ emit: (Range<Int>) -> Void) {
        if !isKnownUniquelyReferenced(&box) { box = box.copy() }
        box.forEachSegment(in: text, filter: Int32(CICU_FILTER_TRIM), emit)
    }
}

/// Unicode normalization forms offered by `TextTransform`.
public enum UnicodeNormalization {
    /// Canonical composition (NFC): same text, canonical byte form.
    case nfc
    /// Compatibility composition (NFKC): also folds ligatures, full-width forms, superscripts.
    case nfkc
}

/// Owns the C transform (its reusable UTF-16/UTF-8 buffers).
final class ICUTransformBox {
    let handle: OpaquePointer
    let normalization: Int32
    let caseFold: Bool

    init(normalization: Int32, caseFold: Bool) throws {
        var status: Int32 = 0
        guard let h = cicu_transform_open(normalization, caseFold ? 1 : 0, &status) else {
            throw ICUError(operation: "opening a normalizer", status: status)
        }
        handle = h
        self.normalization = normalization
        self.caseFold = caseFold
    }

    func copy() -> ICUTransformBox {
        do { return try ICUTransformBox(normalization: normalization, caseFold: caseFold) }
        catch { fatalError("\(error)") }
    }

    deinit { cicu_transform_close(handle) }
}

/// Unicode normalization and/or full case folding of UTF-8 text, through ICU.
///
/// Pure-ASCII input takes a fast path (ASCII is already NFC/NFKC; folding it is lowercasing).
/// NFKC with case folding uses ICU's NFKC_Casefold, which is closed under both operations and
/// also removes default-ignorable characters (ZWSP, soft hyphen, ...). NFC with case folding
/// folds first, then composes. Folding is full (`Straße` → `strasse`), locale-independent.
public struct TextTransform {
    /// The normalization applied, if any.
    public let normalization: UnicodeNormalization?
    /// Whether full Unicode case folding is applied.
    public let caseFold: Bool
    private var box: ICUTransformBox?

    /// Prepares ICU's normalizer. Throws `ICUError` if ICU's data cannot be loaded.
    public init(normalization: UnicodeNormalization?, caseFold: Bool) throws {
        self.normalization = normalization
        self.caseFold = caseFold
        let norm: Int32
        switch normalization {
        case nil: norm = Int32(CICU_NORM_NONE)
        case .nfc?: norm = Int32(CICU_NORM_NFC)
        case .nfkc?: norm = Int32(CICU_NORM_NFKC)
        }
        box = (normalization == nil && !caseFold) ? nil : try ICUTransformBox(normalization: norm, caseFold: caseFold)
    }

    /// True when `apply` returns its input unchanged (no normalization, no folding).
    public var isIdentity: Bool { box == nil }

    /// Returns the transformed text. If `isIdentity`, that is `text` itself; otherwise the buffer
    /// is internal storage that stays valid until the next call (reused: no per-call allocation
    /// once warm). Invalid UTF-8 becomes U+FFFD. `text` must be shorter than 1 GiB.
    public mutating func apply(_ text: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        guard box != nil else { return text }
        if !isKnownUniquelyReferenced(&box) { box = box!.copy() }
        var out: UnsafePointer<UInt8>? = nil
        var status: Int32 = 0
        let n = cicu_transform_apply(box!.handle, text.baseAddress, Int64(text.count), &out, &status)
        precondition(n >= 0, "ICU normalization failed: \(String(cString: cicu_error_name(status)))")
        return UnsafeBufferPointer(start: out, count: Int(n))
    }
}
