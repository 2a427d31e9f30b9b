import NTPFormats

/// Why one input gave no token, and what to do about it.
struct Blank {
    var reason: String
    var remedy: String

    /// Text (or XML that is blank): `bytes` read in all, `bom` when they start with a UTF-8 byte order mark.
    static func text(bytes: Int64, bom: Bool, path: String, dropPunctuation: Bool) -> Blank {
        let remedy = path == "-" ? "pipe text into ntpsep, or name files instead of -" : "give a file with text, or leave it out"
        if bytes == 0 { return Blank(reason: path == "-" ? "nothing came in (0 bytes)" : "the file is empty (0 bytes)", remedy: remedy) }
        if bom && bytes == 3 { return Blank(reason: "it holds only a UTF-8 byte order mark", remedy: remedy) }
        let what = dropPunctuation ? "white space and punctuation (--drop-punctuation drops punctuation)" : "white space"
        return Blank(reason: "it holds no words, only \(what) (\(bytes) bytes)", remedy: remedy)
    }

    /// XML whose selected elements are missing or hold no text.
    static func xml(_ extractor: XMLTextExtractor) -> Blank {
        let wanted = extractor.selection.include
        let named = wanted.map { "<\($0)>" }.joined(separator: " or ")
        let found = extractor.selectedElementCount
        guard found == 0 else {
            let skipped = extractor.undefinedEntityCount
            let elements = "its \(counted(found, "\(named) element")) \(found == 1 ? "holds" : "hold") no text"
            if skipped > 0 {
                return Blank(reason: "\(elements) once \(counted(skipped, "undefined entity reference")) (e.g. &\(extractor.firstUndefinedEntity ?? "?");) \(skipped == 1 ? "is" : "are") skipped",
                             remedy: "define those entities in the file's DOCTYPE, or leave the file out")
            }
            return Blank(reason: elements,
                         remedy: "name the elements that hold the text with --xml-element NAME, or leave the file out")
        }
        let seen = extractor.elementsSeen
        let reason = "no \(named) element in the XML (elements seen: \(seen.isEmpty ? "none" : seen.joined(separator: ", ")))"
        if let other = seen.first(where: { s in wanted.contains { $0 != s && $0.lowercased() == s.lowercased() } }) {
            return Blank(reason: reason, remedy: "element names are case-sensitive: use --xml-element \(other)")
        }
        return Blank(reason: reason, remedy: "name the elements that hold the text with --xml-element NAME")
    }

    /// A token id stream that held `ids` ids (all of them separators when there are some).
    static func ids(_ ids: Int64, npy: Bool, separator: Int?) -> Blank {
        if ids > 0, let separator {
            return Blank(reason: "it holds only the separator id \(separator) (--separator-id)", remedy: "check --separator-id, or leave the file out")
        }
        return Blank(reason: npy ? "its array is empty (shape (0,))" : "the file is empty (0 bytes)", remedy: "give a file with token ids, or leave it out")
    }
}

/// The inputs that gave no token, for the error when none of them gave one.
struct TokenlessInputs {
    private(set) var count = 0
    private var first: (name: String, why: Blank)?

    mutating func add(_ path: String, _ why: Blank) {
        count += 1
        if first == nil { first = (path == "-" ? "standard input" : path, why) }
    }

    /// The one-line error when none of `inputCount` inputs gave a token; nil when some did.
    func error(inputCount: Int) -> CorpusError? {
        guard let first, count == inputCount, inputCount > 0 else { return nil }
        if inputCount == 1 { return .input(first.name, "no tokens: \(first.why.reason); \(first.why.remedy)") }
        return .empty("no tokens in any of the \(inputCount) inputs; the first, \(first.name): \(first.why.reason); \(first.why.remedy)")
    }
}
