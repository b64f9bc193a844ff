// JSON Schema keywords byte by byte: types, objects (declared order, required, additional
// properties, keys that avoid declared names), enum/const, arrays (items, prefixItems, counts),
// anyOf/oneOf/allOf, $ref with recursion, string lengths in code points. Number ranges and
// formats: ConstraintRangeTests.swift; errors: ConstraintErrorTests.swift.

import Testing
@testable import LoomSampling

/// Asserts `schema` accepts every text in `yes` and none in `no` (as complete values).
func checkSchema(_ schema: String, yes: [String], no: [String], sourceLocation: SourceLocation = #_sourceLocation) throws {
    let s = try JSONConstraintSpec(schemaJSON: schema)
    for t in yes { #expect(matches(s, t), "should accept \(t)", sourceLocation: sourceLocation) }
    for t in no { #expect(!matches(s, t), "should reject \(t)", sourceLocation: sourceLocation) }
}

@Suite("Constraint schema keywords")
struct ConstraintSchemaTests {
    @Test("type: each primitive, type lists, and no type at all")
    func types() throws {
        try checkSchema(#"{"type":"string"}"#, yes: [#""""#, #""a b""#], no: ["1", "null", #"{}"#])
        try checkSchema(#"{"type":"integer"}"#, yes: ["0", "-12", "1234567890123456"], no: ["1.0", "1e3", "-0", "01", #""1""#])
        try checkSchema(#"{"type":"number"}"#, yes: ["0", "-1.5", "2e10", "1E-3"], no: [".5", "1.", "+1", "NaN"])
        try checkSchema(#"{"type":"boolean"}"#, yes: ["true", "false"], no: ["0", "null", "True"])
        try checkSchema(#"{"type":"null"}"#, yes: ["null"], no: ["nul", "0", #""null""#])
        try checkSchema(#"{"type":["string","null"]}"#, yes: [#""x""#, "null"], no: ["1", "true"])
        try checkSchema(#"{}"#, yes: ["1", #""s""#, "[1,{}]", "{\"a\":null}", "null"], no: ["", "[1,]"])
        try checkSchema("true", yes: ["[]", "false"], no: ["tru"])
        try checkSchema(#"{"type":"array"}"#, yes: ["[]", "[1, \"a\"]"], no: ["{}"])
        try checkSchema(#"{"type":"object"}"#, yes: ["{}", "{\"x\": [1]}"], no: ["[]"])
    }

    @Test("properties come in declared order; required ones must appear; optional ones may be skipped")
    func propertyOrder() throws {
        let schema = #"""
        {"type":"object","properties":{"a":{"type":"integer"},"b":{"type":"string"},"c":{"type":"boolean"}},
         "required":["b"]}
        """#
        try checkSchema(schema, yes: [
            #"{"b":"x"}"#, #"{"a":1,"b":"x"}"#, #"{"b":"x","c":true}"#, #"{"a":1,"b":"x","c":false}"#,
            #"{ "a" : 1 , "b" : "x" }"#,
        ], no: [
            "{}", #"{"a":1}"#, #"{"b":"x","a":1}"#, #"{"c":true,"b":"x"}"#, #"{"b":"x","b":"y"}"#,
            #"{"b":"x","d":1}"#, #"{"b":1}"#, #"{"b":"x",}"#,
        ])
        let spec = try JSONConstraintSpec(schemaJSON: schema)
        #expect(firstRejected(spec, #"{"b":"x","a":1}"#) == 10, "only c may follow b")
        #expect(firstRejected(spec, #"{"d":1}"#) == 2)
    }

    @Test("additionalProperties: absent → no extra members; true → any; schema → its values")
    func additionalProperties() throws {
        let declared = #""properties":{"name":{"type":"string"}},"required":["name"]"#
        try checkSchema("{\(declared)}", yes: [#"{"name":"x"}"#], no: [#"{"name":"x","age":1}"#])
        try checkSchema("{\(declared),\"additionalProperties\":false}", yes: [#"{"name":"x"}"#], no: [#"{"name":"x","n":1}"#])
        try checkSchema("{\(declared),\"additionalProperties\":true}",
                  yes: [#"{"name":"x","age":[1]}"#, #"{"name":"x","na":1,"names":2,"":3}"#, #"{"name":"x","é":1}"#],
                  no: [#"{"name":"x","name":1}"#, #"{"name":"x","n\u0061me":1}"#, #"{"age":1}"#])
        try checkSchema("{\(declared),\"additionalProperties\":{\"type\":\"integer\"}}",
                  yes: [#"{"name":"x","a":1,"b":2}"#], no: [#"{"name":"x","a":"1"}"#])
        try checkSchema(#"{"additionalProperties":{"type":"boolean"}}"#,
                  yes: ["{}", #"{"x":true,"y":false}"#], no: [#"{"x":1}"#])
    }

    @Test("extra keys avoid declared names, also non-ASCII ones, at the byte where they would match")
    func keysAvoidNames() throws {
        let spec = try JSONConstraintSpec(schemaJSON: #"{"properties":{"é":{"type":"null"},"ab":{"type":"null"}},"additionalProperties":true}"#)
        for extra in ["è", "a", "abc", "b", "éé", "ab\u{7F}", "\u{1F600}"] {
            #expect(matches(spec, "{\"\(extra)\":1}"), "extra key \(extra)")
        }
        for name in ["é", "ab"] { #expect(!matches(spec, "{\"é\":null,\"ab\":null,\"\(name)\":1}"), "name \(name) again") }
    }

    @Test("required names that properties does not declare come after the declared ones")
    func undeclaredRequired() throws {
        try checkSchema(#"{"properties":{"a":{"type":"integer"}},"required":["z"]}"#,
                  yes: [#"{"z":"any"}"#, #"{"a":1,"z":[1]}"#], no: [#"{"a":1}"#, #"{"z":1,"a":1}"#])
    }

    @Test("enum and const: any JSON values, compact, filtered by type")
    func enumerations() throws {
        try checkSchema(#"{"enum":["red","green",1,null,[1,2],{"k":"v"},"é\n"]}"#,
                  yes: [#""red""#, "1", "null", "[1,2]", #"{"k":"v"}"#, #""é\n""#],
                  no: [#""blue""#, "[1, 2]", "2", #""re""#])
        try checkSchema(#"{"type":"string","enum":["a",1,"b"]}"#, yes: [#""a""#, #""b""#], no: ["1"])
        try checkSchema(#"{"type":"integer","enum":[1,1.0,1.5]}"#, yes: ["1", "1.0"], no: ["1.5"])
        try checkSchema(#"{"const":{"a":[true]}}"#, yes: [#"{"a":[true]}"#], no: [#"{"a":[false]}"#])
        try checkSchema(#"{"enum":["a","b"],"const":"b"}"#, yes: [#""b""#], no: [#""a""#])
    }

    @Test("items with minItems/maxItems: exactly the allowed counts", arguments: [
        (0, nil), (0, 0), (1, 3), (2, 2), (3, nil),
    ] as [(Int, Int?)])
    func itemCounts(minItems: Int, maxItems: Int?) throws {
        var schema = #"{"type":"array","items":{"type":"integer"},"minItems":\#(minItems)"#
        if let maxItems { schema += #","maxItems":\#(maxItems)"# }
        let spec = try JSONConstraintSpec(schemaJSON: schema + "}")
        for n in 0...6 {
            let text = "[" + (0..<n).map(String.init).joined(separator: ", ") + "]"
            let allowed = n >= minItems && n <= (maxItems ?? .max)
            #expect(matches(spec, text) == allowed, "\(text)")
        }
        #expect(!matches(spec, #"["x"]"#))
    }

    @Test("prefixItems: the tuple in full, then items (none by default); array-form items likewise")
    func tuples() throws {
        try checkSchema(#"{"prefixItems":[{"type":"string"},{"type":"integer"}]}"#,
                  yes: [#"["a",1]"#], no: ["[]", #"["a"]"#, #"["a",1,2]"#, #"[1,"a"]"#])
        try checkSchema(#"{"prefixItems":[{"type":"string"}],"items":{"type":"boolean"},"maxItems":3}"#,
                  yes: [#"["a"]"#, #"["a",true,false]"#], no: [#"["a",true,false,true]"#, #"["a",1]"#])
        try checkSchema(#"{"prefixItems":[{"type":"string"},{"type":"string"}],"maxItems":1}"#,
                  yes: [#"["a"]"#], no: [#"["a","b"]"#, "[]"])
        try checkSchema(#"{"items":[{"type":"null"}],"additionalItems":{"type":"integer"}}"#,
                  yes: ["[null]", "[null,1,2]"], no: ["[1]", #"[null,"x"]"#])
        try checkSchema(#"{"type":"array","items":false}"#, yes: ["[]"], no: ["[1]"])
    }

    @Test("anyOf and oneOf are unions; trivial allOf is its one member")
    func combinators() throws {
        try checkSchema(#"{"anyOf":[{"type":"integer"},{"type":"string","maxLength":1}]}"#,
                  yes: ["5", #""x""#], no: [#""xy""#, "null"])
        try checkSchema(#"{"oneOf":[{"type":"boolean"},{"type":"null"}],"description":"d"}"#,
                  yes: ["true", "null"], no: ["1"])
        try checkSchema(#"{"allOf":[{"type":"integer","minimum":3}],"title":"t"}"#, yes: ["3"], no: ["2"])
        try checkSchema(#"{"allOf":[true,{"description":"x"}]}"#, yes: ["[1]"], no: [])
    }

    @Test("$ref to $defs and definitions, including a recursive tree")
    func references() throws {
        try checkSchema(##"{"$defs":{"id":{"type":"integer"}},"properties":{"a":{"$ref":"#/$defs/id"}},"required":["a"]}"##,
                  yes: [#"{"a":3}"#], no: [#"{"a":"3"}"#])
        try checkSchema(##"{"definitions":{"n":{"type":"null"}},"items":{"$ref":"#/definitions/n"}}"##,
                  yes: ["[null,null]"], no: ["[1]"])
        let tree = #"""
        {"$ref":"#/$defs/node","$defs":{"node":{"type":"object","properties":{
           "value":{"type":"integer"},"children":{"type":"array","items":{"$ref":"#/$defs/node"}}},
           "required":["value"]}}}
        """#
        try checkSchema(tree, yes: [
            #"{"value":1}"#, #"{"value":1,"children":[]}"#,
            #"{"value":1,"children":[{"value":2,"children":[{"value":3}]},{"value":4}]}"#,
        ], no: [#"{"children":[]}"#, #"{"value":1,"children":[{"children":[]}]}"#])
        try checkSchema(##"{"properties":{"next":{"$ref":"#"}},"additionalProperties":false}"##,
                  yes: ["{}", #"{"next":{"next":{}}}"#], no: [#"{"next":1}"#])
        try checkSchema(##"{"$defs":{"a~b/c":{"type":"null"}},"$ref":"#/$defs/a~0b~1c"}"##, yes: ["null"], no: ["1"])
    }

    @Test("string lengths count code points; escapes and surrogate pairs count once")
    func stringLengths() throws {
        try checkSchema(#"{"type":"string","minLength":2,"maxLength":3}"#,
                  yes: [#""ab""#, #""é😀""#, #""\u00e9a""#, #""\ud83d\ude00\n""#, #""abc""#],
                  no: [#""a""#, #""abcd""#, #""😀""#, #""\ud83d\ude00""#, #""é😀€é""#])
        try checkSchema(#"{"type":"string","maxLength":0}"#, yes: [#""""#], no: [#"" ""#])
    }

    @Test("annotations are ignored")
    func annotations() throws {
        try checkSchema(#"""
        {"$schema":"https://json-schema.org/draft/2020-12/schema","$id":"x","title":"T","description":"D",
         "examples":[1],"default":2,"$comment":"c","readOnly":true,"writeOnly":false,"deprecated":false,
         "type":"integer"}
        """#, yes: ["7"], no: [#""7""#])
    }
}
