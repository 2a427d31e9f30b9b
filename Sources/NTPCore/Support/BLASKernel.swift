import CKernels
import COpenBLAS

/// The instruction-set level of a BLAS kernel or of a CPU (with the OS's register-state support),
/// ordered from weakest to strongest. OpenBLAS's kernels for one level use the same vector width
/// and FMA support, so a kernel of a lower level than the CPU's leaves speed unused.
public enum SIMDLevel: Int, Comparable, Sendable, CustomStringConvertible {
    case sse2 = 0, ssse3, sse42, avx, avx2FMA, avx512

    public static func < (a: SIMDLevel, b: SIMDLevel) -> Bool { a.rawValue < b.rawValue }

    public var description: String {
        switch self {
        case .sse2: return "SSE2"
        case .ssse3: return "SSSE3"
        case .sse42: return "SSE4.2"
        case .avx: return "AVX"
        case .avx2FMA: return "AVX2+FMA"
        case .avx512: return "AVX-512F/BW/VL/DQ"
        }
    }

    /// The level of an OpenBLAS core name (as `openblas_get_corename` spells it), nil when unknown.
    public init?(openBLASCore name: String) {
        switch name.lowercased() {
        case "unknown", "katmai", "coppermine", "northwood", "prescott", "banias",
             "athlon", "opteron", "opteron_sse3":
            self = .sse2
        case "atom", "core2", "penryn", "dunnington", "nano", "bobcat":
            self = .ssse3
        case "nehalem", "barcelona":
            self = .sse42
        // Excavator has AVX2, but OpenBLAS's Excavator kernels are the Bulldozer-family (AVX/FMA4) ones.
        case "sandybridge", "bulldozer", "piledriver", "steamroller", "excavator":
            self = .avx
        case "haswell", "zen":
            self = .avx2FMA
        case "skylakex", "cooperlake", "sapphirerapids":
            self = .avx512
        default:
            return nil
        }
    }
}

/// What this CPU and its operating system support (CPUID + XGETBV), as far as BLAS kernels care.
public struct CPUFeatures: Sendable, Equatable {
    /// CPUID vendor string, e.g. "GenuineIntel" ("" off x86-64).
    public var vendor: String
    /// Display family and model.
    public var family: Int, model: Int
    /// Usable instruction sets: the CPU flag is set and (for AVX and AVX-512) the OS saves the registers.
    public var ssse3: Bool, sse42: Bool, avx: Bool, avx2: Bool, fma: Bool
    /// Usable AVX-512 subsets (CPU flag and OS ZMM/opmask state).
    public var avx512f: Bool, avx512bw: Bool, avx512vl: Bool, avx512dq: Bool, avx512bf16: Bool
    /// XCR0 says the OS saves YMM / ZMM+opmask state.
    public var osYMM: Bool, osZMM: Bool

    /// Reads the features of the calling CPU.
    public static func current() -> CPUFeatures {
        var raw = ck_cpu_features()
        ck_cpu_features_read(&raw)
        let vendor = withUnsafeBytes(of: raw.vendor) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        return CPUFeatures(vendor: vendor, family: Int(raw.family), model: Int(raw.model),
                           ssse3: raw.ssse3 != 0, sse42: raw.sse4_2 != 0, avx: raw.avx != 0,
                           avx2: raw.avx2 != 0, fma: raw.fma != 0,
                           avx512f: raw.avx512f != 0, avx512bw: raw.avx512bw != 0, avx512vl: raw.avx512vl != 0,
                           avx512dq: raw.avx512dq != 0, avx512bf16: raw.avx512bf16 != 0,
                           osYMM: raw.osYMM != 0, osZMM: raw.osZMM != 0)
    }

    /// The strongest level usable here.
    public var level: SIMDLevel {
        if avx512f && avx512bw && avx512vl && avx512dq { return .avx512 }
        if avx2 && fma { return .avx2FMA }
        if avx { return .avx }
        if sse42 { return .sse42 }
        if ssse3 { return .ssse3 }
        return .sse2
    }

    /// The OpenBLAS 0.3.21 core name to ask for at this CPU's level.
    /// Cooper Lake's kernels are SkylakeX's plus BF16, and OpenBLAS's Zen kernels are Haswell's
    /// with AMD cache blocking; levels below AVX2 are named after the Intel core OpenBLAS has.
    public var bestOpenBLASCore: String {
        let amd = vendor == "AuthenticAMD" || vendor == "HygonGenuine"
        switch level {
        case .avx512: return avx512bf16 ? "Cooperlake" : "SkylakeX"
        case .avx2FMA: return amd ? "Zen" : "Haswell"
        case .avx: return "Sandybridge"
        case .sse42: return "Nehalem"
        case .ssse3: return "Core2"
        case .sse2: return "Prescott"
        }
    }

    /// One line for logs: vendor, family/model and the usable level.
    public var summary: String {
        let osState = osZMM ? "YMM+ZMM" : osYMM ? "YMM" : "no AVX"
        return "\(vendor.isEmpty ? "non-x86" : vendor) family \(family) model \(model), usable \(level) (OS saves \(osState) state)"
    }
}

/// Whether to run with OpenBLAS's own kernel choice or to restart with a stronger one.
/// Pure: the inputs are the environment's `OPENBLAS_CORETYPE`, the core OpenBLAS picked and the CPU.
public struct BLASKernelDecision: Sendable, Equatable {
    /// The kernel to run with.
    public var kernel: String
    /// True when the process must set `OPENBLAS_CORETYPE = kernel` and restart before OpenBLAS loads.
    public var needsRestart: Bool
    /// Why this kernel, for `ntpsep doctor`.
    public var reason: String

    /// Decides. `userCoreType` is the `OPENBLAS_CORETYPE` the user set (never overridden);
    /// `reported` is `openblas_get_corename()` of the loaded library.
    public static func decide(userCoreType: String?, reported: String, cpu: CPUFeatures) -> BLASKernelDecision {
        if let user = userCoreType, !user.isEmpty {
            return BLASKernelDecision(kernel: reported, needsRestart: false,
                                      reason: "OPENBLAS_CORETYPE=\(user) set by the user (never overridden)")
        }
        guard let have = SIMDLevel(openBLASCore: reported) else {
            return BLASKernelDecision(kernel: reported, needsRestart: false,
                                      reason: "OpenBLAS's own choice (core name not ranked here)")
        }
        if have < cpu.level {
            return BLASKernelDecision(kernel: cpu.bestOpenBLASCore, needsRestart: true,
                                      reason: "OpenBLAS picked \(reported) (\(have)) but the CPU and OS support \(cpu.level)")
        }
        return BLASKernelDecision(kernel: reported, needsRestart: false,
                                  reason: "OpenBLAS's own choice, \(have), matches the CPU's \(cpu.level)")
    }
}

/// The loaded BLAS library, for `ntpsep doctor` and benchmark logs.
public enum BLASLibrary {
    /// `openblas_get_config()`, e.g. "OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH NO_AFFINITY SkylakeX MAX_THREADS=64".
    public static var configuration: String { String(cString: openblas_get_config()) }

    /// The version word of `configuration` ("0.3.21"), or "?" when absent.
    public static var version: String {
        let words = configuration.split(separator: " ")
        guard let i = words.firstIndex(of: "OpenBLAS"), i + 1 < words.count else { return "?" }
        return String(words[i + 1])
    }

    /// The kernel in use (`openblas_get_corename()`).
    public static var kernel: String { blasCoreName() }
}

/// The CKernels variant in use ("avx512", "avx2" or "baseline") and the widest this CPU supports.
public func cKernelsVariant() -> (current: String, supported: String) {
    let names = ["baseline", "avx2", "avx512"]
    return (names[Int(ck_isa())], names[Int(ck_isa_supported())])
}
