import CICU
/// Everything that decides how a corpus becomes a data set. Part of every output's `options`.
public struct IngestOptions: Equatable, Sendable {
    /// How the input bytes are read.
    public enum Format: String, CaseIterable, Sendable {
        case auto, text, xml, u16, u32, npy
    }
    /// Which tokenizer splits text.
    public enum Tokenizer: String, CaseIterable, Sendable { case icu, whitespace }
    /// Where sequences start and end.
    public enum Boundary: String, CaseIterable, Sendable {
        /// The default: `line` for text and XML, `document` for id streams with a separator, else `none`.
        case auto
        case line, sentence, document, none
    }
    /// Unicode normalization applied before tokenization.
    public enum Normalization: String, CaseIterable, Sendable { case none, nfc, nfkc }
    /// XML element presets.
    public enum XMLPreset: String, CaseIterable, Sendable { case auto, mediawiki, tei, osis, docbook }

    /// N: contexts are the previous N − 1 tokens.
    public var order = 3
    public var format = Format.auto
    public var tokenizer = Tokenizer.icu
    public var boundary = Boundary.auto
    /// Keep punctuation and symbols as tokens (ICU tokenizer).
    public var keepPunctuation = true
    public var normalization = Normalization.none
    public var caseFold = false
    /// Keep at most this many most frequent tokens; others become `<unk>`.
    public var maxVocabulary: Int? = nil
    /// Tokens seen fewer times become `<unk>`.
    public var minCount = 1
    /// Local names of XML elements whose text is read (overrides the preset).
    public var xmlElements: [String] = []
    public var xmlPreset = XMLPreset.auto
    /// Document separator id in token id streams (e.g. GPT-2's 50256).
    public var separatorID: Int? = nil
    /// ICU locale for word and sentence rules ("" = root).
    public var locale = ""

    public init() {}

    /// Checks option values; throws `CorpusError.option` with a one-line explanation.
    public func validate() throws {
        guard order >= 1 else {
            throw CorpusError.option("--order must be at least 1 (got \(order)): order N uses the previous N−1 tokens as context")
        }
        guard order <= 64 else { throw CorpusError.option("--order \(order) is too large (at most 64)") }
        guard minCount >= 1 else { throw CorpusError.option("--min-count must be at least 1 (got \(minCount))") }
        if let k = maxVocabulary, k < 1 { throw CorpusError.option("--max-vocab must be at least 1 (got \(k))") }
        for name in xmlElements {
            if name.isEmpty { throw CorpusError.option("--xml-element needs an element name (got an empty one), e.g. --xml-element p") }
            if let colon = name.lastIndex(of: ":") {
                let local = name[name.index(after: colon)...]
                throw CorpusError.option("--xml-element \(name): elements match by their local name, in any namespace; use --xml-element \(local.isEmpty ? "NAME" : String(local))")
            }
        }
        if let s = separatorID, s < 0 { throw CorpusError.option("--separator-id must be non-negative (got \(s))") }
        // Whitespace tokens are taken as they stand: the flag would be ignored (QA round 8).
        if !keepPunctuation && tokenizer == .whitespace {
            throw CorpusError.option("--drop-punctuation needs --tokenizer icu (whitespace tokens are taken as they stand); drop it, or tokenize with ICU")
        }
        // A locale ID is letters, digits and _ - @ = ; only (QA round 8: "../../etc" was taken as the root).
        guard locale.unicodeScalars.allSatisfy({ ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) || "_-@=;".unicodeScalars.contains($0) }),
              cicu_locale_is_known(locale) != 0 else {
            throw CorpusError.option("--locale '\(locale)': ICU has no data for this language (give an ICU locale such as en, de_CH or ja, or omit it for the root rules)")
        }
    }

    /// The options as a JSON object text with sorted keys (stored in the data set).
    public func jsonObject(inputs: [String]) -> String {
        var fields: [(String, String)] = [
            ("boundary", quoted(boundary.rawValue)),
            ("case_fold", caseFold ? "true" : "false"),
            ("format", quoted(format.rawValue)),
            ("inputs", "[" + inputs.map(quoted).joined(separator: ",") + "]"),
            ("keep_punctuation", keepPunctuation ? "true" : "false"),
            ("locale", quoted(locale)),
            ("max_vocab", maxVocabulary.map(String.init) ?? "null"),
            ("min_count", String(minCount)),
            ("normalization", quoted(normalization.rawValue)),
            ("order", String(order)),
            ("separator_id", separatorID.map(String.init) ?? "null"),
            ("tokenizer", quoted(tokenizer.rawValue)),
            ("xml_elements", "[" + xmlElements.map(quoted).joined(separator: ",") + "]"),
            ("xml_preset", quoted(xmlPreset.rawValue)),
        ]
        fields.sort { $0.0 < $1.0 }
        return "{" + fields.map { "\(quoted($0.0)):\($0.1)" }.joined(separator: ",") + "}"
    }
}

/// A JSON string literal.
public func quoted(_ s: String) -> String {
    var out = "\""
    for u in s.unicodeScalars {
        switch u {
        case "\"", "\\": out += "\\" + String(u)
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case _ where u.value < 0x20:
            let hex = String(u.value, radix: 16)
            out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        default: out.unicodeScalars.append(u)
        }
    }
    return out + "\""
}
