/// Memory that `DispatchQueue.concurrentPerform` workers (or a `DispatchQueue` worker) share, in the
/// forms the compiler cannot prove race-free. Swift 6 rejects capturing a raw pointer or a class
/// instance in a `@Sendable` closure, because it cannot know who else writes through it; these three
/// wrappers state the rule instead, once:
///
/// - the memory outlives the workers (`concurrentPerform` returns only after every worker has
///   finished, so none runs past the buffer's lifetime), and
/// - while workers run, each element is either only read, or written by exactly one worker (the
///   callers split the index range by worker: `part * n / parts ..< (part + 1) * n / parts`, a row
///   range, a vocabulary slice), and nobody else reads it until the workers have finished.
///
/// Every use says which part each worker writes.

/// A mutable buffer the workers write at disjoint indices (see above).
public struct SharedPointer<T>: @unchecked Sendable {
    /// The first element.
    public let base: UnsafeMutablePointer<T>
    /// Wraps `base`.
    @inlinable public init(base: UnsafeMutablePointer<T>) { self.base = base }
    /// Element `i` (initialized memory, or any memory for a trivial `T`).
    @inlinable public subscript(i: Int) -> T {
        get { base[i] }
        nonmutating set { base[i] = newValue }
    }
}

/// A buffer the workers only read (see above).
public struct SharedConstPointer<T>: @unchecked Sendable {
    /// The first element.
    public let base: UnsafePointer<T>
    /// Wraps `base`.
    @inlinable public init(base: UnsafePointer<T>) { self.base = base }
    /// Element `i`.
    @inlinable public subscript(i: Int) -> T { base[i] }
}

/// Any other value the workers share under the same rule: a class instance whose methods they call
/// that only read it, a workspace whose rows they split, several buffers at once. Each use says why
/// its accesses are disjoint.
public struct WorkerShared<Value>: @unchecked Sendable {
    /// The shared value.
    public let value: Value
    /// Wraps `value`.
    @inlinable public init(_ value: Value) { self.value = value }
}
