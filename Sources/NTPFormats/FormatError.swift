#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// An error reading or writing a file, described in one line that names the file, the byte
/// offset where relevant, what is wrong and what to do.
public struct NTPFormatError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The one-line message.
    public let description: String
    /// Whether a memory check (`AvailableMemory`) raised it: an optional stage may then be skipped
    /// instead of failing the command.
    public let isMemory: Bool
    /// Creates an error with a one-line message (newlines are replaced so it stays one line).
    public init(_ message: String, isMemory: Bool = false) {
        description = message.split(whereSeparator: \.isNewline).joined(separator: " ")
        self.isMemory = isMemory
    }
}

/// `strerror` as a Swift string.
func errnoText(_ code: Int32) -> String { String(cString: strerror(code)) }

/// How file names appear in messages ("-" is standard input).
func displayName(_ path: String) -> String { path == "-" ? "standard input" : path }
