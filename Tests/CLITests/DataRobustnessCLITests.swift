import XCTest
import TestSupport
import Foundation

/// Corrupt data sets, extreme embeddings, absurd sizes and out-of-range options: every command
/// exits 1 (not a signal, not 0) with one line on stderr that names the problem.
final class DataRobustnessCLITests: XCTestCase {
    let corruptAdvice = "the file is corrupt: write it again (ntpsep ingest/synth, or scipy.sparse.save_npz of a canonical matrix)"

    /// A 6-context, V = 4 data set from synth plus corrupted copies made by numpy.
    func makeDataSets(in dir: URL) throws {
        let good = dir.appendingPathComponent("good.npz").path
        XCTAssertEqual(try ntpsep(["synth", "--contexts", "6", "--vocab", "4", "--support", "2", "--samples", "200", "--seed", "3", "-o", good, "-q"]).status, 0)
        try shell("""
        cd '\(dir.path)' && python3 -c "
        import numpy as np
        z = dict(np.load('good.npz'))
        p = z['indptr'].copy(); p[3] += 1000; np.savez('shifted.npz', **{**z, 'indptr': p})
        d = z['data'].astype('i8'); d[1] = 2**62; np.savez('huge.npz', **{**z, 'data': d})
        np.savez('contexts.npz', **z, contexts=np.array([[0], [1], [2], [3], [4], [0]], 'i4'))
        i = z['indices'].copy(); i[1] = i[0]; np.savez('repeated.npz', **{**z, 'indices': i})
        np.savez('newer.npz', **{**z, 'format_version': np.array(7)})
        w = {k: v for k, v in z.items() if k != 'vocab'}
        np.savez('offsets.npz', **w, vocab_utf8=np.frombuffer(b'abcdefgh', 'u1'), vocab_offsets=np.array([0, 1, 2, 100, 8]))
        np.savez('bytes.npz', **{**w, 'vocab': np.array([b'a', b'\\xe9', b'c', b'd'])})
        np.savez('twice.npz', **z, contexts=np.array([[0], [1], [2], [3], [1], [0]], 'i4'))
        "
        """)
    }

    func testCorruptDataSetsFailCleanlyInEveryCommand() throws {
        let dir = temporaryDirectory()
        try makeDataSets(in: dir)
        let expected: [(String, String)] = [
            ("shifted", "'indptr' decreases at position 4"),
            ("huge", "'data'[1] = 4.611686018427388e+18 is not a count: counts must be positive, finite and below 2^53"),
            ("contexts", "'contexts' holds token id 4 at row 4, position 0, outside the vocabulary 0..<4"),
            ("repeated", "positions 0 and 1 of 'indices' both store a count for row 0, column"),
            ("newer", "data set format version 7 is newer than this ntpsep reads (up to 2); upgrade ntpsep to read it"),
            // QA round 11: a trap in every command, a '|S' vocabulary shown as U+FFFD, a context counted twice.
            ("offsets", "'vocab_offsets'[3] = 100 is past the 8 bytes of 'vocab_utf8'"),
            ("bytes", "array 'vocab': string 1 is not valid UTF-8 ('|S' strings are read as UTF-8 bytes; store text as '<U', e.g. np.array(words, dtype=str))"),
            ("twice", "rows 1 and 4 have the same context (contexts[1] = contexts[4] = [1]); a data set holds each distinct context once, in one row: sum the rows of equal contexts into one, or write the file again with ntpsep ingest"),
        ]
        for (name, fragment) in expected {
            let file = dir.appendingPathComponent(name + ".npz").path
            let out = dir.appendingPathComponent("out-\(name).npz")
            let before = try Data(contentsOf: URL(fileURLWithPath: file))
            let commands: [[String]] = [
                ["stats", file], ["check", file, "--embedding", "onehot"], ["train", file, "--embedding", "onehot", "--steps", "3"],
                ["solve", file, "-o", out.path], ["sweep", file, "--contexts", "3", "--trials", "1"],
            ]
            for command in commands {
                let run = try ntpsep(command)
                XCTAssertEqual(run.status, 1, "\(command): \(run.stderr)")   // 1, not a signal's 128 + n
                assertFails(run, with: "\(file): \(fragment)", noFileAt: out)
                if !["newer", "bytes", "twice"].contains(name) { XCTAssertTrue(run.stderr.contains(corruptAdvice), run.stderr) }
            }
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: file)), before, "input changed")
        }
    }

    /// An embedding scaled by 1e300 never reaches GLPK (which aborts on it) and solve writes no
    /// NaN weights; NaN entries are named by position.
    func testExtremeEmbeddingsAreRejectedBeforeAnySolver() throws {
        let dir = temporaryDirectory()
        try makeDataSets(in: dir)
        try shell("""
        cd '\(dir.path)' && python3 -c "
        import numpy as np
        H = np.arange(1, 13, dtype=float).reshape(2, 6)
        np.save('huge.npy', H * 1e300); np.save('tiny.npy', H * 1e-300)
        H[1, 4] = np.nan; np.save('nan.npy', H)
        np.save('text.npy', np.ones((2, 6)).astype(str))
        "
        """)
        let data = dir.appendingPathComponent("good.npz").path
        let out = dir.appendingPathComponent("sol.npz")
        for (file, fragment) in [("huge.npy", "the largest |entry| of H is 1.2e+301, outside 1e-60…1e+60; rescale H"),
                                 ("tiny.npy", "the largest |entry| of H is 1.2e-299, outside 1e-60…1e+60; rescale H"),
                                 ("nan.npy", "entry (1, 4) of H is nan; embeddings must be finite"),
                                 ("text.npy", "text.npy: array of dtype <U32 holds strings, not numbers")] {
            let h = "file:" + dir.appendingPathComponent(file).path
            assertFails(try ntpsep(["solve", data, "--embedding", h, "-o", out.path]), with: fragment, noFileAt: out)
            assertFails(try ntpsep(["check", data, "--embedding", h]), with: fragment)
            assertFails(try ntpsep(["train", data, "--embedding", h, "--steps", "3"]), with: fragment)
        }
    }

    /// A context without events (an empty CSR row, which scipy writes happily) is refused by `check` and
    /// `solve` in one line that names the file and the row (QA round 8: "invalid data set: context 1 has
    /// no events", without either); `stats` still reads it.
    func testAnEmptyContextIsNamedByFileAndRow() throws {
        let dir = temporaryDirectory()
        let data = dir.appendingPathComponent("empty-row.npz").path, out = dir.appendingPathComponent("sol.npz")
        try Python.run("import scipy.sparse as sp; sp.save_npz('\(data)', sp.csr_matrix([[1, 0, 2], [0, 0, 0], [4, 0, 0]]))")
        let fragment = "empty-row.npz: row 1 of the data set has no events (an empty context); drop empty rows"
        assertFails(try ntpsep(["check", data, "--embedding", "onehot"]), with: fragment)
        assertFails(try ntpsep(["solve", data, "--embedding", "onehot", "-o", out.path]), with: fragment, noFileAt: out)
        XCTAssertEqual(try ntpsep(["stats", data]).status, 0)
    }

    /// A plain scipy matrix has rows, not token contexts: `stats` says its order is unknown (QA round 9:
    /// "order 1", which has one empty context) and leaves `order` out of the JSON; `--orders` is
    /// refused by file. By hand: n = 1.5 + 2 + 1 + 1 + 3 + 0.5 = 9, m = 3, V = 3.
    func testAPlainScipyMatrixHasNoOrder() throws {
        let dir = temporaryDirectory()
        let data = dir.appendingPathComponent("frac.npz").path
        try Python.run("import scipy.sparse as sp; sp.save_npz('\(data)', sp.csr_matrix([[1.5, 0, 2], [0, 1, 1], [3, 0, 0.5]]))")
        let run = try ntpsep(["stats", data])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stdout.hasPrefix("events          n = 9\ncontexts        m = 3 distinct (order unknown: no contexts in the file)\nvocabulary      V = 3\n"), run.stdout)
        let json = try JSONSerialization.jsonObject(with: Data(try ntpsep(["stats", data, "--json"]).stdout.utf8)) as? [String: Any]
        XCTAssertEqual(json?["contexts"] as? Int, 3)
        XCTAssertNil(json?["order"])
        assertFails(try ntpsep(["stats", data, "--orders", "1-2"]), with: "frac.npz: --orders needs token contexts, and this data set has none")
    }

    /// Sizes far beyond any memory are refused before allocating, naming the need and the supply.
    func testAbsurdSizesAreCheckedAgainstAvailableMemory() throws {
        let dir = temporaryDirectory()
        try makeDataSets(in: dir)
        let data = dir.appendingPathComponent("good.npz").path
        let out = dir.appendingPathComponent("big.npz")
        let cases: [([String], String)] = [
            (["check", data, "--embedding", "gaussian:1000000000000"], "--embedding gaussian:1000000000000:0 on 6 contexts needs 43.7 TiB of memory but only "),
            (["synth", "--contexts", "100000000000", "--vocab", "6", "--support", "3", "-o", out.path],
             "synth with 100000000000 contexts, V = 6, support up to 3 needs 20.0 TiB of memory but only "),
            (["sweep", data, "--max-dim", "1000000000000"], "--max-dim 1000000000000 with m = 6 contexts needs 43.7 TiB of memory but only "),
        ]
        for (arguments, fragment) in cases {
            let run = try ntpsep(arguments)
            assertFails(run, with: fragment, noFileAt: out)
            XCTAssertTrue(run.stderr.contains(" is available (MemAvailable, or the cgroup limit less its usage)"), run.stderr)
        }
    }

    /// Negative, NaN and zero values where a count or a time is expected, and unknown locales.
    func testOutOfRangeOptionsAreRejectedAtParse() throws {
        let dir = temporaryDirectory()
        try makeDataSets(in: dir)
        let data = dir.appendingPathComponent("good.npz").path
        let text = dir.appendingPathComponent("c.txt").path
        try "Grüezi mitenand.\n".write(toFile: text, atomically: true, encoding: .utf8)
        let ids = dir.appendingPathComponent("ids.bin").path
        try Data((0..<200).flatMap { [UInt8($0), 0] }).write(to: URL(fileURLWithPath: ids))
        let part = dir.appendingPathComponent("t0.part").path
        XCTAssertEqual(try ntpsep(["ingest", text, "--shard", "0/1", "-o", part, "-q"]).status, 0)
        let cases: [([String], String)] = [
            (["stats", data, "--top=-1"], "Error: --top must be 0 or more (got -1)"),
            (["check", data, "--embedding", "onehot", "--top=-1"], "Error: --top must be 0 or more (got -1)"),
            (["check", data, "--embedding", "onehot", "--time-limit=-1"], "Error: --time-limit must be a finite number, 0 or more (got -1.0)"),
            (["check", data, "--embedding", "onehot", "--time-limit", "nan"], "Error: --time-limit must be a finite number, 0 or more (got nan)"),
            (["check", data, "--embedding", "onehot", "--gap-steps=-1"], "Error: --gap-steps must be 0 or more (got -1)"),
            (["check", data, "--embedding", "onehot", "--max-contexts", "0"], "Error: --max-contexts must be a positive integer (got 0)"),
            // A negative value after a space reaches the option's own check, not "Missing value" (QA round 8).
            (["check", data, "--embedding", "onehot", "--max-contexts", "-1"], "Error: --max-contexts must be a positive integer (got -1)"),
            (["stats", data, "--top", "-3"], "Error: --top must be 0 or more (got -3)"),
            (["check", data, "--embedding", "onehot", "--time-limit", "-0.5"], "Error: --time-limit must be a finite number, 0 or more (got -0.5)"),
            // An explicit --order below what --orders needs was silently raised (QA round 8).
            (["stats", text, "--order", "2", "--orders", "1-5"], "Error: --orders asks for order 5, above --order 2: raise --order or omit it"),
            (["solve", data, "--tolerance", "nan", "-o", dir.appendingPathComponent("s.npz").path], "Error: --tolerance must be a positive finite number (got nan)"),
            (["solve", data, "--max-epochs", "0", "-o", dir.appendingPathComponent("s.npz").path], "Error: --max-epochs must be a positive integer (got 0)"),
            (["sweep", data, "--trials", "0"], "Error: --trials must be a positive integer (got 0)"),
            // QA round 11: each refused up front, naming its option, where they ran on or trapped.
            (["ingest", text, "--shard", "-1/2", "-o", dir.appendingPathComponent("p.part").path], "Error: --shard -1/2: expected I/N with 0 ≤ I < N"),
            (["ingest", text, "--memory", "16M", "--temp-dir", "", "-o", dir.appendingPathComponent("x.npz").path], "Error: --temp-dir '': give a folder"),
            (["ingest", text, "-o", "-"], "Error: -o -: outputs go to files, not to stdout"),
            (["ingest", ids, "--format", "u16", "--separator-id", "70000", "-o", dir.appendingPathComponent("x.npz").path],
             "--separator-id 70000 can never occur in \(ids): its ids are uint16, at most 65535"),
            (["synth", "--contexts", "0", "--vocab", "3", "--support", "2", "-o", "a.npz"], "Error: --contexts must be a positive integer (got 0)"),
            (["synth", "--contexts", "3", "--vocab", "1", "--support", "2", "-o", "a.npz"], "Error: --vocab must be at least 2 (got 1)"),
            (["synth", "--contexts", "3", "--vocab", "3", "--support", "0", "-o", "a.npz"], "Error: --support '0': expected K or uniform:LO-HI"),
            (["synth", "--contexts", "3", "--vocab", "3", "--support", "1", "--probabilities", "nan", "-o", "a.npz"], "Error: --probabilities 'nan': expected"),
            (["synth", "--contexts", "3", "--vocab", "3", "--support", "1", "--samples", "0", "-o", "a.npz"], "Error: --samples must be a positive integer (got 0)"),
            (["train", data, "--memory-budget", "nan", "-o", dir.appendingPathComponent("w.npy").path], "Error: --memory-budget must be a positive finite number (got nan)"),
            (["sweep", data, "--min-context-count", "1e20"], "is seen at least 1e+20 times (--min-context-count)"),
            (["ingest", "-", "--shard", "0/2", "-o", dir.appendingPathComponent("s.part").path], "--shard 0/2: standard input cannot be cut into shards"),
            (["stats", part, "--order", "2"], "t0.part: a count part from `ingest --shard`, not a corpus: merge the parts into a data set first"),
            (["check", part, "--embedding", "onehot"], "t0.part: not a zip archive but a count part from `ingest --shard`: merge the parts"),
            (["stats", text, "--locale", "xx"], "--locale 'xx': ICU has no data for this language (give an ICU locale such as en, de_CH or ja, or omit it for the root rules)"),
            (["stats", text, "--locale", "../../etc"], "--locale '../../etc': ICU has no data for this language (give an ICU locale such as en, de_CH or ja, or omit it for the root rules)"),
        ]
        for (arguments, fragment) in cases {
            let run = try ntpsep(arguments)
            XCTAssertEqual(run.status, 1, "\(arguments): \(run.stderr)")
            assertFails(run, with: fragment)
        }
        XCTAssertEqual(try ntpsep(["stats", text, "--locale", "de_CH", "--top", "0"]).status, 0)
        // Without --order, or with one high enough, corpus files are counted at the highest order asked.
        for extra in [[], ["--order", "4"]] {
            let run = try ntpsep(["stats", text, "--orders", "1-4", "--json"] + extra)
            XCTAssertEqual(run.status, 0, run.stderr)
            XCTAssertEqual((try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])?["order"] as? Int, 4, run.stdout)
        }
    }

    /// One token id of 4·10⁹ in a 200-byte u32 file: ids are interned as they come (memory
    /// follows the 3 distinct ids, not the largest value), and u64 ids above 2⁶³ are shown exactly.
    func testLargeTokenIdsFollowDistinctIds() throws {
        let dir = temporaryDirectory()
        try shell("""
        cd '\(dir.path)' && python3 -c "
        import numpy as np
        np.array([5, 7, 4000000000] * 16 + [5, 7], '<u4').tofile('ids.bin')
        np.save('u64.npy', np.array([1, 2**64 - 1], '<u8'))
        "
        """)
        let out = dir.appendingPathComponent("ids.npz").path
        let run = try ntpsep(["ingest", dir.appendingPathComponent("ids.bin").path, "--format", "u32", "--order", "2", "-o", out, "-q"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let vocab = try shell("cd '\(dir.path)' && python3 -c \"import numpy as np; print(np.load('ids.npz')['vocab'].tolist())\"")
        XCTAssertEqual(vocab, "['5', '7', '4000000000']\n")
        let u64 = dir.appendingPathComponent("u64.npy").path
        assertFails(try ntpsep(["ingest", u64, "-o", out + "2"]),
                    with: "\(u64): byte 136: token id 18446744073709551615 out of range (ids must be in 0…4294967294)")
    }

    /// An output folder that is a file, or under one, is named in one line (no NSCocoaErrorDomain).
    func testOutputFolderErrorsAreOneLine() throws {
        let dir = temporaryDirectory()
        let file = dir.appendingPathComponent("taken").path
        try "x".write(toFile: file, atomically: true, encoding: .utf8)
        assertFails(try ntpsep(["reproduce", "-o", file]), with: "Error: --output \(file): \(file) is a file, not a folder; give another folder name")
        assertFails(try ntpsep(["reproduce", "--output", file + "/sub"]), with: "Error: --output \(file)/sub: \(file) is a file, not a folder; give another folder name")
        // --out is the former spelling, kept as a hidden alias.
        assertFails(try ntpsep(["analyze", "--out", file]), with: "Error: --output \(file): \(file) is a file, not a folder; give another folder name")
    }
}
