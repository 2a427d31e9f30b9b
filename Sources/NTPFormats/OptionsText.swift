import Foundation

/// The `options` member of a data set: the JSON object text of the options that made it.
enum OptionsText {
    /// Whether `text` is one JSON object, as every reader of `options` expects (`stats` reads the
    /// boundary mode from it, `synth` adds its keys to it): anything else is refused when the file is read.
    static func isJSONObject(_ text: String) -> Bool {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) is [String: Any]
    }

    /// The start of `text` for an error message: at most 40 characters, on one line, control
    /// characters escaped (a NUL was printed raw, QA round 15).
    static func preview(_ text: String) -> String {
        let line = text.unicodeScalars.prefix(40).map { s -> String in
            s.properties.generalCategory == .control ? "\\u{" + String(s.value, radix: 16) + "}" : String(s)
        }.joined()
        return text.unicodeScalars.count > 40 ? line + "…" : line
    }
}
