import NTPFormats

/// A decoder W (V × d) stored by feature column (CSC), for a W whose dense array would not fit: the
/// closed-form W of one-hot contexts on a whole corpus is V × m (2·10⁹ entries on the KJV) but has
/// only Σ_j |S_j| nonzeros.
public struct SparseDecoder: Sendable, Equatable {
    /// V.
    public let rows: Int
    /// d.
    public let columns: Int
    /// `columnOffsets[f] ..< columnOffsets[f + 1]` indexes the nonzeros of column f (d + 1 entries).
    public let columnOffsets: [Int]
    /// Token (row) of each nonzero, increasing within a column.
    public let rowIndices: [Int32]
    /// Value of each nonzero.
    public let values: [Double]

    /// W from its CSC arrays (the caller guarantees the shapes and the order within columns).
    public init(rows: Int, columns: Int, columnOffsets: [Int], rowIndices: [Int32], values: [Double]) {
        precondition(columnOffsets.count == columns + 1 && rowIndices.count == values.count
                     && columnOffsets.last == values.count, "inconsistent CSC arrays")
        self.rows = rows; self.columns = columns
        self.columnOffsets = columnOffsets; self.rowIndices = rowIndices; self.values = values
    }

    /// The support indicator of `data` (W[v, j] = 1 iff v ∈ S_j), V × m: for one-hot contexts its
    /// logits are the indicator itself, so every tie is exactly 0 and every margin exactly 1.
    public static func supportIndicator(_ data: DataSet) -> SparseDecoder {
        SparseDecoder(rows: data.vocabularySize, columns: data.contextCount, columnOffsets: data.rowOffsets,
                      rowIndices: data.columns, values: [Double](repeating: 1, count: data.columns.count))
    }

    /// ‖W‖_F.
    public var frobeniusNorm: Double {
        var s = 0.0
        for x in values { s += x * x }
        return s.squareRoot()
    }

    /// W / c for a positive c (a scaling keeps ties and the sign of every margin).
    public func divided(by c: Double) -> SparseDecoder {
        SparseDecoder(rows: rows, columns: columns, columnOffsets: columnOffsets, rowIndices: rowIndices,
                      values: values.map { $0 / c })
    }

    /// logits += W h̄_j, with h̄_j's nonzeros given as (feature, value) pairs; appends every token it
    /// writes to `touched` (possibly twice), so the caller can reset just those.
    @inline(__always)
    func accumulate(features: ArraySlice<Int>, values h: ArraySlice<Double>, into logits: UnsafeMutableBufferPointer<Double>,
                    touched: inout [Int32]) {
        for (f, x) in zip(features, h) {
            for e in columnOffsets[f]..<columnOffsets[f + 1] {
                logits[Int(rowIndices[e])] += values[e] * x
                touched.append(rowIndices[e])
            }
        }
    }
}
