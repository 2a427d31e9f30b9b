import Foundation
import XCTest
@testable import NTPFormats

final class AvailableMemoryTests: TempDirTestCase {
    /// The definition, recomputed by Python from the same files: min(MemAvailable, cgroup limit).
    /// MemAvailable moves while other processes run, so the two reads agree to 20 %, not exactly.
    func testMatchesMemAvailableAndTheCgroupLimit() throws {
        let expected = try XCTUnwrap(Double(try python("""
        import os
        vals = [int(l.split()[1]) * 1024 for l in open('/proc/meminfo') if l.startswith('MemAvailable:')]
        for path in [l.split(':', 2)[2].strip() for l in open('/proc/self/cgroup')]:
            for f in ['/sys/fs/cgroup' + path.rstrip('/') + '/memory.max', '/sys/fs/cgroup/memory' + path.rstrip('/') + '/memory.limit_in_bytes',
                      '/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/memory/memory.limit_in_bytes']:
                if os.path.exists(f):
                    t = open(f).read().strip()
                    if t != 'max' and int(t) < 2**62: vals.append(int(t))
                    break
        print(min(vals))
        """)))
        let ours = Double(try XCTUnwrap(AvailableMemory.bytes()))
        XCTAssertEqual(ours, expected, accuracy: 0.2 * expected)
    }

    func testMessagesAndUnits() {
        XCTAssertEqual(AvailableMemory.byteText(0), "0 bytes")
        XCTAssertEqual(AvailableMemory.byteText(1536), "1.50 KiB")
        XCTAssertEqual(AvailableMemory.byteText(48_000_000_000_000), "43.7 TiB")
        XCTAssertEqual(AvailableMemory.byteText(200 << 40), "200 TiB")
        XCTAssertEqual(errorText { try AvailableMemory.require(product: [Int.max, 3], for: "x", advice: "y") },
                       "x needs more than 2^64 bytes of memory; y")
        XCTAssertEqual(errorText { try AvailableMemory.require(approximately: .infinity, for: "x", advice: "y") },
                       "x needs more than 2^64 bytes of memory; y")
        let message = errorText { try AvailableMemory.require(UInt64.max, for: "a table", advice: "make it smaller") } ?? ""
        XCTAssertTrue(message.hasPrefix("a table needs 16.0 EiB of memory but only "), message)
        XCTAssertTrue(message.hasSuffix(" is available (MemAvailable or the cgroup limit); make it smaller"), message)
        XCTAssertNil(errorText { try AvailableMemory.require(1, for: "one byte", advice: "") })
    }
}
