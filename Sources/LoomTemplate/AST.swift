// The template syntax tree: statements (Node) and expressions (Expr). Immutable and Sendable, so a
// parsed template renders any number of times, from any thread.

indirect enum Expr: Sendable {
    case literal(JinjaValue)
    case name(String)
    case list([Expr])
    case tuple([Expr])
    case dict([(Expr, Expr)])
    case attribute(Expr, String)
    case item(Expr, Expr)
    case slice(Expr, start: Expr?, stop: Expr?, step: Expr?)
    case call(Expr, CallArguments)
    case filter(Expr, name: String, CallArguments)
    case test(Expr, name: String, CallArguments, negated: Bool)
    case unary(String, Expr)
    case binary(String, Expr, Expr)
    case and(Expr, Expr)
    case or(Expr, Expr)
    case compare(Expr, [(String, Expr)])
    case conditional(condition: Expr, then: Expr, else: Expr?)
    case located(Expr, SourceLocation)
}

struct CallArguments: Sendable {
    var positional: [Expr] = []
    var keyword: [(String, Expr)] = []
}

/// What `{% set %}` and `{% for %}` assign to.
indirect enum Target: Sendable {
    case name(String)
    case tuple([Target])
    case attribute(String, String)   // ns.attr
}

struct MacroDefinition: Sendable {
    var name: String
    var parameters: [(String, Expr?)]
    var body: [Node]
}

indirect enum Node: Sendable {
    case text(String)
    case output(Expr)
    case ifChain([(Expr, [Node])], else: [Node])
    case forLoop(target: Target, iterable: Expr, filter: Expr?, body: [Node], else: [Node], recursive: Bool)
    case set(Target, Expr)
    case setBlock(Target, filters: [(String, CallArguments)], body: [Node])
    case macro(MacroDefinition)
    case callBlock(call: Expr, parameters: [(String, Expr?)], body: [Node])
    case filterBlock(filters: [(String, CallArguments)], body: [Node])
    case breakLoop, continueLoop
    case located(Node, SourceLocation)
}
