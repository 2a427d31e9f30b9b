import Foundation
import XCTest

extension XCTestCase {
    /// A fresh empty folder for this test, removed (with everything in it) when the test ends.
    public func temporaryDirectory(_ label: String = "ntpsep-test") -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(label)-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock {
            // A test may have made it read-only to provoke a write error.
            _ = chmod(url.path, 0o755)
            try? FileManager.default.removeItem(at: url)
        }
        return url
    }
}
