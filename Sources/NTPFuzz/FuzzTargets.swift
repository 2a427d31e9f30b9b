import Foundation
import NTPCorpus
import NTPFormats

/// The readers under libFuzzer: each target feeds one input to one reader and ignores thrown
/// errors (a clear error is the correct answer to a bad input); a crash, a sanitizer report or
/// a hang is a bug. `scripts/fuzz.sh TARGET SECONDS` builds this with -sanitize=fuzzer,address.
enum FuzzTarget: String, CaseIterable {
    /// `.npy` decoding and every element conversion.
    case npy
    /// `.npz` archives read as data sets (zip parsing, inflate, every data-set invariant).
    case npz
    /// The tokenizers and transforms on text (ICU words and sentences, whitespace, NFC/NFKC, case
    /// folding), as the ingestor calls them on validated UTF-8.
    case text
    /// Whole inputs through `Ingestor` from memory (sniffing, UTF-8 checks, tokenizing, counting).
    case ingest
    /// The XML text extractor (libxml2 push parser, entity limits, element selection).
    case xml
    /// gzip and bzip2 streams through `ByteSource` (auto-detected by magic bytes).
    case stream

    /// Runs one input; the first byte picks options where a target has some.
    func run(_ input: [UInt8]) {
        switch self {
        case .npy:
            guard let a = try? readNPY(bytes: input, name: "fuzz.npy") else { return }
            _ = try? a.doubles(); _ = try? a.int64s(); _ = try? a.strings()
        case .npz:
            guard let members = try? NPZArchive.read(bytes: input, name: "fuzz.npz") else { return }
            _ = try? DataSet(npzMembers: members, name: "fuzz.npz")
        case .text:
            // The ingestor hands the tokenizers validated UTF-8: invalid bytes become U+FFFD here.
            let text = Array(String(decoding: input.dropFirst(), as: UTF8.self).utf8)
            let selector = input.first ?? 0
            text.withUnsafeBufferPointer { buffer in
                var tokens = 0
                Tokenizers.shared.words.forEachToken(in: buffer) { _ in tokens += 1 }
                Tokenizers.shared.sentences.forEachSentence(in: buffer) { _ in tokens += 1 }
                var whitespace = WhitespaceTokenizer()
                whitespace.forEachToken(in: buffer) { _ in tokens += 1 }
                let transform = Tokenizers.shared.transforms[Int(selector) % Tokenizers.shared.transforms.count]
                var copy = transform
                let out = copy.apply(buffer)
                Tokenizers.shared.words.forEachToken(in: out) { _ in tokens += 1 }
            }
        case .ingest:
            var options = IngestOptions()
            let selector = input.first ?? 0
            options.format = .text
            options.tokenizer = selector & 1 == 0 ? .icu : .whitespace
            options.boundary = [.auto, .sentence, .document, .none][Int(selector >> 1) & 3]
            options.normalization = [.none, .nfc, .nfkc][Int(selector >> 3) % 3]
            options.caseFold = selector & 0x40 != 0
            options.order = 1 + Int(selector >> 7) * 2
            guard let ingestor = try? Ingestor(options: options) else { return }
            // `ingest --memory 16M`: the counting buffers are sized by the budget (64 Ki events,
            // not 4 Mi), so each input does not map and clear ~100 MB under ASan (measured: 64 → 420 inputs/s).
            ingestor.memoryBudget = 16 << 20
            if (try? ingestor.ingest(bytes: input, name: "fuzz.txt")) != nil { _ = try? ingestor.makeDataSet() }
        case .xml:
            let split = input.isEmpty ? 0 : Int(input[0]) % input.count
            guard let extractor = try? XMLTextExtractor(selection: .init(include: ["p", "text", "verse"], exclude: ["note"]), fileName: "fuzz.xml") else { return }
            var delivered = 0
            input.withUnsafeBytes { all in
                // Two chunks, so the push parser also sees input cut at an arbitrary byte.
                _ = try? extractor.feed(UnsafeRawBufferPointer(rebasing: all[0..<split]), onText: { delivered += $0.count }, onRecordEnd: {})
                _ = try? extractor.feed(UnsafeRawBufferPointer(rebasing: all[split...]), onText: { delivered += $0.count }, onRecordEnd: {})
            }
            _ = try? extractor.finish(onText: { delivered += $0.count }, onRecordEnd: {})
        case .stream:
            guard let source = try? ByteSource(bytes: input, name: "fuzz.gz") else { return }
            // A fixed buffer and at most 4 MiB out: a decompression bomb must not exhaust memory or time here.
            var total = 0
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
            defer { buffer.deallocate() }
            while total < 4 << 20, let n = try? source.read(into: buffer), n > 0 { total += n }
        }
    }
}

/// Tokenizers are costly to open (ICU rule compilation): one set per process. Unchecked because a
/// `static let` must be Sendable and these are mutable: libFuzzer and the replay driver run one
/// input at a time on one thread, so no two threads ever use them.
final class Tokenizers: @unchecked Sendable {
    static let shared = Tokenizers()
    var words = try! ICUWordTokenizer()
    var sentences = try! ICUSentenceSplitter()
    let transforms = [try! TextTransform(normalization: .nfc, caseFold: false), try! TextTransform(normalization: .nfkc, caseFold: true),
                      try! TextTransform(normalization: nil, caseFold: true)]
}
