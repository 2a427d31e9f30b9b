// Temporary stand-ins until the formats branch lands. Deleted at merge.
extension DataSet {
    public init(contentsOfNPZ path: String) throws { throw DataSetError.invalid("npz reading not available yet") }
    public func writeNPZ(to path: String) throws { throw DataSetError.invalid("npz writing not available yet") }
}
