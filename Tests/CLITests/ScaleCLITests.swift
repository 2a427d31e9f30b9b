import XCTest
import TestSupport
import Foundation

/// Out-of-core counting, shards, merges and the Dask driver, all checked against one
/// in-memory `ingest` of the same inputs (byte for byte).
final class ScaleCLITests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let kjv = root.appendingPathComponent("corpora/data/kjv.txt").path

    private func ok(_ arguments: [String], file: StaticString = #filePath, line: UInt = #line) throws -> Run {
        let r = try ntpsep(arguments)
        XCTAssertEqual(r.status, 0, r.stderr, file: file, line: line)
        return r
    }

    private func bytes(_ url: URL) throws -> Data { try Data(contentsOf: url) }

    /// The Bible in `pieces` files (cut at line ends), in `dir/in`.
    private func splitKJV(_ dir: URL, pieces: Int) throws -> URL {
        let input = dir.appendingPathComponent("in")
        try FileManager.default.createDirectory(at: input, withIntermediateDirectories: true)
        try shell("cd \(input.path) && split -n l/\(pieces) -d '\(Self.kjv)' kjv-")
        return input
    }

    func testSmallMemoryBudgetSpillsRunsAndWritesTheSameBytes() throws {
        let dir = temporaryDirectory()
        let temp = dir.appendingPathComponent("tmp")
        try FileManager.default.createDirectory(at: temp, withIntermediateDirectories: true)
        let free = dir.appendingPathComponent("free.npz"), tight = dir.appendingPathComponent("tight.npz")
        // ~0.5 M distinct trigrams do not fit 16 MB: runs go to disk. With <unk>, n-grams that
        // differ only in rare tokens coincide after the renumbering and are summed.
        for extra in [["--order", "3"], ["--order", "3", "--max-vocab", "300", "--min-count", "5"]] {
            _ = try ok(["ingest", Self.kjv, "-o", free.path, "-q"] + extra)
            let r = try ok(["ingest", Self.kjv, "-o", tight.path, "--memory", "16M", "--temp-dir", temp.path] + extra)
            XCTAssertTrue(r.stdout.contains("sorted runs went to \(temp.path))"), r.stdout)
            if extra.count == 2 {
                XCTAssertTrue(r.stdout.contains("944,810 events, 148,464 contexts, 13,746 tokens, order 3, 𝓗 = 2.2680 nats"), r.stdout)
            }
            XCTAssertEqual(try bytes(tight), try bytes(free), "\(extra)")
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: temp.path), [], "temporary runs left behind")
        }
    }

    func testShardsMergedInAnyGroupingEqualOneIngest() throws {
        let dir = temporaryDirectory()
        let input = try splitKJV(dir, pieces: 5)
        let options = ["--order", "3", "--max-vocab", "2000", "--min-count", "2"]
        let single = dir.appendingPathComponent("single.npz")
        _ = try ok(["ingest", input.path, "-o", single.path, "-q"] + options)
        func part(_ i: Int, of n: Int, _ source: String) throws -> String {
            let p = dir.appendingPathComponent("\(source.hasSuffix(".txt") ? "b" : "f")\(i)of\(n).part").path
            _ = try ok(["ingest", source, "--shard", "\(i)/\(n)", "-o", p, "-q", "--memory", "16M"] + options)
            return p
        }
        let parts = try (0..<3).map { try part($0, of: 3, input.path) }
        let left = dir.appendingPathComponent("01.part").path, right = dir.appendingPathComponent("21.part").path
        _ = try ok(["merge", parts[0], parts[1], "-o", left, "-q"])
        _ = try ok(["merge", parts[2], parts[1], "-o", right, "-q"])
        for (k, grouping) in [[left, parts[2]], [parts[0], right], [parts[2], parts[0], parts[1]]].enumerated() {
            let out = dir.appendingPathComponent("merged\(k).npz")
            _ = try ok(["merge"] + grouping + ["-o", out.path, "--memory", "16M"])
            XCTAssertEqual(try bytes(out), try bytes(single), "grouping \(k)")
        }
        // One big file cut into byte ranges at line ends gives the same data set as reading it whole.
        let whole = dir.appendingPathComponent("whole.npz"), ranges = dir.appendingPathComponent("ranges.npz")
        _ = try ok(["ingest", Self.kjv, "-o", whole.path, "-q"] + options)
        let byteParts = try (0..<4).map { try part($0, of: 4, Self.kjv) }
        _ = try ok(["merge"] + byteParts.reversed() + ["-o", ranges.path, "-q"])
        XCTAssertEqual(try bytes(ranges), try bytes(whole))
    }

    /// A file whose first line ends in a lone CR reads every CR as a line end; each shard of it
    /// must too, not decide again from its own first line (QA round 9: 3 shards of such a file
    /// with LF lines later merged to 1,154 events against 1,203). By hand: "a b" then 100 times
    /// three "c d" lines and one "e f" line, 401 sequences of 2 tokens, so 3 · 401 = 1,203 events.
    func testShardsOfALoneCRFileReadLineEndsAsTheWholeFile() throws {
        let dir = temporaryDirectory()
        let mac = dir.appendingPathComponent("mac.txt")
        try (Data("a b\r".utf8) + Data(String(repeating: "c d\nc d\nc d\ne f\r", count: 100).utf8)).write(to: mac)
        let whole = dir.appendingPathComponent("whole.npz")
        XCTAssertTrue(try ok(["ingest", mac.path, "--tokenizer", "whitespace", "-o", whole.path]).stdout
            .contains("1,203 events, 7 contexts"))
        for n in [2, 3, 5] {
            let parts = try (0..<n).map { i -> String in
                let p = dir.appendingPathComponent("m\(i)of\(n).part").path
                _ = try ok(["ingest", mac.path, "--tokenizer", "whitespace", "--shard", "\(i)/\(n)", "-o", p, "-q"])
                return p
            }
            let merged = dir.appendingPathComponent("merged\(n).npz")
            _ = try ok(["merge"] + parts + ["-o", merged.path, "-q"])
            XCTAssertEqual(try bytes(merged), try bytes(whole), "\(n) shards")
        }
    }

    /// At order 5 the KJV's 28,857 whitespace tokens do not fit 12-bit ids, so the counts go to the
    /// unpacked counter, which cannot spill: a line says the budget was exceeded (QA round 9: it was
    /// dropped without a word), the data set is the unbudgeted one, and a part is refused.
    func testABudgetTheUnpackedCounterExceedsIsReported() throws {
        let dir = temporaryDirectory()
        let free = dir.appendingPathComponent("free.npz"), tight = dir.appendingPathComponent("tight.npz")
        let options = ["--tokenizer", "whitespace", "--order", "5"]
        _ = try ok(["ingest", Self.kjv, "-o", free.path, "-q"] + options)
        let run = try ok(["ingest", Self.kjv, "-o", tight.path, "--memory", "16M"] + options)
        XCTAssertTrue(run.stderr.contains("MiB, above the --memory budget of 16 MiB; they stayed in memory, because with more than 4096 distinct tokens at order 5"), run.stderr)
        XCTAssertEqual(try bytes(tight), try bytes(free))
        XCTAssertEqual(try ok(["ingest", Self.kjv, "-o", tight.path] + options).stderr, "")
        let part = dir.appendingPathComponent("p.part")
        assertFails(try ntpsep(["ingest", Self.kjv, "--shard", "0/2", "--max-vocab", "500", "-o", part.path] + options),
                    with: "more than 4096 distinct tokens at order 5 (2^⌊64/N⌋ at order N; --max-vocab does not help, it acts after counting): parts pack an n-gram into 64 bits", noFileAt: part)
    }

    /// Parts travel between machines, so each ends with its pair count and a CRC-32 of all bytes
    /// before it (QA round 9: of 40 single flipped bits in a part, 18 merged into a wrong data set
    /// with exit 0 and 21 crashed the merge). Every flipped bit here, in the header, the vocabulary,
    /// the pairs or the trailer, and a truncation, is one line naming the part, and no output.
    func testMergeRefusesADamagedOrTruncatedPart() throws {
        func pairCount(_ part: Data) -> Int { part.suffix(16).prefix(8).reversed().reduce(0) { $0 << 8 | Int($1) } }
        let dir = temporaryDirectory()
        let source = dir.appendingPathComponent("k.txt")
        try Data(try Data(contentsOf: URL(fileURLWithPath: Self.kjv)).prefix(100_000)).write(to: source)
        let parts = try (0..<2).map { i -> URL in
            let p = dir.appendingPathComponent("p\(i).part")
            _ = try ok(["ingest", source.path, "--shard", "\(i)/2", "-o", p.path, "-q"])
            return p
        }
        let good = try bytes(parts[1]), out = dir.appendingPathComponent("m.npz")
        XCTAssertEqual(Array(good.suffix(4)), Array("NTPE".utf8))
        let bad = dir.appendingPathComponent("bad.part")
        for position in [40, 300, good.count / 2, good.count - 20, good.count - 16, good.count - 12, good.count - 7, good.count - 1] {
            var damaged = good
            damaged[position] ^= 0x10
            try damaged.write(to: bad)
            // The pair count (trailer bytes 0–7) is outside the CRC: it is checked against the pairs read.
            let expected = position >= good.count - 4 ? "bad.part: not a complete part file (no NTPE trailer"
                : position == good.count - 16 ? "bad.part: damaged part file (\(pairCount(good)) pairs read, its trailer says \(pairCount(good) ^ 0x10))"
                : position == good.count - 12 ? "bad.part: damaged part file (its trailer counts \(pairCount(good) ^ (0x10 << 32)) pairs in"
                : "bad.part: damaged part file (CRC-32 mismatch: the bytes before its trailer changed since it was written); make it again"
            assertFails(try ntpsep(["merge", parts[0].path, bad.path, "-o", out.path]), with: expected, noFileAt: out)
        }
        try good.prefix(good.count - 100).write(to: bad)
        assertFails(try ntpsep(["merge", parts[0].path, bad.path, "-o", out.path]), with: "bad.part: not a complete part file (no NTPE trailer", noFileAt: out)
        _ = try ok(["merge", parts[0].path, parts[1].path, "-o", out.path, "-q"])
    }

    func testMergeRefusesMismatchedDuplicateAndMissingShards() throws {
        let dir = temporaryDirectory()
        let input = try splitKJV(dir, pieces: 2)
        func part(_ name: String, _ shard: String, _ options: [String]) throws -> String {
            let p = dir.appendingPathComponent(name).path
            _ = try ok(["ingest", input.path, "--shard", shard, "-o", p, "-q"] + options)
            return p
        }
        let a = try part("a.part", "0/2", ["--order", "2"]), b = try part("b.part", "1/2", ["--order", "3"])
        let a2 = try part("a2.part", "0/2", ["--order", "2"])
        let out = dir.appendingPathComponent("m.npz")
        assertFails(try ntpsep(["merge", a, b, "-o", out.path]), with: "was made with other options", noFileAt: out)
        assertFails(try ntpsep(["merge", a, a2, "-o", out.path]), with: "shard 0/2 is in more than one part", noFileAt: out)
        assertFails(try ntpsep(["merge", a, "-o", out.path]), with: "needs all 2 shards; missing 1", noFileAt: out)
        // The extension decides case-blind (QA round 11: -o m.NPZ wrote a part, which stats then read as text).
        let upper = dir.appendingPathComponent("m.NPZ")
        assertFails(try ntpsep(["merge", a, "-o", upper.path]), with: "needs all 2 shards; missing 1", noFileAt: upper)
        assertFails(try ntpsep(["ingest", input.path, "--shard", "0/2", "-o", upper.path]), with: "name it like", noFileAt: upper)
        assertFails(try ntpsep(["merge", Self.kjv, "-o", out.path]), with: "not a part file", noFileAt: out)
        assertFails(try ntpsep(["ingest", input.path, "--shard", "0/2", "-o", out.path]), with: "name it like", noFileAt: out)
        assertFails(try ntpsep(["ingest", input.path, "--shard", "2/2", "-o", a]), with: "expected I/N with 0 ≤ I < N")
        // One token stream across files (--boundary none, also `auto` on id streams): n-grams across file
        // ends would fall between shards (QA round 8), so sharding is refused rather than lossy.
        let none = dir.appendingPathComponent("n.part")
        assertFails(try ntpsep(["ingest", input.path, "--shard", "0/2", "--boundary", "none", "-o", none.path]),
                    with: "with --boundary none: the token stream runs on from file to file", noFileAt: none)
        let ids = dir.appendingPathComponent("ids")
        try FileManager.default.createDirectory(at: ids, withIntermediateDirectories: true)
        for k in 0..<2 { try Data([1, 0, 2, 0, 3, 0]).write(to: ids.appendingPathComponent("part\(k).bin")) }
        assertFails(try ntpsep(["ingest", ids.path, "--format", "u16", "--shard", "1/2", "-o", none.path]),
                    with: "with --boundary none", noFileAt: none)
        _ = try ok(["ingest", ids.path, "--format", "u16", "--shard", "1/2", "--boundary", "document", "-o", none.path, "-q"])
    }

    /// Order-4 keys of parts hold 2^16 token ids. Two files of 40,000 distinct words each (disjoint): each part fits,
    /// says that it holds over half of the limit, and the merge of the 80,002 tokens stops naming the direct ingest,
    /// which counts them (QA round 21: 7 shards ran before their merge found 112,814 tokens).
    func testPartsNearTheKeyLimitSayItBeforeTheMerge() throws {
        let dir = temporaryDirectory(), inputs = dir.appendingPathComponent("in")
        try FileManager.default.createDirectory(at: inputs, withIntermediateDirectories: true)
        for k in 0..<2 {
            let words = (0..<40_000).map { "w\(k)x\($0)" }.joined(separator: " ")
            try (words + "\n").write(to: inputs.appendingPathComponent("f\(k).txt"), atomically: true, encoding: .utf8)
        }
        var parts: [String] = []
        for i in 0..<2 {
            let p = dir.appendingPathComponent("p\(i).part").path
            let run = try ok(["ingest", inputs.path, "--tokenizer", "whitespace", "--order", "4", "--shard", "\(i)/2", "-o", p])
            XCTAssertTrue(run.stderr.contains("this part holds 40002 distinct tokens, over half of the 65536 that order-4 keys of parts hold: the merged parts may not fit (merge then stops); ingest without --shard has no such limit"), run.stderr)
            parts.append(p)
        }
        let out = dir.appendingPathComponent("m.npz")
        assertFails(try ntpsep(["merge"] + parts + ["-o", out.path]),
                    with: "merge: 80002 distinct tokens do not fit the 16-bit ids of order-4 keys; lower --order, or ingest without --shard (one process has no such limit)", noFileAt: out)
        _ = try ok(["ingest", inputs.path, "--tokenizer", "whitespace", "--order", "4", "-o", out.path, "-q"])
    }

    func testSignalRemovesTheTemporaryFolder() throws {
        let dir = temporaryDirectory()
        let temp = dir.appendingPathComponent("tmp")
        try FileManager.default.createDirectory(at: temp, withIntermediateDirectories: true)
        let process = Process()
        process.executableURL = Bundle.main.bundleURL.appendingPathComponent("ntpsep")
        process.arguments = ["ingest", "-", "-o", dir.appendingPathComponent("x.npz").path, "--memory", "16M", "--temp-dir", temp.path]
        let input = Pipe()
        process.standardInput = input
        process.standardError = Pipe()
        try process.run()
        // The whole Bible: ~0.5 M distinct trigrams overflow 16 MB, so a run goes to disk (and
        // the folder appears); stdin stays open, so ingest is still reading when the signal comes.
        input.fileHandleForWriting.write(try Data(contentsOf: URL(fileURLWithPath: Self.kjv)))
        var waited = 0
        while try FileManager.default.contentsOfDirectory(atPath: temp.path).isEmpty && waited < 600 { usleep(50_000); waited += 1 }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: temp.path).count, 1, "no run went to disk")
        process.terminate()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationReason, .uncaughtSignal)
        XCTAssertEqual(process.terminationStatus, SIGTERM)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: temp.path), [])
    }

    func testDaskDriverOnTwoWorkersEqualsOneIngest() throws {
        let dir = temporaryDirectory()
        let input = try splitKJV(dir, pieces: 6)
        let single = dir.appendingPathComponent("single.npz"), dask = dir.appendingPathComponent("dask.npz")
        _ = try ok(["ingest", input.path, "-o", single.path, "-q", "--order", "3"])
        let driver = Self.root.appendingPathComponent("scale/ntpsep_dask.py").path
        let binary = Bundle.main.bundleURL.appendingPathComponent("ntpsep").path
        let r = try runTool(["python3", driver, input.path, "-o", dask.path, "--shards", "5", "--fan-in", "2",
                             "--workers", "2", "--ntpsep", binary, "--quiet", "--keep-parts", "--order", "3"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.hasPrefix("wrote \(dask.path): 5 shards, 4 merges in "), r.stdout)
        XCTAssertEqual(try bytes(dask), try bytes(single))
        // A rerun finds every part and merge in place and only rewrites the data set.
        let parts = try FileManager.default.contentsOfDirectory(atPath: dask.path + ".parts").sorted()
        XCTAssertEqual(parts.count, 5 + 3, "\(parts)")
        try FileManager.default.removeItem(at: dask)
        let again = try runTool(["python3", driver, input.path, "-o", dask.path, "--shards", "5", "--fan-in", "2",
                                 "--workers", "2", "--ntpsep", "/nonexistent/ntpsep", "--quiet", "--keep-parts", "--order", "3"])
        XCTAssertNotEqual(again.status, 0, "the final merge must run again (its output was removed)")
        XCTAssertTrue(again.stderr.contains("/nonexistent/ntpsep merge "), again.stderr)
        XCTAssertFalse(again.stderr.contains("/nonexistent/ntpsep ingest "), again.stderr)
        XCTAssertEqual(again.stderr.split(separator: "\n").count, 1, again.stderr)
        // A failing task, or a missing input, is one line, and leaves no empty parts folder (QA round 9:
        // a 24-line traceback, worker logs, and an empty OUTPUT.parts/).
        let failing = try runTool(["python3", driver, input.path, "-o", dir.appendingPathComponent("nine.npz").path,
                                   "--shards", "9", "--ntpsep", binary, "--quiet"])
        XCTAssertEqual(failing.status, 1)
        XCTAssertTrue(failing.stderr.hasPrefix("ntpsep_dask.py: \(binary) ingest "), failing.stderr)
        XCTAssertTrue(failing.stderr.hasSuffix(" input files cannot make 9 shards; give at least 9 files, or one plain-text file to cut by lines\n"), failing.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("nine.npz.parts").path))
        let missing = try runTool(["python3", driver, dir.appendingPathComponent("none.txt").path, "-o", dask.path, "--shards", "2", "--quiet"])
        XCTAssertEqual(missing.status, 2)
        XCTAssertEqual(missing.stderr, "ntpsep_dask.py: \(dir.appendingPathComponent("none.txt").path): no such file or directory (check the path)\n")
    }
}

extension ScaleCLITests {
    /// `stats --orders` on a merged data set: per-order single-token shares equal numpy's on an
    /// order-2 ingest of the same text (marginalizing is exact with padding).
    func testStatsOrdersOnAMergedDataSetMatchNumpy() throws {
        let dir = temporaryDirectory()
        let parts = try (0..<2).map { i -> String in
            let p = dir.appendingPathComponent("\(i).part").path
            _ = try ok(["ingest", Self.kjv, "--shard", "\(i)/2", "-o", p, "-q"])
            return p
        }
        let merged = dir.appendingPathComponent("m.npz"), order2 = dir.appendingPathComponent("o2.npz")
        _ = try ok(["merge"] + parts + ["-o", merged.path, "-q"])
        _ = try ok(["ingest", Self.kjv, "--order", "2", "-o", order2.path, "-q"])
        let json = try ok(["stats", merged.path, "--orders", "1-3", "--json"]).stdout
        let stats = try JSONSerialization.jsonObject(with: Data(json.utf8)) as! [String: Any]
        let rows = stats["orders"] as! [[String: Any]]
        let numpy = try shell("""
            python3 -c "import scipy.sparse as sp, numpy as np; M = sp.load_npz('\(order2.path)'); k = np.diff(M.indptr); \
            t = np.asarray(M.sum(axis=1)).ravel(); print(M.shape[0], repr(float((k == 1).mean())), repr(float(t[k == 1].sum() / t.sum())))"
            """).split(separator: " ").map(String.init)
        XCTAssertEqual(rows[1]["contexts"] as? Int, Int(numpy[0]))
        XCTAssertEqual(rows[1]["single_support_context_share"] as! Double, Double(numpy[1])!, accuracy: 1e-12)
        XCTAssertEqual(rows[1]["single_support_event_share"] as! Double, Double(numpy[2].trimmingCharacters(in: .whitespacesAndNewlines))!, accuracy: 1e-12)
        XCTAssertEqual(rows[2]["contexts"] as? Int, 148_464)
        XCTAssertEqual(rows[2]["single_support_context_share"] as! Double, stats["single_support_context_share"] as! Double)
    }
}
