/// Decides how to read an input from its first (decompressed) bytes and its name.
enum FormatSniffer {
    static func sniff(_ head: UnsafeBufferPointer<UInt8>, path: String) -> IngestOptions.Format {
        let b = Array(head.prefix(512))
        if b.starts(with: [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]) { return .npy }  // \x93NUMPY
        var name = path.lowercased()
        for ext in [".gz", ".bz2"] where name.hasSuffix(ext) { name.removeLast(ext.count) }
        if name.hasSuffix(".bin") { return .u16 }
        if b.starts(with: [0xFF, 0xFE, 0x3C, 0x00]) || b.starts(with: [0xFE, 0xFF, 0x00, 0x3C]) { return .xml }
        var i = b.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        while i < b.count, isASCIIWhitespace(b[i]) { i += 1 }
        if i + 1 < b.count, b[i] == UInt8(ascii: "<") {
            let c = b[i + 1]
            if c == UInt8(ascii: "?") || c == UInt8(ascii: "!") || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) {
                if name.hasSuffix(".xml") || c == UInt8(ascii: "?") || name.hasSuffix(".tei") || name.hasSuffix(".osis")
                    || name.hasSuffix(".docbook") || name.hasSuffix(".page") || rootElement(b) != nil {
                    return .xml
                }
            }
        }
        if name.hasSuffix(".xml") { return .xml }
        return .text
    }

    /// The local name of the first element in the head of an XML document (UTF-8 or ASCII-compatible).
    static func rootElement(_ b: [UInt8]) -> String? {
        var i = 0
        while i + 1 < b.count {
            if b[i] == UInt8(ascii: "<") {
                let c = b[i + 1]
                if c == UInt8(ascii: "?") || c == UInt8(ascii: "!") { i += 2; continue }
                var j = i + 1
                while j < b.count, !isASCIIWhitespace(b[j]), b[j] != UInt8(ascii: ">"), b[j] != UInt8(ascii: "/") { j += 1 }
                guard j < b.count else { return nil }
                var name = String(decoding: b[(i + 1)..<j], as: UTF8.self)
                if let colon = name.lastIndex(of: ":") { name = String(name[name.index(after: colon)...]) }
                return name.isEmpty ? nil : name
            }
            i += 1
        }
        return nil
    }

    /// The element selection preset implied by a root element name.
    static func preset(forRoot root: String) -> IngestOptions.XMLPreset? {
        switch root.lowercased() {
        case "mediawiki": return .mediawiki
        case "tei", "tei.2", "teicorpus": return .tei
        case "osis": return .osis
        case "book", "article", "chapter", "set", "part", "section", "refentry": return .docbook
        default: return nil
        }
    }
}
