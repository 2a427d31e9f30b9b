import NTPFormats

extension DataSet {
    /// A data set with the given next-token supports (row j: the token ids of `supports[j]`, counts
    /// 1 unless `counts` gives them) over `vocabulary` tokens, without vocabulary or context texts.
    public static func fromSupports(_ supports: [[Int]], vocabulary: Int, counts: [[Double]]? = nil) -> DataSet {
        let counts = counts ?? supports.map { $0.map { _ in 1 } }
        var offsets = [0]
        for s in supports { offsets.append(offsets.last! + s.count) }
        return DataSet(contextCount: supports.count, vocabularySize: vocabulary, rowOffsets: offsets,
                       columns: supports.flatMap { $0.map(Int32.init) }, counts: counts.flatMap { $0 })
    }
}
