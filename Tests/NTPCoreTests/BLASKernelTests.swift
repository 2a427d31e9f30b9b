import Foundation
import XCTest
@testable import NTPCore

/// The BLAS kernel choice (BLASKernelDecision) on hand-described CPUs, and the CPUID/XGETBV probe
/// against the kernel's /proc/cpuinfo flags.
final class BLASKernelTests: XCTestCase {
    /// A CPU with nothing beyond SSE2; tests switch on what they need.
    private func cpu(_ vendor: String = "GenuineIntel", family: Int = 6, model: Int = 207) -> CPUFeatures {
        CPUFeatures(vendor: vendor, family: family, model: model, ssse3: true, sse42: true, avx: false, avx2: false, fma: false,
                    avx512f: false, avx512bw: false, avx512vl: false, avx512dq: false, avx512bf16: false,
                    osYMM: true, osZMM: true)
    }
    private func withAVX2(_ c: CPUFeatures) -> CPUFeatures { var c = c; c.avx = true; c.avx2 = true; c.fma = true; return c }
    private func withAVX512(_ c: CPUFeatures) -> CPUFeatures {
        var c = withAVX2(c); c.avx512f = true; c.avx512bw = true; c.avx512vl = true; c.avx512dq = true; return c
    }

    /// The machine: a family-6 model-207 Xeon with AVX-512 on which OpenBLAS 0.3.21 picks Prescott.
    func testGenericCoreOnAVX512XeonRestartsWithSkylakeX() {
        let d = BLASKernelDecision.decide(userCoreType: nil, reported: "Prescott", cpu: withAVX512(cpu()))
        XCTAssertEqual(d.kernel, "SkylakeX")
        XCTAssertTrue(d.needsRestart)
        XCTAssertEqual(d.reason, "OpenBLAS picked Prescott (SSE2) but the CPU and OS support AVX-512F/BW/VL/DQ")
        var bf16 = withAVX512(cpu()); bf16.avx512bf16 = true
        XCTAssertEqual(BLASKernelDecision.decide(userCoreType: nil, reported: "Nehalem", cpu: bf16).kernel, "Cooperlake")
    }

    func testAVX2MachinesGetHaswellOnIntelAndZenOnAMD() {
        let intel = BLASKernelDecision.decide(userCoreType: nil, reported: "Core2", cpu: withAVX2(cpu()))
        XCTAssertEqual(intel.kernel, "Haswell"); XCTAssertTrue(intel.needsRestart)
        let amd = BLASKernelDecision.decide(userCoreType: nil, reported: "Prescott", cpu: withAVX2(cpu("AuthenticAMD", family: 25, model: 17)))
        XCTAssertEqual(amd.kernel, "Zen"); XCTAssertTrue(amd.needsRestart)
        // Excavator's OpenBLAS kernels are AVX-level: an AVX2 CPU reported as Excavator moves up.
        XCTAssertTrue(BLASKernelDecision.decide(userCoreType: nil, reported: "Excavator", cpu: withAVX2(cpu("AuthenticAMD"))).needsRestart)
    }

    /// AVX-512 flags without the OS saving ZMM state do not count (CPUFeatures.current() clears
    /// them then); AVX without YMM state neither.
    func testLevelFollowsUsableFeatures() {
        XCTAssertEqual(withAVX2(cpu()).level, .avx2FMA)
        var noFMA = withAVX2(cpu()); noFMA.fma = false
        XCTAssertEqual(noFMA.level, .avx)
        var partial = withAVX512(cpu()); partial.avx512bw = false
        XCTAssertEqual(partial.level, .avx2FMA)
        XCTAssertEqual(partial.bestOpenBLASCore, "Haswell")
        var old = cpu(); old.sse42 = false
        XCTAssertEqual(old.level, .ssse3)
        XCTAssertEqual(old.bestOpenBLASCore, "Core2")
    }

    func testUserCoreTypeIsNeverOverridden() {
        let d = BLASKernelDecision.decide(userCoreType: "Prescott", reported: "Prescott", cpu: withAVX512(cpu()))
        XCTAssertFalse(d.needsRestart)
        XCTAssertEqual(d.kernel, "Prescott")
        XCTAssertEqual(d.reason, "OPENBLAS_CORETYPE=Prescott set by the user (never overridden)")
    }

    func testMatchingOrStrongerOrUnknownCoreIsKept() {
        for (reported, c) in [("SkylakeX", withAVX512(cpu())), ("Cooperlake", withAVX512(cpu())), ("Zen", withAVX2(cpu("AuthenticAMD"))),
                              ("SkylakeX", withAVX2(cpu())), ("Sandybridge", { var c = cpu(); c.avx = true; return c }()),
                              ("NewCore2030", withAVX512(cpu()))] {
            let d = BLASKernelDecision.decide(userCoreType: nil, reported: reported, cpu: c)
            XCTAssertFalse(d.needsRestart, reported)
            XCTAssertEqual(d.kernel, reported)
        }
    }

    func testOpenBLASCoreLevels() {
        XCTAssertEqual(SIMDLevel(openBLASCore: "Prescott"), .sse2)
        XCTAssertEqual(SIMDLevel(openBLASCore: "NEHALEM"), .sse42)
        XCTAssertEqual(SIMDLevel(openBLASCore: "Haswell"), .avx2FMA)
        XCTAssertEqual(SIMDLevel(openBLASCore: "skylakex"), .avx512)
        XCTAssertNil(SIMDLevel(openBLASCore: "ARMV8"))
    }

    /// Linux lists a feature in /proc/cpuinfo only when the CPU has it and the kernel enabled its
    /// state, so the flags are an independent check of CPUID + XGETBV.
    func testProbeAgreesWithProcCPUInfo() throws {
        #if os(Linux) && arch(x86_64)
        let text = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
        let line = try XCTUnwrap(text.split(separator: "\n").first { $0.hasPrefix("flags") })
        let flags = Set(line.split(separator: ":")[1].split(separator: " ").map(String.init))
        let c = CPUFeatures.current()
        XCTAssertEqual(c.avx, flags.contains("avx"))
        XCTAssertEqual(c.avx2, flags.contains("avx2"))
        XCTAssertEqual(c.fma, flags.contains("fma"))
        XCTAssertEqual(c.sse42, flags.contains("sse4_2"))
        XCTAssertEqual(c.avx512f, flags.contains("avx512f"))
        XCTAssertEqual(c.avx512bw, flags.contains("avx512bw"))
        XCTAssertEqual(c.avx512vl, flags.contains("avx512vl"))
        XCTAssertEqual(c.avx512dq, flags.contains("avx512dq"))
        XCTAssertEqual(c.avx512bf16, flags.contains("avx512_bf16"))
        let family = text.split(separator: "\n").first { $0.hasPrefix("cpu family") }.flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) }
        XCTAssertEqual(c.family, family)
        #else
        throw XCTSkip("x86-64 Linux only")
        #endif
    }
}
