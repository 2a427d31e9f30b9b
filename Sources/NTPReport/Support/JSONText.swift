import Foundation

/// A result a command prints: its text, or with `--json` the same value as JSON.
public protocol CommandReport: Encodable {
    /// The keys of the JSON object, for the `--json` help text (documented once, with the type).
    static var jsonKeys: String { get }
    /// What the command prints without `--json`.
    var text: String { get }
}

/// The one way JSON is written: `JSONEncoder` with sorted keys, so the same value gives the same bytes.
public enum JSONText {
    /// Pretty-printed (the `--json` outputs, analysis.json, summary.json).
    public static func pretty<T: Encodable>(_ value: T) throws -> String {
        try render(value, [.sortedKeys, .prettyPrinted])
    }

    /// On one line (JSON stored inside .npz members).
    public static func compact<T: Encodable>(_ value: T) throws -> String {
        try render(value, [.sortedKeys])
    }

    private static func render<T: Encodable>(_ value: T, _ formatting: JSONEncoder.OutputFormatting) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = formatting
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
