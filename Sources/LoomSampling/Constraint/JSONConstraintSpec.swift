// JSONConstraintSpec: a compiled output constraint — Ollama's `format: "json"` or a JSON Schema.
//
// Compile once per request (or cache per schema text); it is immutable and Sendable, and one spec
// serves any number of TokenConstraint matchers. `anyJSON()` is an object at the top level with
// any JSON values inside (Ollama's behaviour for "json"); a schema's top level is whatever the
// schema allows. Whitespace: none before or after the top-level value, at most one gap of
// "" | " " | "\n" + up to 20 spaces/tabs between tokens inside it (JSONGrammar.swift).

import LoomJSON

/// A compiled output constraint: any JSON object (Ollama's `format: "json"`) or a JSON Schema.
public struct JSONConstraintSpec: Sendable {
    let grammar: Grammar

    init(grammar: Grammar) {
        self.grammar = grammar
    }

    /// Ollama's `format: "json"`: a JSON object at the top level, any JSON values inside.
    public static func anyJSON() -> JSONConstraintSpec {
        var b = GrammarBuilder()
        let root = b.anyObject()
        // The generic object grammar is fixed and valid, so this cannot fail.
        guard let grammar = try? Grammar(b, root: root) else {
            preconditionFailure("the built-in JSON grammar failed its own checks")
        }
        return JSONConstraintSpec(grammar: grammar)
    }

    /// Compiles a JSON Schema given as JSON text.
    ///
    /// Throws `.invalidJSON` for text that is not JSON, `.unsupported` listing every keyword that
    /// cannot be enforced (with its JSON path), `.invalidSchema` for schemas no value satisfies or
    /// that cannot be resolved, and `.tooComplex` when the grammar would be too large.
    public init(schemaJSON: String) throws(ConstraintError) {
        let document: JSONValue
        do { document = try JSONValue.parse(schemaJSON) } catch { throw .invalidJSON(error.description) }
        try self.init(schema: document)
    }

    /// Compiles a JSON Schema already parsed (properties are generated in member order).
    ///
    /// Throws as `init(schemaJSON:)` does, except `.invalidJSON`.
    public init(schema: JSONValue) throws(ConstraintError) {
        var compiler = SchemaCompiler(document: schema)
        grammar = try compiler.compile()
    }

    /// Number of byte-class positions in the compiled grammar (a size measure for diagnostics).
    public var grammarSize: Int { grammar.elements.count }
}
