import ArgumentParser
import NTPCorpus
import NTPFormats
import NTPReport

extension IngestOptions.Format: ExpressibleByArgument {}
extension IngestOptions.Tokenizer: ExpressibleByArgument {}
extension IngestOptions.Boundary: ExpressibleByArgument {}
extension IngestOptions.Normalization: ExpressibleByArgument {}
extension IngestOptions.XMLPreset: ExpressibleByArgument {}

/// The options that decide how a corpus becomes a data set (shared by ingest, stats, analyze).
struct IngestArguments: ParsableArguments {
    /// nil when not given (IngestOptions' 3), so that `stats --orders` can tell an explicit order.
    @Option(help: "Context order N: contexts are the previous N−1 tokens (default: 3).")
    var order: Int?

    @Option(help: "Input format (u16, u32: raw little-endian token ids, e.g. nanoGPT's train.bin).")
    var format: IngestOptions.Format = .auto

    @Option(help: "Tokenizer: icu (ICU word boundaries, any language) or whitespace (pre-tokenized text).")
    var tokenizer: IngestOptions.Tokenizer = .icu

    @Option(help: "Sequence boundaries (auto: line for text/XML, document or none for id streams; document makes each XML record one sequence, for pretty-printed XML).")
    var boundary: IngestOptions.Boundary = .auto

    @Flag(help: "Drop punctuation and symbol tokens (ICU tokenizer).")
    var dropPunctuation = false

    @Option(help: "Unicode normalization before tokenizing.")
    var normalize: IngestOptions.Normalization = .none

    @Flag(help: "Apply Unicode full case folding.")
    var caseFold = false

    @Option(help: "Keep the K most frequent tokens; map the others to <unk>.")
    var maxVocab: Int?

    @Option(help: "Map tokens seen fewer than C times to <unk>.")
    var minCount: Int = 1

    @Option(name: .customLong("xml-element"), help: "Read the text of XML elements with this local name (repeatable; overrides the preset).")
    var xmlElements: [String] = []

    @Option(help: "XML element preset (auto: from the root element).")
    var xmlPreset: IngestOptions.XMLPreset = .auto

    @Option(help: "Document separator id in token id streams (e.g. 50256 for GPT-2).")
    var separatorId: Int?

    @Option(help: "ICU locale for word and sentence rules (default: root).")
    var locale: String = ""

    @Flag(inversion: .prefixedNo, help: "Show a progress bar on stderr (default: only when stderr is a terminal).")
    var progress: Bool?

    /// The options as the corpus library takes them; bad values give one-line errors.
    func ingestOptions() throws -> IngestOptions {
        var o = IngestOptions()
        o.order = order ?? o.order
        o.format = format
        o.tokenizer = tokenizer
        o.boundary = boundary
        o.keepPunctuation = !dropPunctuation
        o.normalization = normalize
        o.caseFold = caseFold
        o.maxVocabulary = maxVocab
        o.minCount = minCount
        o.xmlElements = xmlElements
        o.xmlPreset = xmlPreset
        o.separatorID = separatorId
        o.locale = locale
        try o.validate()
        return o
    }
}
