import Dispatch
import NTPFormats

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
    /// `part * n / parts ..< (part + 1) * n / parts`. Part p's workers write only its own 65,536
    /// counters, so the histogram can be filled by `parts` workers at once.
    struct PrefixHistogram: Sendable {
        let shift: UInt64
        let parts: Int
        let counts: SharedPointer<Int>

        /// A zeroed histogram whose prefixes are the top 16 bits of `maxKey`'s width.
        init(maxKey: UInt64, parts: Int) {
            shift = UInt64(max(0, 64 - maxKey.leadingZeroBitCount - RadixSort.prefixBits))
            self.parts = parts
            counts = SharedPointer(base: .allocate(capacity: parts * RadixSort.prefixCount))
            counts.base.initialize(repeating: 0, count: parts * RadixSort.prefixCount)
        }
        func deallocate() { counts.base.deallocate() }

        /// Keys with `prefix` over all parts.
        func total(_ prefix: Int) -> Int {
            var c = 0
            for part in 0..<parts { c += counts[part * prefixCount + prefix] }
            return c
        }
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
        guard let histogram = given ?? prefixHistogram(keys, count: n, threads: threads) else { return }
        defer { if given == nil { histogram.deallocate() } }
        // Contiguous prefix ranges of about n / 2,048 keys: prefix -> bucket, and bucket starts.
        let bucketOf = UnsafeMutablePointer<UInt16>.allocate(capacity: prefixCount)
        defer { bucketOf.deallocate() }
        let bucketStart = buckets(histogram, count: n, bucketOf: bucketOf)
        let p = Buffers(keys: keys, values: values, tmpKeys: tmpKeys, tmpValues: tmpValues)
        scatter(p, count: n, histogram: histogram, bucketOf: SharedConstPointer(base: bucketOf), buckets: bucketStart.count - 1)
        sortBuckets(p, count: n, parts: histogram.parts, bucketStart: bucketStart)
    }

    /// The histogram of the top 16 bits where `keys[0..<n]` differ (so a bucket sorted again by
    /// `sort` always splits further; bits above them are the same in every key), on two workers
    /// when `threads` allows; nil when all keys are equal (already sorted).
    private static func prefixHistogram(_ keys: UnsafeMutablePointer<UInt64>, count n: Int, threads: Int) -> PrefixHistogram? {
        let parts = threads > 1 && n >= 1 << 16 ? 2 : 1
        var orAll: UInt64 = 0, andAll: UInt64 = .max
        for i in 0..<n { orAll |= keys[i]; andAll &= keys[i] }
        let varying = orAll ^ andAll
        guard varying != 0 else { return nil }
        let h = PrefixHistogram(maxKey: varying, parts: parts)
        let keys = SharedConstPointer(base: keys)   // read only
        DispatchQueue.concurrentPerform(iterations: parts) { part in
            let c = h.counts.base + part * prefixCount
            for i in (part * n / parts)..<((part + 1) * n / parts) { c[Int((keys[i] &>> h.shift) & prefixMask)] &+= 1 }
        }
        return h
    }

    /// Cuts the prefixes into contiguous ranges of about n / 2,048 keys: fills `bucketOf[prefix]`
    /// and returns the buckets' start positions, with n appended.
    private static func buckets(_ histogram: PrefixHistogram, count n: Int, bucketOf: UnsafeMutablePointer<UInt16>) -> [Int] {
        var bucketStart = [0]
        let target = max(1, n / targetBuckets)
        var inBucket = 0, total = 0
        for prefix in 0..<prefixCount {
            let c = histogram.total(prefix)
            if inBucket > 0 && inBucket + c > target && bucketStart.count < Int(UInt16.max) {
                bucketStart.append(total); inBucket = 0
            }
            bucketOf[prefix] = UInt16(bucketStart.count - 1)
            inBucket += c; total += c
        }
        bucketStart.append(n)
        return bucketStart
    }

    /// The most-significant pass: moves `keys` (and values) into their buckets in `tmpKeys`, each
    /// part of the input by its own worker. Write offsets per (part, bucket) go bucket by bucket, the
    /// first part's keys first, so the pass is stable and the parts write disjoint positions.
    private static func scatter(_ p: Buffers, count n: Int, histogram: PrefixHistogram,
                                bucketOf table: SharedConstPointer<UInt16>, buckets: Int) {
        let parts = histogram.parts, shift = histogram.shift
        let offsets = SharedPointer(base: UnsafeMutablePointer<Int>.allocate(capacity: parts * buckets))
        defer { offsets.base.deallocate() }
        offsets.base.initialize(repeating: 0, count: parts * buckets)
        for part in 0..<parts {
            for prefix in 0..<prefixCount { offsets[part * buckets + Int(table[prefix])] += histogram.counts[part * prefixCount + prefix] }
        }
        var sum = 0
        for b in 0..<buckets {
            for part in 0..<parts { let c = offsets[part * buckets + b]; offsets[part * buckets + b] = sum; sum += c }
        }
        DispatchQueue.concurrentPerform(iterations: parts) { part in
            let h = offsets.base + part * buckets
            let range = (part * n / parts)..<((part + 1) * n / parts)
            if let v = p.values, let tv = p.tmpValues {
                for i in range {
                    let k = p.keys[i]
                    let b = Int(table[Int((k &>> shift) & prefixMask)])
                    let at = h[b]
                    p.tmpKeys[at] = k; tv[at] = v[i]
                    h[b] = at &+ 1
                }
            } else {
                for i in range {
                    let k = p.keys[i]
                    let b = Int(table[Int((k &>> shift) & prefixMask)])
                    let at = h[b]
                    p.tmpKeys[at] = k
                    h[b] = at &+ 1
                }
            }
        }
    }

    /// Sorts every bucket of `tmpKeys` back into `keys`; each part sorts a contiguous run of buckets
    /// holding about n / parts keys (disjoint ranges of both buffers).
    private static func sortBuckets(_ p: Buffers, count n: Int, parts: Int, bucketStart: [Int]) {
        let buckets = bucketStart.count - 1
        var firstBucket = [0]
        for part in 1..<max(parts, 1) where parts > 1 {
            var b = firstBucket[part - 1]
            while b < buckets && bucketStart[b + 1] <= part * n / parts { b += 1 }
            firstBucket.append(b)
        }
        firstBucket.append(buckets)
        bucketStart.withUnsafeBufferPointer { starts in
            let s = SharedConstPointer(base: starts.baseAddress!)
            DispatchQueue.concurrentPerform(iterations: parts) { [firstBucket] part in
                for b in firstBucket[part]..<firstBucket[part + 1] {
                    let lo = s.base[b], count = s.base[b + 1] - lo
                    guard count > 0 else { continue }
                    let keys = p.keys.base + lo, values = p.values.map { $0.base + lo }
                    let tmpKeys = p.tmpKeys.base + lo, tmpValues = p.tmpValues.map { $0.base + lo }
                    if count > 1 << 16 {
                        // One 16-bit prefix holds this many keys: it gets its own most-significant pass.
                        sort(tmpKeys, tmpValues, count: count, tmpKeys: keys, tmpValues: values)
                        keys.update(from: tmpKeys, count: count)
                        if let values, let tmpValues { values.update(from: tmpValues, count: count) }
                        continue
                    }
                    sortInCache(tmpKeys, tmpValues, count: count, scratch: keys, scratchValues: values, into: keys, values)
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
                // Every digit's histogram in one pass; wrapping arithmetic keeps overflow checks out of it.
                let firstShift = UInt64(low), step = UInt64(width)
                for i in 0..<n {
                    let k = a[i]
                    var h = h0, shift = firstShift
                    for _ in 0..<passes { h[Int(truncatingIfNeeded: (k &>> shift) & mask)] &+= 1; h += size; shift &+= step }
                }
                for d in 0..<passes where (varying >> UInt64(low + width * d)) & mask != 0 {
                    let h = h0 + size * d
                    var sum: Int32 = 0
                    for i in 0..<size { let c = h[i]; h[i] = sum; sum &+= c }
                    let shift = UInt64(low + width * d)
                    // Locals, not the swapped vars the closure captures, so the loops keep them in registers.
                    let keys = a, out = b
                    if let values = av, let outValues = bv {
                        for i in 0..<n {
                            let k = keys[i]
                            let digit = Int(truncatingIfNeeded: (k &>> shift) & mask)
                            let at = Int(truncatingIfNeeded: h[digit])
                            out[at] = k; outValues[at] = values[i]
                            h[digit] = Int32(truncatingIfNeeded: at &+ 1)
                        }
                    } else {
                        for i in 0..<n {
                            let k = keys[i]
                            let digit = Int(truncatingIfNeeded: (k &>> shift) & mask)
                            let at = Int(truncatingIfNeeded: h[digit])
                            out[at] = k
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

    /// The keys, values and their scratch, as the workers share them: the scatter's parts write
    /// disjoint positions of the scratch, and each bucket is sorted by one worker.
    private struct Buffers: Sendable {
        let keys: SharedPointer<UInt64>, values: SharedPointer<Int64>?
        let tmpKeys: SharedPointer<UInt64>, tmpValues: SharedPointer<Int64>?
        init(keys: UnsafeMutablePointer<UInt64>, values: UnsafeMutablePointer<Int64>?,
             tmpKeys: UnsafeMutablePointer<UInt64>, tmpValues: UnsafeMutablePointer<Int64>?) {
            self.keys = SharedPointer(base: keys); self.values = values.map { SharedPointer(base: $0) }
            self.tmpKeys = SharedPointer(base: tmpKeys); self.tmpValues = tmpValues.map { SharedPointer(base: $0) }
        }
    }
}
