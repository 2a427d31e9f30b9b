import XCTest
import TestSupport
import Foundation
@testable import NTPCorpus
import NTPFormats

extension XCTestCase {
    /// Writes `bytes` to a fresh file in this test's temporary folder and returns its path.
    func temporaryFile(_ bytes: [UInt8], suffix: String = ".txt") -> String {
        let path = temporaryDirectory("ntpsep-corpus").appendingPathComponent("input" + suffix).path
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        return path
    }

    func temporaryFile(_ text: String, suffix: String = ".txt") -> String { temporaryFile(Array(text.utf8), suffix: suffix) }
}

/// Ingests `paths` with `configure` applied to default whitespace-tokenizer options.
func ingest(_ paths: [String], _ configure: (inout IngestOptions) -> Void = { _ in }) throws -> DataSet {
    var o = IngestOptions()
    o.tokenizer = .whitespace
    configure(&o)
    let ingestor = try Ingestor(options: o)
    try ingestor.ingest(paths)
    return try ingestor.makeDataSet()
}

/// The data set as readable rows: "context tokens -> token:count ...".
func rows(_ d: DataSet) -> [String] {
    let v = d.vocabulary!, ctx = d.contexts!, n = d.contextLength
    return (0..<d.contextCount).map { j in
        let c = (0..<n).map { v[Int(ctx[j * n + $0])] }.joined(separator: " ")
        let next = (d.rowOffsets[j]..<d.rowOffsets[j + 1]).map { "\(v[Int(d.columns[$0])]):\(Int(d.counts[$0]))" }
        return "\(c) -> \(next.joined(separator: " "))"
    }
}
