/// ArgumentParser reads `--top -1` as the option without a value followed by a short option `-1`,
/// and reports "Missing value for '--top'" (QA round 8). Joining a negative number to the long
/// option before it (`--top=-1`) lets the option's own range check name the real problem.
enum NegativeValues {
    /// `arguments` with every `--name -N` (N a number: `-1`, `-0.5`, `-.5`, `-1e3`, `-inf`, `-1/2`) joined as
    /// `--name=-N`; nothing after `--` is touched, nor a long option that already has `=`.
    static func attach(_ arguments: [String]) -> [String] {
        var out: [String] = []
        out.reserveCapacity(arguments.count)
        var i = 0
        while i < arguments.count {
            let a = arguments[i]
            if a == "--" { out.append(contentsOf: arguments[i...]); break }
            if a.hasPrefix("--"), !a.contains("="), i + 1 < arguments.count, isNegativeNumber(arguments[i + 1]) {
                out.append(a + "=" + arguments[i + 1])
                i += 2
                continue
            }
            out.append(a)
            i += 1
        }
        return out
    }

    /// "-" followed by what `Double` parses (digits, a point, an exponent, inf, nan) or by a digit
    /// (`--shard -1/2`, QA round 11: no short option of ntpsep is a digit).
    private static func isNegativeNumber(_ s: String) -> Bool {
        guard s.count > 1, s.hasPrefix("-") else { return false }
        return Double(s) != nil || ("0"..."9").contains(s.dropFirst().first!)
    }
}
