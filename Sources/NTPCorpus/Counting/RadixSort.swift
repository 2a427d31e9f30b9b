import Dispatch

/// Radix sort of UInt64 keys (with Int64 values alongside) on raw buffers; stable.
///
/// One most-significant pass spreads the keys into about 2,048 buckets of similar size: a
/// histogram of their top 16 bits is cut into contiguous prefix ranges holding ~n/2,048 keys
/// each, so skewed keys (n-grams mostly starting with frequent, small ids) still give small
/// buckets. Each bucket, a few thousand keys that sit in L1/L2, is then LSD-sorted by 8- or
/// 11-bit digits over the bits where its keys differ. A full-width LSD pass over a large array
/// would miss the cache and the TLB on nearly every write; here only the first pass does.
/// With `threads: 2` each thread scatters half the input and sorts about half the buckets.
enum RadixSort {
    static let prefixBits = 16
    static let prefixCount = 1 << prefixBits
    static let prefixMask = UInt64(prefixCount - 1)
    private static let targetBuckets = 2048

    /// Top-16-bit counts of keys the caller produced itself (fusing this pass into its own):
    /// `counts[part * 65,536 + (key >> shift) & 0xFFFF]` over the parts
    /// `part * n / parts ..< (part + 1) * n / parts`.
    struct PrefixHistogram {
        let shift: UInt64
        let parts: Int
        let counts: UnsafeMutablePointer<Int>

        /// A zeroed histogram whose prefixes are the top 16 bits of `maxKey`'s width.
        init(maxKey: UInt64, parts: Int) {
            shift = UInt64(max(0, 64 - maxKey.leadingZeroBitCount - RadixSort.prefixBits))
            self.parts = parts
            counts = .allocate(capacity: parts * RadixSort.prefixCount)
            counts.initialize(repeating: 0, count: parts * RadixSort.prefixCount)
        }
        func deallocate() { counts.deallocate() }
    }

    /// Sorts `keys[0..<n]` ascending, permuting `values` alongside when given. `tmpKeys` (and
    /// `tmpValues` with values) are scratch of at least `n` elements; the result ends in `keys`.
    static func sort(_ keys: UnsafeMutablePointer<UInt64>, _ values: UnsafeMutablePointer<Int64>?, count n: Int,
                     tmpKeys: UnsafeMutablePointer<UInt64>, tmpValues: UnsafeMutablePointer<Int64>?, threads: Int = 1,
                     histogram given: PrefixHistogram? = nil) {
        guard n > 1 else { return }
        if n <= 4096 {
            sortInCache(keys, values, count: n, scratch: tmpKeys, scratchValues: tmpValues, into: keys, values)
            return
        }
        let histogram: PrefixHistogram
        if let given {
            histogram = given
        } else {
            let parts = threads > 1 && n >= 1 << 16 ? 2 : 1
            var orAll: UInt64 = 0, andAll: UInt64 = .max
            for i in 0..<n { orAll |= keys[i]; andAll &= keys[i] }
            // The prefix is the top 16 bits where keys differ (so a bucket sorted again by this
            // function always splits further); bits above them are the same in every key.
            let varying = orAll ^ andAll
            guard varying != 0 else { return }
            histogram = PrefixHistogram(maxKey: varying, parts: parts)
            let h = histogram
            DispatchQueue.concurrentPerform(iterations: parts) { part in
                let c = h.counts + part * prefixCount
                for i in (part * n / parts)..<((part + 1) * n / parts) { c[Int((keys[i] &>> h.shift) & prefixMask)] &+= 1 }
            }
        }
        defer { if given == nil { histogram.deallocate() } }
        let parts = histogram.parts, shift = histogram.shift
        // Contiguous prefix ranges of about n / 2,048 keys: prefix -> bucket, and bucket starts.
        let bucketOf = UnsafeMutablePointer<UInt16>.allocate(capacity: prefixCount)
        defer { bucketOf.deallocate() }
        var bucketStart = [0]
        let target = max(1, n / targetBuckets)
        var inBucket = 0, total = 0
        for prefix in 0..<prefixCount {
            var c = 0
            for part in 0..<parts { c += histogram.counts[part * prefixCount + prefix] }
            if inBucket > 0 && inBucket + c > target && bucketStart.count < Int(UInt16.max) {
                bucketStart.append(total); inBucket = 0
            }
            bucketOf[prefix] = UInt16(bucketStart.count - 1)
            inBucket += c; total += c
        }
        bucketStart.append(n)
        let buckets = bucketStart.count - 1
        // Write offsets per (part, bucket): bucket by bucket, the first part's keys first (stable).
        let offsets = UnsafeMutablePointer<Int>.allocate(capacity: parts * buckets)
        defer { offsets.deallocate() }
        offsets.initialize(repeating: 0, count: parts * buckets)
        for part in 0..<parts {
            for prefix in 0..<prefixCount { offsets[part * buckets + Int(bucketOf[prefix])] += histogram.counts[part * prefixCount + prefix] }
        }
        var sum = 0
        for b in 0..<buckets {
            for part in 0..<parts { let c = offsets[part * buckets + b]; offsets[part * buckets + b] = sum; sum += c }
        }
        let p = Shared(keys: keys, values: values, tmpKeys: tmpKeys, tmpValues: tmpValues, offsets: offsets)
        let table = SharedConstPointer(base: UnsafePointer(bucketOf))
        DispatchQueue.concurrentPerform(iterations: parts) { part in
            let h = p.offsets + part * buckets
            let range = (part * n / parts)..<((part + 1) * n / parts)
            if let v = p.values, let tv = p.tmpValues {
                for i in range {
                    let k = p.keys[i]
                    let b = Int(table.base[Int((k &>> shift) & prefixMask)])
                    let at = h[b]
                    p.tmpKeys[at] = k; tv[at] = v[i]
                    h[b] = at &+ 1
                }
            } else {
                for i in range {
                    let k = p.keys[i]
                    let b = Int(table.base[Int((k &>> shift) & prefixMask)])
                    let at = h[b]
                    p.tmpKeys[at] = k
                    h[b] = at &+ 1
                }
            }
        }
        // Each part sorts a contiguous run of buckets holding about n / parts keys.
        var firstBucket = [0]
        for part in 1..<max(parts, 1) where parts > 1 {
            var b = firstBucket[part - 1]
            while b < buckets && bucketStart[b + 1] <= part * n / parts { b += 1 }
            firstBucket.append(b)
        }
        firstBucket.append(buckets)
        bucketStart.withUnsafeBufferPointer { starts in
            let s = SharedConstPointer(base: starts.baseAddress!)
            DispatchQueue.concurrentPerform(iterations: parts) { part in
                for b in firstBucket[part]..<firstBucket[part + 1] {
                    let lo = s.base[b], count = s.base[b + 1] - lo
                    guard count > 0 else { continue }
                    if count > 1 << 16 {
                        // One 16-bit prefix holds this many keys: it gets its own most-significant pass.
                        sort(p.tmpKeys + lo, p.tmpValues.map { $0 + lo }, count: count,
                             tmpKeys: p.keys + lo, tmpValues: p.values.map { $0 + lo })
                        (p.keys + lo).update(from: p.tmpKeys + lo, count: count)
                        if let v = p.values, let tv = p.tmpValues { (v + lo).update(from: tv + lo, count: count) }
                        continue
                    }
                    sortInCache(p.tmpKeys + lo, p.tmpValues.map { $0 + lo }, count: count,
                                scratch: p.keys + lo, scratchValues: p.values.map { $0 + lo },
                                into: p.keys + lo, p.values.map { $0 + lo })
                }
            }
        }
    }

    /// Sorts `src[0..<n]` (stable, with values) and leaves the result in `dst`, which may be
    /// `src` or `scratch`; `scratch` must not overlap `src`. LSD by 8-bit digits where keys differ.
    private static func sortInCache(_ src: UnsafeMutablePointer<UInt64>, _ srcValues: UnsafeMutablePointer<Int64>?, count n: Int,
                                    scratch: UnsafeMutablePointer<UInt64>, scratchValues: UnsafeMutablePointer<Int64>?,
                                    into dst: UnsafeMutablePointer<UInt64>, _ dstValues: UnsafeMutablePointer<Int64>?) {
        var a = src, av = srcValues, b = scratch, bv = scratchValues
        if n < 32 {
            insertionSort(a, av, count: n)
        } else {
            var orAll: UInt64 = 0, andAll: UInt64 = .max
            for i in 0..<n { orAll |= a[i]; andAll &= a[i] }
            let varying = orAll ^ andAll
            // Wider digits (fewer passes) once the bucket outweighs a 2,048-entry histogram.
            let width = n >= 4096 ? 11 : 8
            let low = varying.trailingZeroBitCount, high = 64 - varying.leadingZeroBitCount
            let passes = varying == 0 ? 0 : (high - low + width - 1) / width
            let size = 1 << width, mask = UInt64(size - 1)
            withUnsafeTemporaryAllocation(of: Int32.self, capacity: max(passes, 1) * size) { histograms in
                let h0 = histograms.baseAddress!
                h0.initialize(repeating: 0, count: passes * size)
                // Every digit's histogram in one pass.
                for i in 0..<n {
                    let k = a[i]
                    for d in 0..<passes { h0[size * d + Int((k &>> UInt64(low + width * d)) & mask)] &+= 1 }
                }
                for d in 0..<passes where (varying >> UInt64(low + width * d)) & mask != 0 {
                    let h = h0 + size * d
                    var sum: Int32 = 0
                    for i in 0..<size { let c = h[i]; h[i] = sum; sum &+= c }
                    let shift = UInt64(low + width * d)
                    if let av, let bv {
                        for i in 0..<n {
                            let k = a[i]
                            let digit = Int((k &>> shift) & mask)
                            let at = Int(h[digit])
                            b[at] = k; bv[at] = av[i]
                            h[digit] = Int32(truncatingIfNeeded: at &+ 1)
                        }
                    } else {
                        for i in 0..<n {
                            let k = a[i]
                            let digit = Int((k &>> shift) & mask)
                            let at = Int(h[digit])
                            b[at] = k
                            h[digit] = Int32(truncatingIfNeeded: at &+ 1)
                        }
                    }
                    swap(&a, &b); swap(&av, &bv)
                }
            }
        }
        if a != dst {
            dst.update(from: a, count: n)
            if let av, let dstValues { dstValues.update(from: av, count: n) }
        }
    }

    private static func insertionSort(_ keys: UnsafeMutablePointer<UInt64>, _ values: UnsafeMutablePointer<Int64>?, count n: Int) {
        guard n > 1 else { return }
        for i in 1..<n {
            let k = keys[i], v = values?[i]
            var j = i
            while j > 0 && keys[j - 1] > k {
                keys[j] = keys[j - 1]
                if let values { values[j] = values[j - 1] }
                j -= 1
            }
            keys[j] = k
            if let values, let v { values[j] = v }
        }
    }

    /// The buffers the workers share; each worker touches disjoint ranges.
    private struct Shared: @unchecked Sendable {
        let keys: UnsafeMutablePointer<UInt64>, values: UnsafeMutablePointer<Int64>?
        let tmpKeys: UnsafeMutablePointer<UInt64>, tmpValues: UnsafeMutablePointer<Int64>?
        let offsets: UnsafeMutablePointer<Int>
    }
}
