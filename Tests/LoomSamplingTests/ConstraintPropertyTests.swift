// Property test: for each schema, random walks pick random allowed tokens from a synthetic
// vocabulary (all single bytes + multi-byte chunks, split UTF-8 included) until the value is
// complete; every output must parse as JSON and validate against the schema with Python's
// jsonschema (Draft 2020-12, format checking on) when LOOM_PYTHON is set — make test sets it.
// Walks must finish: after `budget` steps they steer to completion, and `cap` fails the test.
// The first walks of each schema also compare the trie-walk mask with per-token `allows`.

import Foundation
import Testing
@testable import LoomSampling

@Suite("Constraint property: random walks validate against their schema")
struct ConstraintPropertyTests {
    static let schemas: [(String, String)] = [
        ("nested objects", #"""
        {"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"},
         "address":{"type":"object","properties":{"street":{"type":"string"},"zip":{"type":["string","null"]}},
                    "required":["street"]},
         "tags":{"type":"array","items":{"type":"string"}}},
         "required":["name","address"]}
        """#),
        ("bounded arrays", #"""
        {"type":"array","items":{"type":"integer","minimum":-5,"maximum":5},"minItems":2,"maxItems":4}
        """#),
        ("enums", #"""
        {"type":"object","properties":{"color":{"enum":["red","green","blue"]},"size":{"enum":[1,2.5,null,"XL",[1],{"a":"é"}]},
         "kind":{"const":"shirt"}},"required":["color","size","kind"]}
        """#),
        ("anyOf shapes", #"""
        {"anyOf":[
          {"type":"object","properties":{"kind":{"const":"circle"},"radius":{"type":"number","minimum":0}},"required":["kind","radius"]},
          {"type":"object","properties":{"kind":{"const":"square"},"side":{"type":"integer","exclusiveMinimum":0}},"required":["kind","side"]},
          {"type":"null"}]}
        """#),
        ("recursive $ref tree", ##"""
        {"$ref":"#/$defs/node","$defs":{"node":{"type":"object","properties":{
           "value":{"type":"integer"},"children":{"type":"array","items":{"$ref":"#/$defs/node"},"maxItems":3}},
           "required":["value"]}}}
        """##),
        ("formats", #"""
        {"type":"object","properties":{"d":{"type":"string","format":"date"},"t":{"type":"string","format":"time"},
         "dt":{"type":"string","format":"date-time"},"u":{"type":"string","format":"uuid"}},"required":["d","t","dt","u"]}
        """#),
        ("integer ranges", #"""
        {"type":"object","properties":{"age":{"type":"integer","minimum":0,"maximum":150},
         "temp":{"type":"integer","exclusiveMinimum":-40,"exclusiveMaximum":60},"big":{"type":"integer","minimum":1000000}},
         "required":["age","temp","big"]}
        """#),
        ("number ranges", #"""
        {"type":"object","properties":{"p":{"type":"number","minimum":0,"maximum":1},
         "s":{"type":"number","exclusiveMinimum":-1,"exclusiveMaximum":1},"n":{"type":"number","maximum":-3}},
         "required":["p","s","n"]}
        """#),
        ("string lengths and extras", #"""
        {"type":"object","properties":{"code":{"type":"string","minLength":3,"maxLength":5},
         "note":{"type":"string","maxLength":4}},"required":["code"],"additionalProperties":{"type":"boolean"}}
        """#),
        ("tuples", #"""
        {"type":"array","prefixItems":[{"type":"string"},{"type":"number"}],"items":{"type":"boolean"},"maxItems":5}
        """#),
        ("oneOf and any extras", #"""
        {"type":"object","properties":{"id":{"oneOf":[{"type":"integer"},{"type":"string","format":"uuid"}]},
         "meta":true},"required":["id"],"additionalProperties":true}
        """#),
        ("top-level number", #"{"type":"number","minimum":-2,"exclusiveMaximum":2}"#),
    ]

    @Test("walks finish and validate", arguments: 0..<schemas.count)
    func walks(index: Int) throws {
        let (name, schema) = Self.schemas[index]
        let spec = try JSONConstraintSpec(schemaJSON: schema)
        var outputs: [String] = []
        for seed in 0..<16 as Range<UInt64> {
            let walk = randomWalk(spec, seed: seed &* 7919 &+ UInt64(index), budget: 120, cap: 3000, checkMask: seed < 2)
            #expect(walk.finished, "\(name) seed \(seed): no end after \(walk.steps) steps: \(walk.text.debugDescription)")
            #expect(walk.maskMismatches.isEmpty, "\(name): \(walk.maskMismatches.prefix(3))")
            let parsed = try? JSONSerialization.jsonObject(with: Data(walk.bytes), options: .fragmentsAllowed)
            #expect(parsed != nil, "\(name) seed \(seed): not JSON: \(walk.text.debugDescription)")
            outputs.append(walk.text)
        }
        try Self.validateWithPython(schema: schema, outputs: outputs, name: name)
    }

    static let deepSchemas: [String] = [
        #"{"type":"string","maxLength":6}"#,
        #"{"type":"object","properties":{"a":{"type":"string","minLength":3,"maxLength":9},"b":{"type":"string","maxLength":2}},"required":["a","b"]}"#,
        #"{"type":"array","items":{"type":"integer","minimum":-250,"maximum":1234},"maxItems":6}"#,
        #"{"type":"array","items":{"type":"number","exclusiveMinimum":-3,"maximum":250},"maxItems":6}"#,
        #"{"type":"array","items":{"type":"string","format":"date"},"maxItems":4}"#,
        #"{"enum":["aab","abba","ab",12,123]}"#,
    ]

    @Test("with deep trie subtrees, mask == allows at every step", arguments: 0..<deepSchemas.count)
    func deepMasks(index: Int) throws {
        let schema = Self.deepSchemas[index]
        let spec = try JSONConstraintSpec(schemaJSON: schema)
        var outputs: [String] = []
        for seed in 0..<6 as Range<UInt64> {
            let walk = randomWalk(spec, trie: deepTrie, end: deepEnd, seed: seed, budget: 60, checkMask: true)
            #expect(walk.finished && walk.maskMismatches.isEmpty, "\(schema): \(walk.maskMismatches.prefix(3))")
            outputs.append(walk.text)
        }
        try Self.validateWithPython(schema: schema, outputs: outputs, name: schema)
    }

    @Test("format json walks validate as objects")
    func anyJSONWalks() throws {
        var outputs: [String] = []
        for seed in 100..<116 as Range<UInt64> {
            let walk = randomWalk(.anyJSON(), seed: seed, budget: 120)
            #expect(walk.finished)
            outputs.append(walk.text)
        }
        try Self.validateWithPython(schema: #"{"type":"object"}"#, outputs: outputs, name: "format json")
    }

    static func validateWithPython(schema: String, outputs: [String], name: String) throws {
        guard ConstraintPaths.python != nil || ConstraintPaths.requireModels else { return }
        let verdicts = try ConstraintPaths.validate(outputs.map { (schema, $0) })
        #expect(verdicts.count == outputs.count, "\(name): \(verdicts.count) verdicts for \(outputs.count) outputs")
        for (text, verdict) in zip(outputs, verdicts) {
            #expect(verdict == "ok", "\(name): \(verdict) for \(text.debugDescription)")
        }
    }
}
