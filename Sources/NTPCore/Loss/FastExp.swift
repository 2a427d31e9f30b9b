// Vectorised exp for the softmax pass, in Swift (baseline x86-64 code: SSE2 only).
//
// Since the CKernels C target, Float64 losses use its runtime-dispatched AVX-512 / AVX2 kernels
// (`ck_exp`, `ck_exp_shifted_sum`: within 1 ulp of glibc); these Swift kernels remain for the
// Float32 precision and as an independent implementation.
//
// glibc's exp is a function call per element (~5 ns); the softmax over V × m logits is the only
// transcendental work in a step, so it gets its own kernel. Method: x = k·ln2 + r with k rounded
// by the 1.5·2^52 "shifter" trick (no float→int conversion, which Swift lowers lane by lane),
// Cody–Waite two-constant reduction, a degree-13 (Float: degree-7) Taylor polynomial evaluated by
// Estrin's scheme (short dependency chains: Horner was latency-bound at 2× the cost), and the
// 2^k scale built directly in the exponent bits. Measured against glibc over [-708, 709]: at most
// 2 ulp for Double, at most 2 ulp for Float (see LossTests). Inputs below the underflow limit
// return exactly 0; softmax only ever passes x − max ≤ 0, so the clamp at the top never matters.

/// A scalar type with a vectorised exp: Double in 8 lanes (degree-13 polynomial), Float in 16
/// (degree 7). The loops over memory are written once, in `FastExp`, for both.
public protocol FastExpScalar: BinaryFloatingPoint, SIMDScalar, Codable {
    /// The vector the kernel works on (one AVX-512 register's worth).
    associatedtype FastExpLanes: SIMD where FastExpLanes.Scalar == Self
    /// exp of every lane (0 below the underflow limit).
    static func fastExp(_ x: FastExpLanes) -> FastExpLanes
}

extension Double: FastExpScalar {
    /// 8 lanes.
    public typealias FastExpLanes = SIMD8<Double>

    /// Degree-13 Taylor polynomial (≤ 2 ulp from glibc's exp; 0 below −708).
    @inlinable @inline(__always)
    public static func fastExp(_ x0: SIMD8<Double>) -> SIMD8<Double> {
        typealias DV = SIMD8<Double>
        let lo = DV(repeating: -708.0), hi = DV(repeating: 709.0)
        var x = x0.replacing(with: lo, where: x0 .< lo)
        x = x.replacing(with: hi, where: x .> hi)
        let shifter = DV(repeating: 0x1.8p52)
        let t = x * 1.4426950408889634 + shifter
        let k = t - shifter
        let r = (x - k * 0.6931471803691238) - k * 1.9082149292705877e-10
        let r2 = r * r, r4 = r2 * r2, r8 = r4 * r4
        let q0 = 1.0 + r
        let q1 = 0.5 + r * (1.0 / 6.0)
        let q2 = (1.0 / 24.0) + r * (1.0 / 120.0)
        let q3 = (1.0 / 720.0) + r * (1.0 / 5040.0)
        let q4 = (1.0 / 40320.0) + r * (1.0 / 362880.0)
        let q5 = (1.0 / 3628800.0) + r * (1.0 / 39916800.0)
        let q6 = (1.0 / 479001600.0) + r * (1.0 / 6227020800.0)
        let s0 = q0 + q1 * r2, s1 = q2 + q3 * r2, s2 = q4 + q5 * r2
        let u0 = s0 + s1 * r4, u1 = s2 + q6 * r4
        let p = u0 + u1 * r8
        let bits = unsafeBitCast(t, to: SIMD8<UInt64>.self)
        let scale = unsafeBitCast((bits &+ 1023) &<< 52, to: DV.self)
        return (p * scale).replacing(with: 0, where: x0 .< lo)
    }
}

extension Float: FastExpScalar {
    /// 16 lanes.
    public typealias FastExpLanes = SIMD16<Float>

    /// Degree-7 Taylor polynomial (≤ 2 ulp from glibc's expf; 0 below −87.3).
    @inlinable @inline(__always)
    public static func fastExp(_ x0: SIMD16<Float>) -> SIMD16<Float> {
        typealias FV = SIMD16<Float>
        let lo = FV(repeating: -87.3), hi = FV(repeating: 88.5)
        var x = x0.replacing(with: lo, where: x0 .< lo)
        x = x.replacing(with: hi, where: x .> hi)
        let shifter = FV(repeating: 0x1.8p23)
        let t = x * 1.44269504 + shifter
        let k = t - shifter
        let r = (x - k * 0.693359375) - k * -2.12194440e-4
        let r2 = r * r, r4 = r2 * r2
        let q0 = 1.0 + r
        let q1 = 0.5 + r * (1.0 / 6.0)
        let q2 = (1.0 / 24.0) + r * (1.0 / 120.0)
        let q3 = (1.0 / 720.0) + r * (1.0 / 5040.0)
        let p = (q0 + q1 * r2) + (q2 + q3 * r2) * r4
        let bits = unsafeBitCast(t, to: SIMD16<UInt32>.self)
        let scale = unsafeBitCast((bits &+ 127) &<< 23, to: FV.self)
        return (p * scale).replacing(with: 0, where: x0 .< lo)
    }
}

/// Element-wise exp kernels used by the loss engine. Generic over the element type, and
/// specialised at every call (all `@inlinable`): the loops compile to the same code a Double-only
/// and a Float-only copy did.
public enum FastExp {
    /// Replaces `x[0..<count]` by exp(x) (≤ 2 ulp from glibc's exp / expf; 0 below −708 / −87.3).
    @inlinable
    public static func expInPlace<T: FastExpScalar>(_ x: UnsafeMutablePointer<T>, count: Int) {
        let width = T.FastExpLanes.scalarCount, stride = MemoryLayout<T>.stride
        let raw = UnsafeMutableRawPointer(x)
        var i = 0
        while i + width <= count {
            let v = raw.loadUnaligned(fromByteOffset: i * stride, as: T.FastExpLanes.self)
            raw.storeBytes(of: T.fastExp(v), toByteOffset: i * stride, as: T.FastExpLanes.self)
            i += width
        }
        if i < count {
            // The tail goes through the same vector code so every element is computed identically.
            var v = T.FastExpLanes(repeating: 0)
            for t in i..<count { v[t - i] = x[t] }
            let e = T.fastExp(v)
            for t in i..<count { x[t] = e[t - i] }
        }
    }

    /// x ← exp(x − shift), returning Σ exp(x − shift): one pass instead of three in the softmax.
    /// Each element gets exactly the value `expInPlace` would give for x − shift. The sum is
    /// accumulated in `T` lanes, then in Double.
    @inlinable
    public static func expShiftedSum<T: FastExpScalar>(_ x: UnsafeMutablePointer<T>, count: Int, shift: T) -> Double {
        let width = T.FastExpLanes.scalarCount, stride = MemoryLayout<T>.stride
        let raw = UnsafeMutableRawPointer(x)
        var acc = T.FastExpLanes(repeating: 0)
        var i = 0
        while i + width <= count {
            let v = raw.loadUnaligned(fromByteOffset: i * stride, as: T.FastExpLanes.self) - shift
            let e = T.fastExp(v)
            raw.storeBytes(of: e, toByteOffset: i * stride, as: T.FastExpLanes.self)
            acc += e
            i += width
        }
        var s = Double(acc.sum())
        if i < count {
            var v = T.FastExpLanes(repeating: -T.infinity)
            for t in i..<count { v[t - i] = x[t] - shift }
            let e = T.fastExp(v)
            for t in i..<count { x[t] = e[t - i]; s += Double(e[t - i]) }
        }
        return s
    }
}
