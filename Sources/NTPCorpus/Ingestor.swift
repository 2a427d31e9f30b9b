import Foundation
import NTPFormats

/// Reads corpora (text, XML, token id streams; plain, gzip or bzip2) into distinct-context counts.
///
/// Memory grows with the number of distinct contexts and (context, token) pairs, not with the
/// input: files are streamed through a fixed 1 MiB buffer.
public final class Ingestor {
    public let options: IngestOptions
    /// Shown while reading, when stderr is a terminal.
    public var progress: ProgressReporter?
    /// One line per input whose data was read but not all counted (undefined XML entities), or
    /// that was read otherwise than it may look (text starting with a tag; counts over the memory
    /// budget), for the caller to show once the input was read without error.
    public internal(set) var notes: [String] = []
    /// `notes` as shown: the first five, then one line counting the rest (a folder of thousands of
    /// files should not print thousands of lines).
    public var shownNotes: [String] {
        notes.count <= 5 ? notes : Array(notes.prefix(5)) + ["… and \(notes.count - 5) more notes like these, one per file"]
    }
    /// Bytes the counts may hold in RAM before sorted runs go to disk (`nil`: no limit, no
    /// spilling). Set before the first input; see `writeDataSet(to:)`.
    public var memoryBudget: Int?
    /// Where spilled runs go (default: the system temp folder).
    public var temporaryParent: String?
    var processor: TextProcessor?
    /// Whether the first input read was token ids: text and ids never share one vocabulary.
    private var readsTokenIDs = false
    var inputs: [String] = []
    /// The folder of spilled runs, once one was needed (see `temporaryFolder()`).
    var spillFolder: SpillFolder?
    private let buffer: UnsafeMutableRawBufferPointer
    private var bytesBefore: Int64 = 0
    /// Raw id -> interned id + 1 (0 = not seen yet) for raw ids below `denseIDLimit`.
    private var idMap: [UInt32] = []
    /// Raw id -> interned id for larger raw ids, so memory follows the distinct ids, not their values.
    private var sparseIDs: [Int: UInt32] = [:]
    /// The inputs that gave no token (for the error when none gave one).
    private var tokenless = TokenlessInputs()
    /// The data set, once built (see `makeDataSet`).
    private var built: DataSet?
    /// Raw ids up to this (16 MiB of table) are looked up in a plain array (GPT-2's 50,257 ids fit).
    static let denseIDLimit = 1 << 22

    public static let chunkSize = 1 << 20

    public init(options: IngestOptions) throws {
        try options.validate()
        self.options = options
        buffer = .allocate(byteCount: Self.chunkSize + 8, alignment: 16)
    }

    deinit {
        buffer.deallocate()
        processor?.sequences.deallocate()
    }

    /// Reads every file named by `inputs` (files, directories, "-").
    public func ingest(_ inputs: [String]) throws {
        let files = try InputFiles.expand(inputs)
        for file in files { try ingestFile(file) }
        notes += InputFiles.repeatNotes(files)
        progress?.finish()
    }

    /// Reads one file or "-" (standard input); with `byteRange`, only those bytes of a plain file.
    public func ingestFile(_ path: String, byteRange: Range<Int64>? = nil) throws {
        precondition(built == nil, "the data set was already built; use a new Ingestor for more input")
        let source = try byteRange.map { try ByteSource(path: path, byteRange: $0) } ?? ByteSource(path: path)
        // A later range reads its line ends as the whole file does (QA round 9: a shard of a file
        // whose first line ends in a lone CR decided again from its own first line, and joined lines).
        let loneCR = (byteRange?.lowerBound ?? 0) > 0 ? try Self.firstLineEndIsLoneCR(path) : nil
        try ingest(source, path: path, loneCR: loneCR, firstByte: byteRange?.lowerBound ?? 0)
    }

    /// Reads `bytes` as the content of a file called `name` (the format is sniffed from both):
    /// the reading path of `ingestFile` without a file, for tests and fuzzing.
    public func ingest(bytes: [UInt8], name: String) throws {
        precondition(built == nil, "the data set was already built; use a new Ingestor for more input")
        try ingest(ByteSource(bytes: bytes, name: name), path: name)
    }

    /// `loneCR`: the line-end mode of text when `source` is not the start of its file (see `LineEnds`);
    /// `firstByte`: where `source` starts in that file, so that messages give offsets in the file.
    private func ingest(_ source: ByteSource, path: String, loneCR: Bool? = nil, firstByte: Int64 = 0) throws {
        let name = path == "-" ? "standard input" : path
        inputs.append(path)
        var filled = try fill(source, from: 0, atLeast: 4096)
        let head = UnsafeBufferPointer(start: buffer.baseAddress!.assumingMemoryBound(to: UInt8.self), count: filled)
        let format = options.format == .auto ? FormatSniffer.sniff(head, path: path) : options.format
        if let what = FormatSniffer.notACorpus(head, path: path, format: format) { throw CorpusError.input(name, what) }
        if options.format == .auto, format == .text, let tag = FormatSniffer.tagStartingText(head) {
            notes.append("\(name): starts with the tag <\(tag)> but is read as text (auto reads XML for <?xml, a DOCTYPE, a known root element or an .xml name); to count its elements' text give --format xml --xml-element NAME")
        }
        try checkXMLOptionsApply(to: format, name: name)
        try makeProcessor(for: format, name: name)
        let tokensBefore = processor!.tokenCount, cutsBefore = processor!.cutRuns
        let blank: Blank
        switch format {
        case .text, .auto: blank = try readText(source, name: name, path: path, filled: &filled, loneCR: loneCR, firstByte: firstByte)
        case .xml: blank = try readXML(source, name: name, path: path, filled: filled)
        case .u16: blank = try readIDs(source, name: name, filled: filled, width: 2, signed: false, dataOffset: 0)
        case .u32: blank = try readIDs(source, name: name, filled: filled, width: 4, signed: false, dataOffset: 0)
        case .npy:
            let header = try NPYStreamHeader.parse(head, name: name)
            blank = try readIDs(source, name: name, filled: filled, width: header.width, signed: header.signed, dataOffset: header.dataOffset,
                                npy: header)
        }
        if processor!.tokenCount == tokensBefore { tokenless.add(path, blank) }
        if processor!.cutRuns > cutsBefore {
            let cuts = processor!.cutRuns - cutsBefore
            notes.append("\(name): \(counted(cuts, "cut")) in text without white space: a unit over \(TextProcessor.maxCarry >> 20) MiB with no ASCII white space is counted in pieces cut at a character, where the read buffers fall (an ICU token can straddle a cut); split such text if its tokens matter")
        }
        bytesBefore += source.compressedBytesRead
    }

    /// The counted data set (vocabulary ordered and contexts sorted, see `DataSetBuilder`).
    /// Call it after all input: building hands the counts over to the data set (memory is freed
    /// as it goes), so the ingestor accepts no more input afterwards; later calls return the
    /// same data set.
    public func makeDataSet() throws -> DataSet {
        if let built { return built }
        guard let p = processor, p.sequences.eventCount > 0 else {
            if let error = tokenless.error(inputCount: inputs.count) { throw error }
            // The boundary as resolved: `auto` is none for token id streams.
            let boundary = processor?.boundary ?? options.boundary
            let names = inputs.isEmpty ? "the input" : inputs.joined(separator: ", ")
            let tokens = processor?.tokenCount ?? 0
            if options.order > 1 && boundary == .none && tokens > 0 {
                // QA round 8: "no tokens found" for a file of 2 tokens read at order 3.
                throw CorpusError.empty("no n-grams in \(names): \(counted(Int(tokens), "token")), and with --boundary none order \(options.order) needs at least \(options.order) (a lower --order, or padding with --boundary line or document)")
            }
            throw CorpusError.empty("no tokens found in \(names)"
                + (options.order > 1 && boundary == .none ? " (with --boundary none, order \(options.order) needs at least \(options.order) tokens)" : ""))
        }
        var resolved = options
        resolved.boundary = p.boundary
        let data = DataSetBuilder.build(interner: p.interner, sequences: p.sequences,
                                        optionsJSON: resolved.jsonObject(inputs: inputs),
                                        maxVocabulary: options.maxVocabulary, minCount: options.minCount)
        built = data
        return data
    }

    // MARK: - Reading

    private func fill(_ source: ByteSource, from start: Int, atLeast: Int) throws -> Int {
        var filled = start
        while filled < min(atLeast, Self.chunkSize) {
            let n = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled..<Self.chunkSize]))
            if n == 0 { break }
            filled += n
        }
        return filled
    }

    /// Text options with token ids, and `--separator-id` with text, would be ignored: they are refused,
    /// naming the first file (QA round 8).
    private func checkOptionsApply(toTokenIDs isIDs: Bool, format: IngestOptions.Format, name: String) throws {
        if !isIDs, options.separatorID != nil {
            throw CorpusError.input(name, "--separator-id splits token id streams, and this file is text; drop it (text is split by --boundary)")
        }
        guard isIDs else { return }
        let textOnly = [(options.caseFold, "--case-fold"), (options.normalization != .none, "--normalize"),
                        (!options.locale.isEmpty, "--locale"), (!options.keepPunctuation, "--drop-punctuation")].filter(\.0).map(\.1)
        if !textOnly.isEmpty {
            throw CorpusError.input(name, "token ids (\(format.rawValue), by content and name) take no text options, and \(textOnly.joined(separator: ", ")) would be ignored; drop \(textOnly.count == 1 ? "it" : "them")")
        }
    }

    private func makeProcessor(for format: IngestOptions.Format, name: String) throws {
        let isIDs = format == .u16 || format == .u32 || format == .npy
        if processor != nil {
            // A folder of text and token ids: the file that does not fit is named (QA round 8: the error
            // named no file, and with --boundary document the ids and words shared one vocabulary).
            if isIDs != readsTokenIDs {
                throw CorpusError.input(name, isIDs ? "token ids (\(format.rawValue), by content and name) after text files: their words and these ids would share one vocabulary; ingest the two kinds of file separately"
                                        : "text after token id files: their ids and these words would share one vocabulary; ingest the two kinds of file separately")
            }
            return
        }
        readsTokenIDs = isIDs
        try checkOptionsApply(toTokenIDs: isIDs, format: format, name: name)
        var boundary = options.boundary
        if boundary == .auto { boundary = isIDs ? (options.separatorID != nil ? .document : .none) : .line }
        if isIDs && (boundary == .line || boundary == .sentence) {
            throw CorpusError.option("--boundary \(boundary.rawValue) needs text input; token id streams use --boundary document (with --separator-id) or none")
        }
        let contextLength = options.order - 1
        // Under a budget the event buffers (three of them) take at most an eighth of it.
        let bufferCapacity = memoryBudget.map { min(NGramRuns.defaultBufferCapacity, max(1 << 16, $0 / 8 / 24)) }
        processor = try TextProcessor(options: options, boundary: boundary, interner: TokenInterner(),
                                      sequences: SequenceCounter(contextLength: contextLength, padded: boundary != .none,
                                                                 runBufferCapacity: bufferCapacity))
        if memoryBudget != nil {
            // Called on the counting worker at the first spill; the reading thread looks at the
            // folder only after waiting for that worker.
            processor!.sequences.packed?.spillFolder = { [unowned self] in try self.temporaryFolder() }
            updateSpillLimit()
        }
    }

    private func report(_ source: ByteSource, _ name: String) {
        updateSpillLimit()
        guard let progress else { return }
        let p = processor!
        progress.update(file: name, bytes: bytesBefore + source.compressedBytesRead,
                        totalBytes: source.compressedSize.map { bytesBefore + $0 },
                        tokens: p.tokenCount, ngrams: p.sequences.distinctCount)
    }

    /// Reads UTF-8 text; returns why it gave no token, in case it gave none. `source` starts at
    /// byte `firstByte` of the file (a `--shard` range), and error offsets count from the file's
    /// start (QA round 11: byte 150000 of a file was "byte 16624" in its shard 2/3).
    private func readText(_ source: ByteSource, name: String, path: String, filled initial: inout Int, loneCR given: Bool?,
                          firstByte: Int64 = 0) throws -> Blank {
        let bytes = buffer.baseAddress!.assumingMemoryBound(to: UInt8.self)
        var filled = initial
        var start = 0
        let head = UnsafeBufferPointer(start: bytes, count: filled)
        if head.starts(with: [0xFF, 0xFE, 0, 0]) || head.starts(with: [0, 0, 0xFE, 0xFF]) {
            let order = bytes[0] == 0 ? "BE" : "LE"
            throw CorpusError.input(name, "UTF-32\(order) text (byte order mark at byte 0); convert it with iconv -f UTF-32 -t UTF-8")
        }
        if FormatSniffer.hasUTF16ByteOrderMark(head) {
            throw CorpusError.input(name, "UTF-16 text (byte order mark at byte 0); convert it with iconv -f UTF-16 -t UTF-8, or read XML with --format xml")
        }
        if let order = Self.utf16WithoutBOM(UnsafeBufferPointer(start: bytes, count: min(filled, 4096))) {
            throw CorpusError.input(name, "looks like UTF-16\(order) text without a byte order mark (every other byte is NUL); convert it with iconv -f UTF-16\(order) -t UTF-8")
        }
        // A byte order mark only at the start of the file: later, EF BB BF is U+FEFF, as in the whole file.
        let bom = firstByte == 0 && filled >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF
        if bom { start = 3 }
        var validator = UTF8Validator(offset: firstByte + Int64(start))
        var loneCR = given   // decided at the first line end (see `LineEnds`)
        while true {
            let chunk = UnsafeBufferPointer(start: bytes + start, count: filled - start)
            let chunkOffset = validator.offset
            let valid: Int
            do { valid = try validator.validate(chunk) } catch let failure as UTF8Validator.Failure {
                throw Self.describe(failure, name)
            }
            if let escape = ISO2022Escape.first(in: UnsafeBufferPointer(rebasing: chunk[0..<valid])) {
                throw CorpusError.content(name, offset: chunkOffset + Int64(escape.index),
                                          "looks like \(escape.encoding) text (escape sequence \(escape.sequence)); convert it with iconv -f \(escape.encoding) -t UTF-8")
            }
            if loneCR == nil { loneCR = LineEnds.firstIsLoneCR(UnsafeBufferPointer(rebasing: chunk[0..<valid])) }
            if loneCR == true { LineEnds.crToLF(UnsafeMutableBufferPointer(start: bytes + start, count: valid)) }
            processor!.feed(UnsafeBufferPointer(rebasing: chunk[0..<valid]))
            let rest = chunk.count - valid
            if rest > 0 { (bytes).update(from: bytes + start + valid, count: rest) }
            report(source, name)
            let n = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[rest..<Self.chunkSize]))
            if n == 0 {
                if rest > 0 { throw CorpusError.content(name, offset: validator.offset, "invalid UTF-8: the file ends inside a multi-byte character; is it truncated?") }
                break
            }
            start = 0
            filled = rest + n
        }
        processor!.endDocument()
        return .text(bytes: validator.offset - firstByte, bom: bom, path: path, dropPunctuation: !options.keepPunctuation)
    }

    /// "LE" or "BE" when the head looks like BOM-less UTF-16 text: at least 8 code units, nearly
    /// all NUL in one byte of each pair and none in the other (ASCII-range text in UTF-16).
    static func utf16WithoutBOM(_ head: UnsafeBufferPointer<UInt8>) -> String? {
        let pairs = head.count / 2
        guard pairs >= 8 else { return nil }
        var evenZeros = 0, oddZeros = 0
        for k in 0..<pairs {
            if head[2 * k] == 0 { evenZeros += 1 }
            if head[2 * k + 1] == 0 { oddZeros += 1 }
        }
        if oddZeros * 10 >= pairs * 9 && evenZeros == 0 { return "LE" }
        if evenZeros * 10 >= pairs * 9 && oddZeros == 0 { return "BE" }
        return nil
    }

    static func describe(_ failure: UTF8Validator.Failure, _ name: String) -> CorpusError {
        switch failure {
        case .invalid(let offset, let byte):
            let hex = String(byte, radix: 16, uppercase: true)
            return .content(name, offset: offset, "invalid UTF-8 (byte 0x\(hex.count == 1 ? "0" + hex : hex)); convert the file with iconv -f ENCODING -t UTF-8, or use --format u16|u32|npy for token ids")
        case .nul(let offset):
            return .content(name, offset: offset, "NUL byte: this looks like a binary file, not text; for token id streams use --format u16|u32|npy")
        }
    }

    /// Reads the text of the selected elements; returns why it gave no token, in case it gave none.
    private func readXML(_ source: ByteSource, name: String, path: String, filled initial: Int) throws -> Blank {
        let head = UnsafeBufferPointer(start: buffer.baseAddress!.assumingMemoryBound(to: UInt8.self), count: initial)
        let bom = head.starts(with: [0xEF, 0xBB, 0xBF])
        if initial < 4096, head[(bom ? 3 : 0)...].allSatisfy(isASCIIWhitespace) {
            // The whole file is blank: nothing to parse (libxml2 would say "Document is empty").
            return .text(bytes: Int64(initial), bom: bom, path: path, dropPunctuation: false)
        }
        // Plain text read as XML: libxml2 would say "Document is empty", and the preset sniffing "root element <?>".
        if let start = FormatSniffer.nonMarkupStart(head) {
            let shown = start.byte >= 0x21 && start.byte < 0x7F ? "'\(Character(Unicode.Scalar(start.byte)))'" : String(format: "byte 0x%02X", start.byte)
            throw CorpusError.input("\(name):\(start.line):\(start.column)", "not XML: it starts with \(shown), and an XML document starts with '<' (a tag or <?xml …?>); read it as plain text with --format text"
                                    + (options.format == .xml ? "" : " (it was taken for XML by its .xml name)"))
        }
        let extractor = try XMLTextExtractor(selection: try xmlSelection(head, name: name), fileName: name)
        // Wikitext's line breaks are its own; elsewhere a record cut at every line is worth a note.
        var breaks = RecordLineBreaks()
        let watchBreaks = processor!.boundary == .line && extractor.selection.include != XMLTextExtractor.Selection.mediawiki.include
        let onText = { (text: UnsafeBufferPointer<UInt8>) in
            if watchBreaks { breaks.scan(text) }
            self.processor!.feed(text)
        }
        let onRecordEnd = {
            if watchBreaks { breaks.endRecord() }
            self.processor!.endDocument()
        }
        var filled = initial
        while filled > 0 {
            try extractor.feed(UnsafeRawBufferPointer(rebasing: buffer[0..<filled]), onText: onText, onRecordEnd: onRecordEnd)
            report(source, name)
            filled = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<Self.chunkSize]))
        }
        try extractor.finish(onText: onText, onRecordEnd: onRecordEnd)
        processor!.endDocument()
        let skipped = extractor.undefinedEntityCount
        if skipped > 0 {
            notes.append("\(name): \(counted(skipped, "undefined entity reference")) skipped (e.g. &\(extractor.firstUndefinedEntity ?? "?");); their text is missing from the counts")
        }
        let external = extractor.externalEntities
        if external.count > 0 {
            // QA round 8: such text was dropped without a word.
            notes.append("\(name): \(counted(external.count, "external entity reference")) not loaded (e.g. &\(external.first ?? "?");): no external entity is ever read, so their text is missing from the counts")
        }
        let unclosed = extractor.unclosedMilestones
        if unclosed.count > 0 {
            notes.append("\(name): \(counted(unclosed.count, "<\(unclosed.element ?? "?")> milestone range")) (sID) had no eID; \(unclosed.count == 1 ? "it" : "each") ended at the next sID of its element, or at the end of the file")
        }
        if let note = breaks.note(name, elements: extractor.selection.include) { notes.append(note) }
        return .xml(extractor)
    }

    /// Refuses --xml-element/--xml-preset for an input not read as XML (they would be ignored).
    private func checkXMLOptionsApply(to format: IngestOptions.Format, name: String) throws {
        guard format != .xml, !options.xmlElements.isEmpty || options.xmlPreset != .auto else { return }
        let option = options.xmlElements.isEmpty ? "--xml-preset \(options.xmlPreset.rawValue)"
            : options.xmlElements.map { "--xml-element \($0)" }.joined(separator: " ")
        let kind = format == .text || format == .auto ? "plain text" : "a token id stream (\(format.rawValue))"
        if options.format == .auto {
            throw CorpusError.input(name, "\(option) applies to XML input only, and this input is \(kind) (by its content and name): leave it out of the inputs, or read it as XML with --format xml")
        }
        throw CorpusError.option("\(option) applies to XML input only, and --format \(options.format.rawValue) reads \(name) as \(kind): drop \(option), or use --format xml")
    }

    private func xmlSelection(_ head: UnsafeBufferPointer<UInt8>, name: String) throws -> XMLTextExtractor.Selection {
        if !options.xmlElements.isEmpty { return XMLTextExtractor.Selection(include: options.xmlElements) }
        var preset = options.xmlPreset
        if preset == .auto {
            var ascii = Array(head.prefix(8192))
            if ascii.starts(with: [0xFF, 0xFE]) { ascii = stride(from: 2, to: ascii.count, by: 2).map { ascii[$0] } }
            else if ascii.starts(with: [0xFE, 0xFF]) { ascii = stride(from: 3, to: ascii.count, by: 2).map { ascii[$0] } }
            let root = FormatSniffer.rootElement(ascii)
            guard let r = root, let p = FormatSniffer.preset(forRoot: r) else {
                throw CorpusError.input(name, "cannot tell which XML elements hold the text (root element <\(root ?? "?")>); name them with --xml-element NAME or pick --xml-preset mediawiki|tei|osis|docbook")
            }
            preset = p
        }
        switch preset {
        case .mediawiki, .auto: return .mediawiki
        case .tei: return .tei
        case .osis: return .osis
        case .docbook: return .docbook
        }
    }

    /// Reads little-endian ids of `width` bytes from `dataOffset` on; with `npy`, exactly the
    /// payload its shape declares (bytes after it are ignored, as numpy.load does).
    private func readIDs(_ source: ByteSource, name: String, filled initial: Int, width: Int, signed: Bool, dataOffset: Int,
                         npy: NPYStreamHeader? = nil) throws -> Blank {
        let bytes = buffer.baseAddress!.assumingMemoryBound(to: UInt8.self)
        var filled = initial
        var start = dataOffset
        var offset = Int64(dataOffset)
        let end = npy.map { Int64(dataOffset) + $0.payloadBytes }
        let separator = options.separatorID
        if let separator, width < 8 {
            // An id this wide can never equal it (QA round 11: u16 ids with --separator-id 70000, no word).
            let largest = signed ? (Int64(1) << (8 * width - 1)) - 1 : (Int64(1) << (8 * width)) - 1
            if Int64(separator) > largest {
                throw CorpusError.option("--separator-id \(separator) can never occur in \(name): its ids are \(signed ? "" : "u")int\(8 * width), at most \(largest)")
            }
        }
        while true {
            var usable = (filled - start) / width * width
            if let end { usable = Int(min(Int64(usable), end - offset)) }
            for e in stride(from: start, to: start + usable, by: width) {
                var raw: Int64
                switch width {
                case 1: raw = signed ? Int64(Int8(bitPattern: bytes[e])) : Int64(bytes[e])
                case 2:
                    let u = UInt16(bytes[e]) | UInt16(bytes[e + 1]) << 8
                    raw = signed ? Int64(Int16(bitPattern: u)) : Int64(u)
                case 4:
                    let u = UnsafeRawPointer(bytes + e).loadUnaligned(as: UInt32.self).littleEndian
                    raw = signed ? Int64(Int32(bitPattern: u)) : Int64(u)
                default:
                    raw = Int64(bitPattern: UnsafeRawPointer(bytes + e).loadUnaligned(as: UInt64.self).littleEndian)
                }
                if raw < 0 || raw >= Int64(UInt32.max) {
                    // An unsigned 64-bit id above 2^63 − 1 has wrapped to a negative raw: print its real value.
                    let shown = width == 8 && !signed ? String(UInt64(bitPattern: raw)) : String(raw)
                    throw CorpusError.content(name, offset: offset + Int64(e - start), "token id \(shown) out of range (ids must be in 0…4294967294)")
                }
                if let s = separator, raw == Int64(s) { processor!.endDocument(); continue }
                processor!.countToken(internID(Int(raw)))
            }
            offset += Int64(usable)
            if let end, offset == end { break }
            let rest = filled - start - usable
            if rest > 0 { bytes.update(from: bytes + start + usable, count: rest) }
            report(source, name)
            let n = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[rest..<Self.chunkSize]))
            if n == 0 {
                if let npy { throw npy.truncated(name, payloadFound: offset + Int64(rest) - Int64(dataOffset)) }
                if rest > 0 { throw CorpusError.content(name, offset: offset, "\(rest) trailing bytes do not form a whole \(width)-byte token id; wrong --format?") }
                break
            }
            start = 0
            filled = rest + n
        }
        processor!.endDocument()
        return .ids((offset - Int64(dataOffset)) / Int64(width), npy: npy != nil, separator: separator)
    }

    @inline(__always)
    private func internID(_ raw: Int) -> UInt32 {
        if raw < idMap.count, idMap[raw] != 0 {
            let id = idMap[raw] - 1
            processor!.interner.countOccurrence(of: id)
            return id
        }
        if raw >= Self.denseIDLimit, let id = sparseIDs[raw] {
            processor!.interner.countOccurrence(of: id)
            return id
        }
        var text = Array(String(raw).utf8)
        let id = text.withUnsafeMutableBufferPointer { processor!.interner.intern(UnsafeBufferPointer($0)) }
        if raw >= Self.denseIDLimit {
            sparseIDs[raw] = id
        } else {
            if raw >= idMap.count {
                idMap.append(contentsOf: repeatElement(0, count: min(max(raw + 1 - idMap.count, idMap.count), Self.denseIDLimit - idMap.count)))
            }
            idMap[raw] = id + 1
        }
        return id
    }
}

/// The part of a `.npy` header a token stream reader needs.
struct NPYStreamHeader {
    var width: Int
    var signed: Bool
    var dataOffset: Int
    var descr: String
    /// The ids the shape declares.
    var count: Int
    /// Bytes of ids after the header: the shape decides, not the file's size.
    var payloadBytes: Int64 { Int64(count) * Int64(width) }

    /// The error for a file that ends before its declared payload, in the words of NTPFormats'
    /// .npy reader.
    func truncated(_ name: String, payloadFound: Int64) -> CorpusError {
        .input(name, "truncated .npy payload: shape [\(count)] of \(descr) needs \(payloadBytes) bytes after byte \(dataOffset), file has \(payloadFound); the file is incomplete: save it again (np.save)")
    }

    /// Reads the header with NTPFormats' parser, then checks that the payload is a C-ordered
    /// little-endian integer stream of one dimension (a 2-D array would be read flattened).
    static func parse(_ head: UnsafeBufferPointer<UInt8>, name: String) throws -> NPYStreamHeader {
        let header = try parseNPYHeader(UnsafeRawBufferPointer(head), name: name)
        let kinds: [String: (Int, Bool)] = ["|u1": (1, false), "|i1": (1, true), "<u2": (2, false), "<i2": (2, true),
                                            "<u4": (4, false), "<i4": (4, true), "<u8": (8, false), "<i8": (8, true)]
        guard let (w, s) = kinds[header.descr] else {
            let kind = header.descr.dropFirst()
            let remedy = ["i", "u"].contains(kind.first) ? "save it with np.save(path, ids.astype('<\(kind)'))" : "save the ids as integers with np.save(path, ids.astype('<i8'))"
            throw CorpusError.input(name, "a .npy token stream needs a little-endian integer dtype (got '\(header.descr)'); \(remedy)")
        }
        if header.fortranOrder {
            throw CorpusError.input(name, "a .npy token stream must be C-ordered (save it with np.save(path, np.ascontiguousarray(ids)))")
        }
        guard header.shape.count == 1 else {
            let shape = "(" + header.shape.map(String.init).joined(separator: ", ") + ")"   // numpy's spelling: (2, 3), ()
            throw CorpusError.input(name, "a .npy token stream is one 1-D array of ids, shape (n,), and this one has shape \(shape); save the ids in reading order with np.save(path, ids.reshape(-1)), or one file per row")
        }
        guard header.shape[0] <= Int.max / w else {
            throw CorpusError.input(name, "shape (\(header.shape[0]),) is too large for a .npy token stream; the header is corrupt: save it again (np.save)")
        }
        return NPYStreamHeader(width: w, signed: s, dataOffset: header.dataOffset, descr: header.descr, count: header.shape[0])
    }
}
