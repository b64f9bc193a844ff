// SchemaCompiler+Types: the per-type keywords.
//
// integer  minimum/maximum/exclusiveMinimum/exclusiveMaximum (numbers, or draft-4 booleans) are
//          rounded inward to integers and enforced exactly (NumberRanges.swift). A bound beyond
//          ±10^18 is dropped when it excludes nothing Loom writes, else unsupported.
// number   the same keywords only with integer values (then exact, and no exponent is written);
//          a fractional bound is unsupported.
// string   minLength/maxLength in code points; format date, time, date-time, uuid (Formats.swift);
//          any other format, and format together with a length, is unsupported.
// array    items (schema, or the draft-4 tuple form with additionalItems), prefixItems,
//          minItems/maxItems. Choices (valid under JSON Schema, and llama.cpp's): a tuple
//          (prefixItems or array-form items) is written in full when maxItems allows, and takes no
//          further items unless items/additionalItems is given. uniqueItems: false is a no-op,
//          true unsupported.
// object   properties are written in the schema's declared order (required and optional ones
//          interleaved as declared; optional ones may be skipped), then extra members if
//          additionalProperties allows them. additionalProperties absent means NO extra members
//          (llama.cpp's choice: a model should not invent keys); true → any value; a schema → values
//          of that schema. Extra keys never equal a declared name and use no escapes. A `required`
//          name that `properties` does not declare is written after the declared ones (value per
//          additionalProperties). An object with neither properties, required nor a restricting
//          additionalProperties is any JSON object.

import LoomJSON

extension SchemaCompiler {
    // MARK: numbers

    private mutating func decimal(_ node: Node, _ key: String) -> DecimalText? {
        guard node.has(key) else { return nil }
        guard case let .number(text)? = node[key], let d = DecimalText(text) else {
            if case .bool? = node[key], key.hasPrefix("exclusive") { return nil }
            invalid.append("\(node.at(key)) must be a number")
            return nil
        }
        return d
    }

    /// Draft 4's boolean exclusiveMinimum/exclusiveMaximum.
    private func draft4Exclusive(_ node: Node, _ key: String) -> Bool {
        if case .bool(true)? = node[key] { return true }
        return false
    }

    mutating func integer(_ node: Node) -> Int {
        var lo: Int64?, hi: Int64?
        func raise(_ v: Int64) { lo = max(lo ?? v, v) }
        func lower(_ v: Int64) { hi = min(hi ?? v, v) }
        if let d = decimal(node, "minimum") {
            let exclusive = draft4Exclusive(node, "exclusiveMinimum")
            if let c = d.ceil { raise(exclusive && d.isIntegral ? c + 1 : c) } else if !d.negative { unsupported.append(node.at("minimum")) }
        }
        if let d = decimal(node, "exclusiveMinimum") {
            if let f = d.floor { raise(f + 1) } else if !d.negative { unsupported.append(node.at("exclusiveMinimum")) }
        }
        if let d = decimal(node, "maximum") {
            let exclusive = draft4Exclusive(node, "exclusiveMaximum")
            if let f = d.floor { lower(exclusive && d.isIntegral ? f - 1 : f) } else if d.negative { unsupported.append(node.at("maximum")) }
        }
        if let d = decimal(node, "exclusiveMaximum") {
            if let c = d.ceil { lower(c - 1) } else if d.negative { unsupported.append(node.at("exclusiveMaximum")) }
        }
        if lo == nil && hi == nil { return b.integer() }
        if let lo, let hi, lo > hi {
            invalid.append("\(node.path) allows no integer (minimum above maximum)")
            return b.never()
        }
        return b.boundedInteger(lo: lo, hi: hi)
    }

    mutating func number(_ node: Node) -> Int {
        var lo: NumberBound?, hi: NumberBound?
        func bound(_ key: String, exclusive: Bool, isLower: Bool) {
            guard let d = decimal(node, key) else { return }
            guard let v = d.floor else {
                // Beyond ±10^18: harmless on the far side, unsupported on the near side.
                if d.negative != isLower { unsupported.append(node.at(key)) }
                return
            }
            guard d.isIntegral else {
                unsupported.append(node.at(key))
                return
            }
            let new = NumberBound(value: v, exclusive: exclusive)
            if isLower {
                if let old = lo, old.value > v || (old.value == v && old.exclusive) { return }
                lo = new
            } else {
                if let old = hi, old.value < v || (old.value == v && old.exclusive) { return }
                hi = new
            }
        }
        bound("minimum", exclusive: draft4Exclusive(node, "exclusiveMinimum"), isLower: true)
        bound("exclusiveMinimum", exclusive: true, isLower: true)
        bound("maximum", exclusive: draft4Exclusive(node, "exclusiveMaximum"), isLower: false)
        bound("exclusiveMaximum", exclusive: true, isLower: false)
        if lo == nil && hi == nil { return b.number() }
        if let lo, let hi, lo.value > hi.value || (lo.value == hi.value && (lo.exclusive || hi.exclusive)) {
            invalid.append("\(node.path) allows no number (minimum above maximum)")
            return b.never()
        }
        return b.boundedNumber(lo: lo, hi: hi)
    }

    // MARK: strings

    /// A non-negative integer keyword's value (nil when absent or invalid).
    mutating func count(_ node: Node, _ key: String) -> Int? {
        guard node.has(key) else { return nil }
        guard case let .number(text)? = node[key], let d = DecimalText(text), d.isIntegral, !d.negative else {
            invalid.append("\(node.at(key)) must be a non-negative integer")
            return nil
        }
        guard let v = d.floor else { return Int.max / 2 }
        return Int(v)
    }

    mutating func string(_ node: Node) -> Int {
        let minLength = count(node, "minLength") ?? 0
        let maxLength = count(node, "maxLength")
        if node.has("format") {
            guard case let .string(format)? = node["format"] else {
                invalid.append("\(node.at("format")) must be a string")
                return b.never()
            }
            guard !node.has("minLength") && !node.has("maxLength"), let rule = b.formattedString(format) else {
                unsupported.append(node.at("format"))
                return b.never()
            }
            return rule
        }
        if let maxLength, maxLength < minLength {
            invalid.append("\(node.path) has minLength \(minLength) > maxLength \(maxLength)")
            return b.never()
        }
        return b.string(min: minLength, max: maxLength)
    }

    // MARK: arrays

    mutating func array(_ node: Node) -> Int {
        if case .bool(true)? = node["uniqueItems"] { unsupported.append(node.at("uniqueItems")) }
        var prefix: [(JSONValue, String)] = []
        var rest: (JSONValue, String)? = (.bool(true), node.at("items"))
        func tuple(_ key: String) -> [(JSONValue, String)]? {
            guard case let .array(items)? = node[key] else { return nil }
            return items.enumerated().map { ($0.element, "\(node.at(key))[\($0.offset)]") }
        }
        if node.has("prefixItems") {
            guard let t = tuple("prefixItems") else {
                invalid.append("\(node.at("prefixItems")) must be an array")
                return b.never()
            }
            prefix = t
            rest = node["items"].map { ($0, node.at("items")) }
        } else if let t = tuple("items") {
            prefix = t
            rest = node["additionalItems"].map { ($0, node.at("additionalItems")) }
        } else if let items = node["items"] {
            rest = (items, node.at("items"))
        }
        if case .bool(false)? = rest?.0 { rest = nil }
        let minItems = count(node, "minItems") ?? 0
        let maxItems = count(node, "maxItems")
        let k = prefix.count
        let hi: Int? = rest == nil ? min(maxItems ?? k, k) : maxItems
        let lo = max(minItems, min(k, hi ?? k))
        if let hi, lo > hi {
            invalid.append("\(node.path) allows no array (at least \(lo) items, at most \(hi))")
            return b.never()
        }
        let top = hi ?? max(lo, k, 1)
        if top > GrammarBuilder.maxRepeat {
            b.problems.append("\(node.path) needs one rule per item up to \(top) (limit \(GrammarBuilder.maxRepeat))")
            return b.never()
        }
        let prefixRules = prefix.map { value($0.0, path: $0.1) }
        let restRule = rest.map { value($0.0, path: $0.1) }
        let w = Symbol.rule(b.ws())
        func item(_ i: Int) -> Symbol { .rule(i < k ? prefixRules[i] : restRule ?? b.never()) }
        // tail[i]: what may follow once i items are written (i ≥ 1).
        var tail: Int
        if hi == nil, let restRule {
            tail = b.reserve("items-loop")
            b.define(tail, [GrammarBuilder.literal(",") + [w, .rule(restRule), w, .rule(tail)], []])
        } else {
            tail = b.empty()
        }
        if top >= 1 {
            for i in stride(from: top - 1, through: 1, by: -1) {
                var alternatives: [Alternative] = [GrammarBuilder.literal(",") + [w, item(i), w, .rule(tail)]]
                if i >= lo { alternatives.append([]) }
                tail = b.rule("items\(i)", alternatives)
            }
        }
        var body: [Alternative] = []
        if top >= 1 && (hi ?? 1) >= 1 { body.append([item(0), w, .rule(tail)]) }
        if lo == 0 { body.append([]) }
        let inner = b.rule("items", body)
        return b.rule("array", [GrammarBuilder.literal("[") + [w, .rule(inner)] + GrammarBuilder.literal("]")])
    }
}
