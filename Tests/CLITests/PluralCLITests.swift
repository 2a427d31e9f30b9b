import XCTest
import TestSupport
import Foundation

/// Counts of one print the singular noun ("1 context", not "1 contexts").
final class PluralCLITests: XCTestCase {
    func testOneContextOneEventOneStepAreSingular() throws {
        let dir = temporaryDirectory()
        let ids = dir.appendingPathComponent("ids.npy").path, data = dir.appendingPathComponent("d.npz").path
        try shell("python3 -c \"import numpy as np; np.save('\(ids)', np.array([5, 7], dtype=np.int32))\"")
        // Order 2 over the stream 5 7 (no boundaries): one event 5 → 7.
        let ingest = try ntpsep(["ingest", ids, "--order", "2", "-o", data])
        XCTAssertEqual(ingest.status, 0, ingest.stderr)
        XCTAssertTrue(ingest.stdout.hasPrefix("wrote \(data): 1 event, 1 context, 2 tokens, order 2"), ingest.stdout)
        let train = try ntpsep(["train", data, "--steps", "1", "--log-every", "1", "--optimizer", "adam"])
        XCTAssertEqual(train.status, 0, train.stderr)
        XCTAssertTrue(train.stderr.contains(", 1 step, full batch (1 context)\n"), train.stderr)
    }
}
