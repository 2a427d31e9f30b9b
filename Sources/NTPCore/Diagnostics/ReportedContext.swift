/// A context named in a report, with its text when the data set has a vocabulary and contexts.
public struct ReportedContext: Codable, Equatable, Sendable {
    /// Row index in the input data set (before any subsample; see `CheckOptions.originalRows`).
    public var index: Int
    /// Farkas weight α_j, or excess loss π̂_j (CE_j − H_j), depending on the list.
    public var weight: Double
    /// Context tokens joined by spaces ("#j" without vocabulary/contexts).
    public var text: String
    /// Support S_j as token strings ("#t" without a vocabulary), most frequent first.
    public var support: [String]
}
