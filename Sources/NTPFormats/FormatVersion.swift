/// Format versions of the files ntpsep writes: an int64 0-d member `format_version` in `.npz`
/// files, a `"format_version"` integer in JSON files. A file without one is version 1, the layout
/// from before versions were recorded. Readers accept versions up to the newest they know and
/// refuse newer ones with a one-line error saying to upgrade.
public enum FormatVersion {
    /// The `format_version` member holding `version`.
    public static func member(_ version: Int64) -> (String, NPYArray) {
        ("format_version", NPYArray(int64: [version], shape: []))
    }

    /// The version of an `.npz` file's members (1 when absent); throws when it is not one positive
    /// integer or is newer than `newest`. `kind` names the file type in the message ("data set").
    @discardableResult
    public static func check(npz members: [String: NPYArray], newest: Int64, kind: String, path: String) throws -> Int64 {
        guard let a = members["format_version"] else { return 1 }
        let values = (try? a.int64s()) ?? []
        guard a.count == 1, values.count == 1, values[0] >= 1 else {
            throw NTPFormatError("\(path): 'format_version' must be one positive integer, found \(values.isEmpty ? a.descr : "\(values)") of shape \(a.shape)")
        }
        return try check(values[0], newest: newest, kind: kind, path: path)
    }

    /// The version from a decoded JSON object's `"format_version"` value (1 when absent).
    @discardableResult
    public static func check(json value: Any?, newest: Int64, kind: String, path: String) throws -> Int64 {
        guard let value else { return 1 }
        guard let number = value as? Int, number >= 1 else {
            throw NTPFormatError("\(path): \"format_version\" must be a positive integer, found \(value)")
        }
        return try check(Int64(number), newest: newest, kind: kind, path: path)
    }

    private static func check(_ version: Int64, newest: Int64, kind: String, path: String) throws -> Int64 {
        guard version <= newest else {
            throw NTPFormatError("\(path): \(kind) format version \(version) is newer than this ntpsep reads (up to \(newest)); upgrade ntpsep to read it")
        }
        return version
    }
}
