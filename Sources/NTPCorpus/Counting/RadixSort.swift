import Dispatch

/// LSD radix sorts of UInt64 keys (with Int64 values alongside) on raw buffers.
///
/// 11-bit digits: 2,048 buckets keep the histograms and the scatter targets in L1/L2. One read
/// pass builds the histograms of every digit; digits where all keys agree are skipped.
enum RadixSort {
    static let digitBits = 11
    static let digitMask: UInt64 = (1 << 11) - 1
    static let digitCount = 6      // ⌈64 / 11⌉

    /// Sorts `keys[0..<n]` ascending, permuting `values` alongside when given. `tmpKeys` (and
    /// `tmpValues` with values) are scratch of at least `n` elements; the result ends in `keys`.
    static func sort(_ keys: UnsafeMutablePointer<UInt64>, _ values: UnsafeMutablePointer<Int64>?, count n: Int,
                     tmpKeys: UnsafeMutablePointer<UInt64>, tmpValues: UnsafeMutablePointer<Int64>?) {
        guard n > 1 else { return }
        let buckets = 1 << digitBits
        let histogram = UnsafeMutablePointer<Int>.allocate(capacity: digitCount * buckets)
        defer { histogram.deallocate() }
        histogram.initialize(repeating: 0, count: digitCount * buckets)
        for i in 0..<n {
            let k = keys[i]
            for d in 0..<digitCount { histogram[d * buckets + Int((k &>> UInt64(d * digitBits)) & digitMask)] &+= 1 }
        }
        var src = keys, dst = tmpKeys
        var srcValues = values, dstValues = tmpValues
        for d in 0..<digitCount {
            let h = histogram + d * buckets
            // A digit every key shares leaves the order unchanged.
            if h[Int((keys[0] &>> UInt64(d * digitBits)) & digitMask)] == n { continue }
            var sum = 0
            for b in 0..<buckets { let c = h[b]; h[b] = sum; sum += c }
            let shift = UInt64(d * digitBits)
            if let sv = srcValues, let dv = dstValues {
                for i in 0..<n {
                    let k = src[i]
                    let b = Int((k &>> shift) & digitMask)
                    let p = h[b]
                    dst[p] = k; dv[p] = sv[i]
                    h[b] = p &+ 1
                }
            } else {
                for i in 0..<n {
                    let k = src[i]
                    let b = Int((k &>> shift) & digitMask)
                    let p = h[b]
                    dst[p] = k
                    h[b] = p &+ 1
                }
            }
            swap(&src, &dst)
            swap(&srcValues, &dstValues)
        }
        if src != keys {
            keys.update(from: src, count: n)
            if let values, let sv = srcValues { values.update(from: sv, count: n) }
        }
    }

    /// Sorts (key, value) pairs with two threads: one most-significant-digit pass partitions the
    /// pairs into 2,048 buckets (each thread scatters its half of the input), then each thread
    /// LSD-sorts a contiguous run of buckets holding about half the pairs. Same result as `sort`.
    static func parallelSort(_ keys: UnsafeMutablePointer<UInt64>, _ values: UnsafeMutablePointer<Int64>, count n: Int,
                             tmpKeys: UnsafeMutablePointer<UInt64>, tmpValues: UnsafeMutablePointer<Int64>) {
        guard n >= 1 << 16 else { return sort(keys, values, count: n, tmpKeys: tmpKeys, tmpValues: tmpValues) }
        var orAll: UInt64 = 0
        for i in 0..<n { orAll |= keys[i] }
        guard orAll != 0 else { return }
        let top = 63 - orAll.leadingZeroBitCount
        let shift = UInt64(max(0, top + 1 - digitBits))
        let buckets = 1 << digitBits
        // Per-half histograms of the top digit, then each half's write offsets.
        let offsets = UnsafeMutablePointer<Int>.allocate(capacity: 2 * buckets)
        defer { offsets.deallocate() }
        offsets.initialize(repeating: 0, count: 2 * buckets)
        let half = n / 2
        let pointers = SendablePointers(keys: keys, values: values, tmpKeys: tmpKeys, tmpValues: tmpValues, offsets: offsets)
        DispatchQueue.concurrentPerform(iterations: 2) { t in
            let h = pointers.offsets + t * buckets
            let lo = t == 0 ? 0 : half, hi = t == 0 ? half : n
            for i in lo..<hi { h[Int((pointers.keys[i] &>> shift) & digitMask)] &+= 1 }
        }
        var bucketStart = [Int](repeating: 0, count: buckets + 1)
        var sum = 0
        for b in 0..<buckets {
            bucketStart[b] = sum
            let c0 = offsets[b], c1 = offsets[buckets + b]
            offsets[b] = sum; offsets[buckets + b] = sum + c0
            sum += c0 + c1
        }
        bucketStart[buckets] = n
        DispatchQueue.concurrentPerform(iterations: 2) { t in
            let h = pointers.offsets + t * buckets
            let lo = t == 0 ? 0 : half, hi = t == 0 ? half : n
            for i in lo..<hi {
                let k = pointers.keys[i]
                let b = Int((k &>> shift) & digitMask)
                let p = h[b]
                pointers.tmpKeys[p] = k; pointers.tmpValues[p] = pointers.values[i]
                h[b] = p &+ 1
            }
        }
        // Split the buckets where the running count passes n/2; each side is sorted on its own.
        var split = 0
        while split < buckets && bucketStart[split + 1] <= half { split += 1 }
        let cut = bucketStart[split]
        DispatchQueue.concurrentPerform(iterations: 2) { t in
            let lo = t == 0 ? 0 : cut, hi = t == 0 ? cut : n
            guard hi > lo else { return }
            sort(pointers.tmpKeys + lo, pointers.tmpValues + lo, count: hi - lo,
                 tmpKeys: pointers.keys + lo, tmpValues: pointers.values + lo)
            pointers.keys.advanced(by: lo).update(from: pointers.tmpKeys + lo, count: hi - lo)
            pointers.values.advanced(by: lo).update(from: pointers.tmpValues + lo, count: hi - lo)
        }
    }

    /// The buffers the workers share; each worker touches disjoint ranges.
    private struct SendablePointers: @unchecked Sendable {
        let keys: UnsafeMutablePointer<UInt64>, values: UnsafeMutablePointer<Int64>
        let tmpKeys: UnsafeMutablePointer<UInt64>, tmpValues: UnsafeMutablePointer<Int64>
        let offsets: UnsafeMutablePointer<Int>
    }
}
