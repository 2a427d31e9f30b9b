import Foundation

/// The `options` member of a data set: the JSON object text of the options that made it.
enum OptionsText {
    /// Whether `text` is one JSON object, as every reader of `options` expects (`stats` reads the
    /// boundary mode from it, `synth` adds its keys to it): anything else is refused when the file is read.
    static func isJSONObject(_ text: String) -> Bool {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) is [String: Any]
    }

    /// The start of `text` for an error message: at most 40 characters, on one line.
    static func preview(_ text: String) -> String {
        let line = text.prefix(40).map { $0.isNewline ? " " : String($0) }.joined()
        return text.count > 40 ? line + "…" : line
    }
}
