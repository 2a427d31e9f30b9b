/// Field rules of the `--json` reports, stated once at each field instead of in a hand-written
/// `encode(to:)` per type: synthesized `Codable` leaves a nil optional's key out, while the reports
/// promise that every documented key is present (unknown values as null).

/// An optional field whose key JSON always carries: nil is written as null.
@propertyWrapper
public struct NullWhenAbsent<Value> {
    /// The value; nil is written as null.
    public var wrappedValue: Value?

    /// Wraps `wrappedValue`.
    public init(wrappedValue: Value?) { self.wrappedValue = wrappedValue }
}

extension NullWhenAbsent: Encodable where Value: Encodable {
    /// The value, or null.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        if let wrappedValue { try c.encode(wrappedValue) } else { try c.encodeNil() }
    }
}

extension NullWhenAbsent: Decodable where Value: Decodable {
    /// Reads what `encode(to:)` writes: null is nil.
    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        wrappedValue = c.decodeNil() ? nil : try c.decode(Value.self)
    }
}

extension NullWhenAbsent: Equatable where Value: Equatable {}
extension NullWhenAbsent: Sendable where Value: Sendable {}

/// A number whose key JSON always carries: nil, ±∞ and NaN (which JSON cannot hold) are written as null.
@propertyWrapper
public struct FiniteOrNull: Codable, Equatable, Sendable {
    /// The value; nil and non-finite values are written as null.
    public var wrappedValue: Double?

    /// Wraps `wrappedValue`.
    public init(wrappedValue: Double?) { self.wrappedValue = wrappedValue }

    /// The value if finite, else null.
    public func encode(to encoder: Encoder) throws {
        try NullWhenAbsent(wrappedValue: wrappedValue.flatMap { $0.isFinite ? $0 : nil }).encode(to: encoder)
    }

    /// Reads what `encode(to:)` writes: null is nil.
    public init(from decoder: Decoder) throws {
        wrappedValue = try NullWhenAbsent<Double>(from: decoder).wrappedValue
    }
}

/// One value of a report's `options` (`check --json`, `sweep --json`): the option as given, typed, so
/// that numbers are JSON numbers and flags booleans; an optional option not given is null.
public enum OptionValue: Codable, Equatable, Sendable {
    case string(String), int(Int), unsigned(UInt64), double(Double), bool(Bool), ints([Int]), strings([String]), null

    /// `value` as a string, or null when absent.
    public static func text(_ value: String?) -> OptionValue { value.map(OptionValue.string) ?? .null }
    /// `value` as a number, or null when absent.
    public static func number(_ value: Int?) -> OptionValue { value.map(OptionValue.int) ?? .null }

    /// The JSON value itself (no wrapping object).
    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .string(let x): try c.encode(x)
        case .int(let x): try c.encode(x)
        case .unsigned(let x): try c.encode(x)
        case .double(let x): try c.encode(FiniteOrNull(wrappedValue: x))
        case .bool(let x): try c.encode(x)
        case .ints(let x): try c.encode(x)
        case .strings(let x): try c.encode(x)
        case .null: try c.encodeNil()
        }
    }

    /// Reads what `encode(to:)` writes (a whole number as `int`, or `unsigned` beyond Int's range).
    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let x = try? c.decode(Bool.self) { self = .bool(x) }
        else if let x = try? c.decode(Int.self) { self = .int(x) }
        else if let x = try? c.decode(UInt64.self) { self = .unsigned(x) }
        else if let x = try? c.decode(Double.self) { self = .double(x) }
        else if let x = try? c.decode([Int].self) { self = .ints(x) }
        else if let x = try? c.decode([String].self) { self = .strings(x) }
        else { self = .string(try c.decode(String.self)) }
    }
}
