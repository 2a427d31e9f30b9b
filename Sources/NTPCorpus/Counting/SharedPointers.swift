/// Raw pointers handed to `DispatchQueue.concurrentPerform` workers, which read shared data or
/// write disjoint ranges of it (the callers guarantee that; the compiler cannot check it).
struct SharedPointer<T>: @unchecked Sendable { let base: UnsafeMutablePointer<T> }

/// A read-only `SharedPointer`.
struct SharedConstPointer<T>: @unchecked Sendable { let base: UnsafePointer<T> }
