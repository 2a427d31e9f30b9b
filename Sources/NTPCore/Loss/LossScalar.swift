import CKernels
import COpenBLAS

/// Arithmetic precision of the loss/gradient computation. Parameters, optimizer state and all
/// reported numbers stay Float64; `.float32` only lowers the precision of the GEMMs and the
/// softmax pass (about twice as fast, ~1e-6 relative accuracy).
public enum Precision: String, Sendable, CaseIterable, Codable {
    case float64, float32
}

/// The two element types the loss kernels are specialised for (Double, Float).
/// Internal: callers only ever see `[Double]`.
protocol LossScalar: BinaryFloatingPoint, SIMDScalar, Sendable, Codable {
    /// Row-major C = alpha · op(A) · op(B) + beta · C.
    static func gemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
                     a: UnsafePointer<Self>, lda: Int, b: UnsafePointer<Self>, ldb: Int,
                     beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int)
    /// x ← exp(x) for `count` elements.
    static func expInPlace(_ x: UnsafeMutablePointer<Self>, count: Int)
    /// x ← exp(x − shift), returning the sum.
    static func expShiftedSum(_ x: UnsafeMutablePointer<Self>, count: Int, shift: Self) -> Double
    /// max of x[0..<count] (NaN entries ignored; −∞ when empty).
    static func maxOf(_ x: UnsafeMutablePointer<Self>, count: Int) -> Self
    /// x ← x · s.
    static func scaleInPlace(_ x: UnsafeMutablePointer<Self>, count: Int, by s: Self)
    /// out (cols × rows) = aᵀ for row-major a (rows × cols).
    static func transpose(_ a: UnsafePointer<Self>, rows: Int, cols: Int, into out: UnsafeMutablePointer<Self>)
    /// Conversion from the Double interface.
    init(_ d: Double)
    /// Conversion to the Double interface.
    var asDouble: Double { get }
}

extension Double: LossScalar {
    static func gemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
                     a: UnsafePointer<Double>, lda: Int, b: UnsafePointer<Double>, ldb: Int,
                     beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int) {
        cblas_dgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), 1, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
    // Double kernels are the runtime-dispatched C ones (CKernels); Float keeps FastExp.
    static func expInPlace(_ x: UnsafeMutablePointer<Double>, count: Int) { ck_exp(x, Int64(count)) }
    static func expShiftedSum(_ x: UnsafeMutablePointer<Double>, count: Int, shift: Double) -> Double {
        ck_exp_shifted_sum(x, x, Int64(count), shift)
    }
    static func maxOf(_ x: UnsafeMutablePointer<Double>, count: Int) -> Double { ck_max(x, Int64(count)) }
    static func scaleInPlace(_ x: UnsafeMutablePointer<Double>, count: Int, by s: Double) { ck_scale(x, Int64(count), s) }
    static func transpose(_ a: UnsafePointer<Double>, rows: Int, cols: Int, into out: UnsafeMutablePointer<Double>) {
        cblas_domatcopy(CblasRowMajor, CblasTrans, Int32(rows), Int32(cols), 1, a, Int32(cols), out, Int32(rows))
    }
    var asDouble: Double { self }
}

extension Float: LossScalar {
    static func gemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
                     a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                     beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), 1, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
    static func expInPlace(_ x: UnsafeMutablePointer<Float>, count: Int) { FastExp.expInPlace(x, count: count) }
    static func expShiftedSum(_ x: UnsafeMutablePointer<Float>, count: Int, shift: Float) -> Double {
        FastExp.expShiftedSum(x, count: count, shift: shift)
    }
    static func maxOf(_ x: UnsafeMutablePointer<Float>, count: Int) -> Float { rowMax(x, count) }
    static func scaleInPlace(_ x: UnsafeMutablePointer<Float>, count: Int, by s: Float) {
        for i in 0..<count { x[i] *= s }
    }
    static func transpose(_ a: UnsafePointer<Float>, rows: Int, cols: Int, into out: UnsafeMutablePointer<Float>) {
        cblas_somatcopy(CblasRowMajor, CblasTrans, Int32(rows), Int32(cols), 1, a, Int32(cols), out, Int32(rows))
    }
    var asDouble: Double { Double(self) }
}

/// Sets the number of OpenBLAS threads used by every GEMM (process-wide).
public func setBLASThreads(_ n: Int) { openblas_set_num_threads(Int32(max(1, n))) }

/// The current number of OpenBLAS threads.
public func blasThreadCount() -> Int { Int(openblas_get_num_threads()) }

/// The OpenBLAS kernel name (e.g. "SkylakeX"), for benchmark logs.
public func blasCoreName() -> String { String(cString: openblas_get_corename()) }

/// Max of a row. Four scalar accumulators: SIMD `.replacing(with:where:)` on a generic
/// vector was lowered lane by lane through the stack (30 ns/element, measured).
@inline(__always) func rowMax<T: LossScalar>(_ x: UnsafeMutablePointer<T>, _ n: Int) -> T {
    var m0 = -T.infinity, m1 = m0, m2 = m0, m3 = m0
    var i = 0
    while i + 4 <= n {
        m0 = x[i] > m0 ? x[i] : m0
        m1 = x[i + 1] > m1 ? x[i + 1] : m1
        m2 = x[i + 2] > m2 ? x[i + 2] : m2
        m3 = x[i + 3] > m3 ? x[i + 3] : m3
        i += 4
    }
    while i < n { m0 = x[i] > m0 ? x[i] : m0; i += 1 }
    m0 = m1 > m0 ? m1 : m0
    m2 = m3 > m2 ? m3 : m2
    return m2 > m0 ? m2 : m0
}
