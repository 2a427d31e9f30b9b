/// Everything that can go wrong while reading a corpus, each with a one-line description
/// naming the input, where in it, what is wrong and what to do.
public enum CorpusError: Error, CustomStringConvertible, Equatable {
    /// A problem with an input as a whole (missing, unreadable, wrong kind).
    case input(String, String)
    /// A problem at a byte offset of an input (after decompression).
    case content(String, offset: Int64, String)
    /// A bad option or option combination.
    case option(String)
    /// Nothing to count.
    case empty(String)

    public var description: String {
        switch self {
        case .input(let path, let what): return "\(path): \(what)"
        case .content(let path, let offset, let what): return "\(path): byte \(offset): \(what)"
        case .option(let what): return what
        case .empty(let what): return what
        }
    }
}
