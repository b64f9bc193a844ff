// Schema errors: every unsupported keyword with its path (in one error), invalid schemas, invalid
// JSON text, and size limits — each a typed ConstraintError with a one-sentence description.

import Testing
@testable import LoomSampling

@Suite("Constraint schema errors")
struct ConstraintErrorTests {
    func error(_ schema: String) -> ConstraintError? {
        do {
            _ = try JSONConstraintSpec(schemaJSON: schema)
            return nil
        } catch {
            return error
        }
    }

    func unsupported(_ schema: String) -> [String]? {
        if case let .unsupported(keywords)? = error(schema) { return keywords.sorted() }
        return nil
    }

    @Test("every unsupported keyword is reported at once, with its JSON path")
    func listsEveryKeyword() {
        let schema = #"""
        {"type":"object","minProperties":1,"not":{},
         "properties":{
           "a":{"type":"string","pattern":"^x"},
           "b":{"type":"array","items":{"type":"number","multipleOf":2}},
           "c":{"patternProperties":{"x":{}},"propertyNames":{"maxLength":3}},
           "d":{"anyOf":[{"type":"string","format":"email"},{"if":{},"then":{}}]},
           "e":{"type":"number","minimum":0.5},
           "f":{"type":"array","uniqueItems":true,"contains":{}}},
         "$defs":{"unused":{"pattern":"never compiled"}}}
        """#
        #expect(unsupported(schema) == [
            "$.minProperties", "$.not", "$.properties.a.pattern", "$.properties.b.items.multipleOf",
            "$.properties.c.patternProperties", "$.properties.c.propertyNames", "$.properties.d.anyOf[0].format",
            "$.properties.d.anyOf[1].if", "$.properties.d.anyOf[1].then", "$.properties.e.minimum",
            "$.properties.f.contains", "$.properties.f.uniqueItems",
        ])
        let description = error(schema)?.description ?? ""
        #expect(description.contains("$.properties.a.pattern") && description.hasSuffix("."))
    }

    @Test("combinations that would need an intersection report the combinator", arguments: [
        (##"{"$defs":{"a":{}},"properties":{"x":{"$ref":"#/$defs/a","minimum":1}}}"##, "$.properties.x.$ref"),
        (#"{"type":"object","anyOf":[{"required":["a"]}]}"#, "$.anyOf"),
        (#"{"oneOf":[{}],"anyOf":[{}]}"#, "$.oneOf"),
        (#"{"allOf":[{"type":"integer"},{"minimum":1}]}"#, "$.allOf"),
        (#"{"enum":["a","bb"],"maxLength":1}"#, "$.enum"),
        (#"{"$ref":"https://example.com/schema.json"}"#, "$.$ref"),
        (#"{"type":"string","format":"date","maxLength":10}"#, "$.format"),
        (#"{"type":"string","format":"hostname"}"#, "$.format"),
        (#"{"type":"integer","minimum":1e20}"#, "$.minimum"),
        (#"{"type":"number","exclusiveMaximum":2.5}"#, "$.exclusiveMaximum"),
        (#"{"nullable":true}"#, "$.nullable"),
        (#"{"uniqueItems":true}"#, "$.uniqueItems"),
        (##"{"$defs":{"a":{"pattern":"x"}},"properties":{"p":{"$ref":"#/$defs/a"},"q":{"$ref":"#/$defs/a"}}}"##, "$.$defs.a.pattern"),
    ])
    func combinations(schema: String, path: String) {
        #expect(unsupported(schema) == [path])
    }

    @Test("bounds that exclude nothing Loom writes are dropped, not reported")
    func harmlessBounds() throws {
        try checkSchema(#"{"type":"integer","minimum":-1e30,"maximum":1e30}"#, yes: ["-5", "5"], no: [])
        try checkSchema(#"{"type":"number","maximum":1e300}"#, yes: ["-5.5"], no: [])
    }

    @Test("invalid schemas", arguments: [
        ##"{"$ref":"#/$defs/missing"}"##, ##"{"type":"array","minItems":3,"maxItems":2}"##, ##"{"enum":[]}"##,
        ##"{"type":"string","enum":[1,2]}"##, ##"{"$defs":{"a":{"$ref":"#/$defs/a"}},"$ref":"#/$defs/a"}"##,
        ##"{"$defs":{"a":{"anyOf":[{"$ref":"#/$defs/b"}]},"b":{"$ref":"#/$defs/a"}},"$ref":"#/$defs/a"}"##,
        ##"{"type":"object","properties":{"next":{"$ref":"#"}},"required":["next"]}"##,
        #"{"type":"string","minLength":3,"maxLength":2}"#, #"{"type":"strin"}"#, #"{"type":"integer","minimum":3,"maximum":2}"#,
        #"{"type":"number","exclusiveMinimum":2,"maximum":2}"#, #"{"minItems":-1}"#, #"{"anyOf":[]}"#, "3",
        #"{"properties":{"a":false},"required":["a"]}"#, #"{"required":["a"],"additionalProperties":false}"#,
        #"{"prefixItems":[{}, {}],"items":false,"minItems":3}"#, "false",
    ])
    func invalidSchemas(schema: String) {
        guard case let .invalidSchema(message)? = error(schema) else {
            Issue.record("expected invalidSchema for \(schema), got \(String(describing: error(schema)))")
            return
        }
        #expect(!message.isEmpty)
    }

    @Test("a property whose schema is false is simply never written when optional")
    func falseProperty() throws {
        try checkSchema(#"{"properties":{"a":false,"b":{"type":"null"}}}"#, yes: ["{}", #"{"b":null}"#], no: [#"{"a":1}"#])
    }

    @Test("text that is not JSON", arguments: ["", "{", #"{"a":}"#, "{'a':1}", #"{"a":1}x"#, "[1,]", #""\x""#])
    func invalidJSON(text: String) {
        guard case .invalidJSON? = error(text) else {
            Issue.record("expected invalidJSON for \(text)")
            return
        }
    }

    @Test("grammars past the size limits are tooComplex; large but reasonable bounds compile")
    func tooComplex() throws {
        guard case .tooComplex? = error(#"{"type":"string","maxLength":1000000}"#),
              case .tooComplex? = error(#"{"type":"array","minItems":200000}"#) else {
            Issue.record("expected tooComplex")
            return
        }
        try checkSchema(#"{"type":"string","minLength":2,"maxLength":50000}"#, yes: [#""ab""#], no: [#""a""#])
        try checkSchema(#"{"type":"array","maxItems":20000}"#, yes: ["[1,2]"], no: [])
    }
}
