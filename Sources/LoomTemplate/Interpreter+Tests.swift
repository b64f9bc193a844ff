// Tests (`x is name`): jinja2's builtin tests, with Python's type rules (bool counts as a number
// but not as an integer; dicts are sequences and mappings; undefined is iterable).

extension Interpreter {
    func applyTest(_ name: String, _ v: JinjaValue, _ args: Arguments) throws(TemplateError) -> Bool {
        let other = args.value(0, "other") ?? .undefined
        switch name {
        case "defined": return !v.isUndefined
        case "undefined": return v.isUndefined
        case "none": if case .none = v { return true } else { return false }
        case "boolean": if case .bool = v { return true } else { return false }
        case "true": if case .bool(true) = v { return true } else { return false }
        case "false": if case .bool(false) = v { return true } else { return false }
        case "integer": if case .int = v { return true } else { return false }
        case "float": if case .double = v { return true } else { return false }
        case "number": return v.number != nil
        case "string": if case .string = v { return true } else { return false }
        case "mapping": if case .object = v { return true } else { return false }
        case "callable": if case .callable = v { return true } else { return false }
        case "iterable":
            switch v {
            case .string, .array, .tuple, .view, .object, .undefined, .iterator, .namespace: return true
            default: return false
            }
        case "sequence":
            switch v {
            case .string, .array, .tuple, .object, .undefined: return true
            default: return false
            }
        case "odd", "even":
            guard let i = v.integer else { throw error("'\(name)' test needs an integer, not \(v.typeName)") }
            return (i % 2 != 0) == (name == "odd")
        case "divisibleby":
            guard let i = v.integer, let d = other.integer, d != 0 else { throw error("'divisibleby' needs integers") }
            return i % d == 0
        case "eq", "equalto", "==": return v.pythonEquals(other)
        case "ne", "!=": return !v.pythonEquals(other)
        case "lt", "lessthan", "<": return try v.pythonLess(other)
        case "gt", "greaterthan", ">": return try other.pythonLess(v)
        case "le", "<=": return try v.pythonLess(other) || v.pythonEquals(other)
        case "ge", ">=": return try other.pythonLess(v) || v.pythonEquals(other)
        case "in": return try contains(other, v)
        case "sameas":
            switch (v, other) {
            case (.none, .none), (.undefined, .undefined): return true
            case let (.bool(a), .bool(b)): return a == b
            default: return false
            }
        case "lower": return v.pythonString == v.pythonString.lowercased()
        case "upper": return v.pythonString == v.pythonString.uppercased()
        case "escaped": return false
        default: throw error("no test named '\(name)'")
        }
    }
}
