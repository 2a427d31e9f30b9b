import ArgumentParser
import NTPCorpus
import NTPFormats

/// The options that decide how a corpus becomes a data set (shared by ingest, stats, analyze).
struct IngestArguments: ParsableArguments {
    @Option(help: "Context order N: contexts are the previous N−1 tokens.")
    var order: Int = 3

    @Option(help: "Input format: auto, text, xml, u16, u32 (raw little-endian token ids, e.g. nanoGPT's train.bin), npy.")
    var format: String = "auto"

    @Option(help: "Tokenizer: icu (ICU word boundaries, any language) or whitespace (pre-tokenized text).")
    var tokenizer: String = "icu"

    @Option(help: "Sequence boundaries: auto (line for text/XML, document or none for id streams), line, sentence, document, none.")
    var boundary: String = "auto"

    @Flag(help: "Drop punctuation and symbol tokens (ICU tokenizer).")
    var dropPunctuation = false

    @Option(help: "Unicode normalization before tokenizing: none, nfc, nfkc.")
    var normalize: String = "none"

    @Flag(help: "Apply Unicode full case folding.")
    var caseFold = false

    @Option(help: "Keep the K most frequent tokens; map the others to <unk>.")
    var maxVocab: Int?

    @Option(help: "Map tokens seen fewer than C times to <unk>.")
    var minCount: Int = 1

    @Option(name: .customLong("xml-element"), help: "Read the text of XML elements with this local name (repeatable; overrides the preset).")
    var xmlElements: [String] = []

    @Option(help: "XML element preset: auto (from the root element), mediawiki, tei, osis, docbook.")
    var xmlPreset: String = "auto"

    @Option(help: "Document separator id in token id streams (e.g. 50256 for GPT-2).")
    var separatorId: Int?

    @Option(help: "ICU locale for word and sentence rules (default: root).")
    var locale: String = ""

    @Flag(inversion: .prefixedNo, help: "Show a progress bar on stderr (default: only when stderr is a terminal).")
    var progress: Bool?

    /// The options as the corpus library takes them; bad values give one-line errors.
    func ingestOptions() throws -> IngestOptions {
        var o = IngestOptions()
        o.order = order
        o.format = try choice(format, "--format")
        o.tokenizer = try choice(tokenizer, "--tokenizer")
        o.boundary = try choice(boundary, "--boundary")
        o.keepPunctuation = !dropPunctuation
        o.normalization = try choice(normalize, "--normalize")
        o.caseFold = caseFold
        o.maxVocabulary = maxVocab
        o.minCount = minCount
        o.xmlElements = xmlElements
        o.xmlPreset = try choice(xmlPreset, "--xml-preset")
        o.separatorID = separatorId
        o.locale = locale
        try o.validate()
        return o
    }

    /// Ingests `inputs` with these options.
    func ingest(_ inputs: [String]) throws -> DataSet {
        Allocator.keepLargeBlocks()
        let ingestor = try Ingestor(options: try ingestOptions())
        ingestor.progress = ProgressReporter(enabled: progress)
        try ingestor.ingest(inputs)
        return try ingestor.makeDataSet()
    }
}

/// Parses a raw-value enum option with a one-line error listing the choices.
func choice<T: RawRepresentable & CaseIterable>(_ value: String, _ option: String) throws -> T where T.RawValue == String {
    guard let v = T(rawValue: value) else {
        throw CLIError("\(option) \(value) is not one of: \(T.allCases.map(\.rawValue).joined(separator: ", "))")
    }
    return v
}

/// A one-line error for the command line.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}
