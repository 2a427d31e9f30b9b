// Temporary stand-ins for APIs landing from parallel branches (formats, shims). Deleted at merge.
import Foundation

public struct ICUWordTokenizer: TextTokenizer {
    public init(keepPunctuation: Bool = true, locale: String = "") throws {}
    public mutating func forEachToken(in text: UnsafeBufferPointer<UInt8>, _ emit: (Range<Int>) -> Void) {
        var w = WhitespaceTokenizer(); w.forEachToken(in: text, emit)
    }
}
public struct ICUSentenceSplitter {
    public init(locale: String = "") throws {}
    public mutating func forEachSentence(in text: UnsafeBufferPointer<UInt8>, _ emit: (Range<Int>) -> Void) {
        emit(0..<text.count)
    }
}
public enum UnicodeNormalization { case nfc, nfkc }
public struct TextTransform {
    public init(normalization: UnicodeNormalization?, caseFold: Bool) throws {}
    public var isIdentity: Bool { true }
    public mutating func apply(_ text: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> { text }
}
public final class XMLTextExtractor {
    public struct Selection {
        public var include: [String]; public var exclude: [String]
        public static let mediawiki = Selection(include: ["text"]), tei = Selection(include: ["p"]),
                          osis = Selection(include: ["verse"], exclude: ["note"]), docbook = Selection(include: ["para"])
        public init(include: [String], exclude: [String] = []) { self.include = include; self.exclude = exclude }
    }
    public init(selection: Selection, fileName: String) throws { throw CorpusError.input(fileName, "XML not available yet") }
    public func feed(_ bytes: UnsafeRawBufferPointer, onText: (UnsafeBufferPointer<UInt8>) -> Void, onRecordEnd: () -> Void) throws {}
    public func finish(onText: (UnsafeBufferPointer<UInt8>) -> Void, onRecordEnd: () -> Void) throws {}
}
