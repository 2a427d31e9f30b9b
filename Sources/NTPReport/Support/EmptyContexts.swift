import NTPFormats

/// Refuses a data set with a context that has no events, naming the file and the row (the theory's
/// solvers need π̂_j > 0; `stats` and `train` take such rows, `check` and `solve` do not). QA round 8:
/// the message had been "invalid data set: context 1 has no events", without the file or a fix.
func requireEvents(_ data: DataSet, path: String, rows: [Int]? = nil) throws {
    guard let j = (0..<data.contextCount).first(where: { data.rowTotal($0) <= 0 }) else { return }
    throw UserError("\(path): row \(rows?[j] ?? j) of the data set has no events (an empty context); drop empty rows, e.g. X = X[X.getnnz(axis=1) > 0] in scipy, or ingest again")
}
