import XCTest
import TestSupport
import Foundation
import NTPFormats

/// `ntpsep doctor` and the restart with a stronger OpenBLAS kernel (BLASKernelStartup).
final class BLASKernelCLITests: XCTestCase {
    /// The value of `key:` in doctor's output.
    private func doctor(_ environment: [String: String] = [:]) throws -> [String: String] {
        let run = try ntpsep(["doctor"], environment: environment)
        XCTAssertEqual(run.status, 0, run.stderr)
        var fields: [String: String] = [:]
        for line in run.stdout.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[String(line[..<colon])] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return fields
    }

    func testUserCoreTypeIsKept() throws {
        let fields = try doctor(["OPENBLAS_CORETYPE": "Prescott"])
        XCTAssertEqual(fields["blas kernel"], "Prescott")
        XCTAssertEqual(fields["kernel reason"], "OPENBLAS_CORETYPE=Prescott set by the user (never overridden)")
        XCTAssertEqual(fields["blas library"]?.hasPrefix("OpenBLAS "), true)
        XCTAssertNotNil(fields["ckernels"])
        XCTAssertNotNil(fields["blas threads"])
    }

    /// As if OpenBLAS had picked its generic core: the process restarts once with the CPU's kernel.
    func testGenericCoreRestartsWithTheCPUsKernel() throws {
        let own = try doctor()
        guard own["cpu features"]?.contains("usable SSE2 ") == false else { throw XCTSkip("an SSE2-only CPU has no stronger kernel") }
        let fields = try doctor(["NTPSEP_BLAS_PRETEND_CORE": "Prescott", "OPENBLAS_CORETYPE": ""])
        XCTAssertNotEqual(fields["blas kernel"], "Prescott")
        XCTAssertEqual(fields["kernel reason"]?.hasPrefix("OpenBLAS picked Prescott (SSE2) but the CPU and OS support "), true,
                       fields["kernel reason"] ?? "")
        XCTAssertNil(fields["warning"])   // OpenBLAS runs the kernel asked for
    }

    /// The chosen kernel and the generic one give the same GD iterates to 1e-12 relative
    /// (dgemm-heavy: dense Gaussian features, V = 60, d = 96, m = 400).
    func testChosenKernelMatchesGenericKernel() throws {
        let dir = temporaryDirectory()
        let data = dir.appendingPathComponent("d.npz").path, h = dir.appendingPathComponent("H.npy").path
        XCTAssertEqual(try ntpsep(["synth", "--contexts", "400", "--vocab", "60", "--support", "uniform:1-8", "--samples", "20000",
                                   "--seed", "3", "--dim", "96", "--embeddings-out", h, "-o", data, "-q"]).status, 0)
        func train(_ environment: [String: String], _ name: String) throws -> [Double] {
            let w = dir.appendingPathComponent(name).path
            let run = try ntpsep(["train", data, "--embedding", "file:\(h)", "--steps", "20", "--lr", "0.5", "--reference", "none",
                                  "--out", w], environment: environment)
            XCTAssertEqual(run.status, 0, run.stderr)
            return try readNPY(path: w).doubles()
        }
        let generic = try train(["OPENBLAS_CORETYPE": "Prescott"], "generic.npy")
        let chosen = try train([:], "chosen.npy")
        XCTAssertEqual(generic.count, 60 * 96)
        XCTAssertEqual(chosen.count, generic.count)
        let scale = generic.map(abs).max()!
        XCTAssertGreaterThan(scale, 0.01)   // 20 steps moved W away from 0
        var worst = 0.0
        for i in generic.indices { worst = max(worst, abs(chosen[i] - generic[i])) }
        XCTAssertLessThanOrEqual(worst / scale, 1e-12)
        let kernels = (try doctor(["OPENBLAS_CORETYPE": "Prescott"])["blas kernel"], try doctor()["blas kernel"])
        XCTAssertEqual(kernels.0, "Prescott")
        if kernels.1 == "Prescott" { throw XCTSkip("this CPU's kernel is the generic one: nothing to compare") }
    }
}
