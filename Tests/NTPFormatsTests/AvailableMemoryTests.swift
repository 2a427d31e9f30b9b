import Foundation
import XCTest
@testable import NTPFormats

final class AvailableMemoryTests: TempDirTestCase {
    /// The definition, recomputed by Python from the same files: min(MemAvailable, cgroup limit less the
    /// cgroup's usage and its inactive page cache). Both move while other processes run, so the two reads
    /// agree to 20 %, not exactly.
    func testMatchesMemAvailableAndTheCgroupLimit() throws {
        let expected = try XCTUnwrap(Double(try python("""
        import os
        vals = [int(l.split()[1]) * 1024 for l in open('/proc/meminfo') if l.startswith('MemAvailable:')]
        for path in [l.split(':', 2)[2].strip() for l in open('/proc/self/cgroup')]:
            for f in ['/sys/fs/cgroup' + path.rstrip('/') + '/memory.max', '/sys/fs/cgroup/memory' + path.rstrip('/') + '/memory.limit_in_bytes',
                      '/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/memory/memory.limit_in_bytes']:
                if os.path.exists(f):
                    t = open(f).read().strip()
                    if t != 'max' and int(t) < 2**62:
                        folder, v2 = os.path.dirname(f), f.endswith('memory.max')
                        usage_file = os.path.join(folder, 'memory.current' if v2 else 'memory.usage_in_bytes')
                        used = int(open(usage_file).read()) if os.path.exists(usage_file) else 0
                        key = 'inactive_file' if v2 else 'total_inactive_file'
                        stat = os.path.join(folder, 'memory.stat')
                        for s in (open(stat) if os.path.exists(stat) else []):
                            if s.split()[0] == key: used -= min(used, int(s.split()[1]))
                        vals.append(int(t) - min(int(t), used))
                    break
        print(min(vals))
        """)))
        let ours = Double(try XCTUnwrap(AvailableMemory.bytes()))
        XCTAssertEqual(ours, expected, accuracy: 0.2 * expected)
    }

    /// A cgroup's working set is its usage less its inactive page cache, read beside its limit file (v1 and
    /// v2 names); nil without a usage file.
    func testWorkingSetIsUsageLessInactiveFileCache() throws {
        try FileManager.default.createDirectory(atPath: path("v1"), withIntermediateDirectories: true)
        try "1000000\n".write(toFile: path("v1/memory.usage_in_bytes"), atomically: true, encoding: .utf8)
        try "cache 500000\ntotal_inactive_file 300000\n".write(toFile: path("v1/memory.stat"), atomically: true, encoding: .utf8)
        XCTAssertEqual(AvailableMemory.workingSet(besideLimitFile: path("v1/memory.limit_in_bytes")), 700_000)
        try FileManager.default.createDirectory(atPath: path("v2"), withIntermediateDirectories: true)
        try "5000\n".write(toFile: path("v2/memory.current"), atomically: true, encoding: .utf8)
        try "anon 3000\ninactive_file 1000\nactive_file 1000\n".write(toFile: path("v2/memory.stat"), atomically: true, encoding: .utf8)
        XCTAssertEqual(AvailableMemory.workingSet(besideLimitFile: path("v2/memory.max")), 4_000)
        XCTAssertNil(AvailableMemory.workingSet(besideLimitFile: path("none/memory.max")))
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
        XCTAssertTrue(message.hasSuffix(" is available (MemAvailable, or the cgroup limit less its usage); make it smaller"), message)
        XCTAssertNil(errorText { try AvailableMemory.require(1, for: "one byte", advice: "") })
    }
}
