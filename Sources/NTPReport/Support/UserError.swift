/// A bad input or option, told in one line ("Error: …" on stderr, exit status 1): what is wrong
/// and what to do about it.
public struct UserError: Error, CustomStringConvertible, Sendable {
    /// The line shown to the user.
    public let description: String

    /// An error with `message` as its one line.
    public init(_ message: String) { description = message }
}
