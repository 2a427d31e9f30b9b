/// Decides how to read an input from its first (decompressed) bytes and its name.
enum FormatSniffer {
    static func sniff(_ head: UnsafeBufferPointer<UInt8>, path: String) -> IngestOptions.Format {
        let b = Array(head.prefix(512))
        if b.starts(with: [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]) { return .npy }  // \x93NUMPY
        var name = path.lowercased()
        for ext in [".gz", ".bz2"] where name.hasSuffix(ext) { name.removeLast(ext.count) }
        if name.hasSuffix(".bin") { return .u16 }
        if b.starts(with: [0xFF, 0xFE, 0x3C, 0x00]) || b.starts(with: [0xFE, 0xFF, 0x00, 0x3C]) { return .xml }
        if [".xml", ".tei", ".osis", ".docbook", ".page"].contains(where: name.hasSuffix) { return .xml }
        // Only markup that text never starts with: pre-tokenized text may start with `<s>` or `<unk>`
        // (QA round 9: `<s> hello world </s>` in a .txt was refused as XML with root <s>).
        guard let i = markupStart(b) else { return .text }
        if b[i...].starts(with: Array("<?".utf8)) || b[i...].starts(with: Array("<!DOCTYPE".utf8))
            || rootElement(b).flatMap(preset(forRoot:)) != nil {
            return .xml
        }
        return .text
    }

    /// The first start tag's name when `auto` reads a file as text although it starts with one
    /// (an unknown root such as WikiExtractor's `<doc>`), for a note; nil for the special tokens
    /// `<s>`, `</s>`, `<unk>` and for text that starts otherwise.
    static func tagStartingText(_ head: UnsafeBufferPointer<UInt8>) -> String? {
        let b = Array(head.prefix(512))
        guard let first = markupStart(b), first + 1 < b.count,
              (0x41...0x5A).contains(b[first + 1] & 0xDF), let root = rootElement(Array(b[first...])),
              !["s", "unk"].contains(root) else { return nil }
        return root
    }

    /// Where the first '<' is when the bytes start with one after a UTF-8 byte order mark and white
    /// space; nil when they start otherwise.
    private static func markupStart(_ b: [UInt8]) -> Int? {
        var i = b.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        while i < b.count, isASCIIWhitespace(b[i]) { i += 1 }
        return i < b.count && b[i] == UInt8(ascii: "<") ? i : nil
    }

    /// What an input is when its first bytes show a file that is no corpus text or token stream
    /// (an image, an archive, an unsupported compression, a .npy read as raw ids), as the error
    /// says it, with what to do; nil otherwise.
    static func notACorpus(_ head: UnsafeBufferPointer<UInt8>, path: String, format: IngestOptions.Format) -> String? {
        let isNPY = head.starts(with: [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59])
        if (format == .u16 || format == .u32) && isNPY {
            return "a .npy file read as raw --format \(format.rawValue) ids would count its header as ids; use --format npy (or auto)"
        }
        guard format == .text || format == .auto || format == .xml else { return nil }
        if head.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return "a PNG image, not text; leave it out of the inputs" }
        // QA round 11: "byte 456: NUL byte: this looks like a binary file".
        if head.starts(with: Array((CountPartHeader.magic + "\n").utf8)) {
            return "a count part from `ingest --shard`, not a corpus: merge the parts into a data set first (ntpsep merge PART... -o DATA.npz)"
        }
        if head.starts(with: [0x50, 0x4B, 0x03, 0x04]) || head.starts(with: [0x50, 0x4B, 0x05, 0x06]) {
            return path.lowercased().hasSuffix(".npz") ? "an .npz archive, not a corpus: give a data set to stats, check or sweep, and token ids as a .npy file (np.save('ids.npy', ids))"
                : "a zip archive; unpack it (unzip) and give its files or their folder"
        }
        if head.starts(with: [0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00]) { return "xz-compressed; decompress it first (xz -d): gzip and bzip2 are read directly" }
        if head.starts(with: [0x28, 0xB5, 0x2F, 0xFD]) { return "zstd-compressed; decompress it first (zstd -d): gzip and bzip2 are read directly" }
        // `head` is after one layer of gzip/bzip2 is undone: what is still compressed was compressed twice
        // (QA round 8: "byte 1: invalid UTF-8 (byte 0x8B)" for a .gz of a .gz).
        if head.starts(with: [0x1F, 0x8B]) { return "gzip-compressed twice (its content is gzip data again); decompress it once (gunzip) and read the result" }
        // "BZh1"…"BZh9" and then a block's or the stream end's 48-bit magic: text never starts so.
        if head.count >= 10, head.starts(with: [0x42, 0x5A, 0x68]), (0x31...0x39).contains(head[3]),
           [[0x31, 0x41, 0x59, 0x26, 0x53, 0x59], [0x17, 0x72, 0x45, 0x38, 0x50, 0x90]].contains(Array(head[4..<10])) {
            return "bzip2-compressed twice (its content is bzip2 data again); decompress it once (bunzip2) and read the result"
        }
        return nil
    }

    /// The local name of the root element, from the DOCTYPE or the first start tag, skipping
    /// comments and processing instructions (UTF-8 or another ASCII-compatible encoding).
    static func rootElement(_ b: [UInt8]) -> String? {
        func starts(_ i: Int, _ s: String) -> Bool { b[i...].starts(with: Array(s.utf8)) }
        func find(_ s: String, from i: Int) -> Int? {
            let pattern = Array(s.utf8)
            var j = i
            while j + pattern.count <= b.count { if b[j..<(j + pattern.count)].elementsEqual(pattern) { return j }; j += 1 }
            return nil
        }
        func name(from start: Int) -> String? {
            var j = start
            while j < b.count, !isASCIIWhitespace(b[j]), b[j] != UInt8(ascii: ">"), b[j] != UInt8(ascii: "/"), b[j] != UInt8(ascii: "[") { j += 1 }
            guard j < b.count, j > start else { return nil }
            var n = String(decoding: b[start..<j], as: UTF8.self)
            if let colon = n.lastIndex(of: ":") { n = String(n[n.index(after: colon)...]) }
            return n.isEmpty ? nil : n
        }
        var i = 0
        while i + 1 < b.count {
            guard b[i] == UInt8(ascii: "<") else { i += 1; continue }
            if starts(i, "<!--") { guard let e = find("-->", from: i + 4) else { return nil }; i = e + 3; continue }
            if starts(i, "<?") { guard let e = find("?>", from: i + 2) else { return nil }; i = e + 2; continue }
            if starts(i, "<!DOCTYPE") {
                var j = i + 9
                while j < b.count, isASCIIWhitespace(b[j]) { j += 1 }
                return name(from: j)
            }
            if b[i + 1] == UInt8(ascii: "!") { i += 2; continue }
            return name(from: i + 1)
        }
        return nil
    }

    /// Whether the bytes start with a UTF-16 byte order mark (FF FE or FE FF; also the start of a
    /// UTF-32LE one, which callers test first where it matters).
    static func hasUTF16ByteOrderMark(_ head: UnsafeBufferPointer<UInt8>) -> Bool {
        head.starts(with: [0xFF, 0xFE]) || head.starts(with: [0xFE, 0xFF])
    }

    /// Where a document that cannot be XML shows it: the line and column (1-based, in bytes, as
    /// libxml2 counts them) and the byte of the first character after a UTF-8 byte order mark and
    /// white space when that is not '<'. Nil when it is '<', when the head is blank, or for UTF-16
    /// and UTF-32 (a byte order mark, or NUL first: left to libxml2).
    static func nonMarkupStart(_ head: UnsafeBufferPointer<UInt8>) -> (line: Int, column: Int, byte: UInt8)? {
        if hasUTF16ByteOrderMark(head) { return nil }
        var i = head.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        var line = 1, lineStart = i
        while i < head.count, isASCIIWhitespace(head[i]) {
            if head[i] == UInt8(ascii: "\n") { line += 1; lineStart = i + 1 }
            i += 1
        }
        guard i < head.count, head[i] != UInt8(ascii: "<"), head[i] != 0 else { return nil }
        return (line, i - lineStart + 1, head[i])
    }

    /// The element selection preset implied by a root element name.
    static func preset(forRoot root: String) -> IngestOptions.XMLPreset? {
        switch root.lowercased() {
        case "mediawiki": return .mediawiki
        case "tei", "tei.2", "teicorpus": return .tei
        case "osis": return .osis
        case "book", "article", "chapter", "set", "part", "section", "sect1", "sect2", "sect3", "sect4", "sect5",
             "appendix", "preface", "glossary", "bibliography", "index", "refentry", "reference", "partintro", "simplesect":
            return .docbook
        default: return nil
        }
    }
}
