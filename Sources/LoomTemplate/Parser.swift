// Parser: tokens → statements. Block tags, following jinja2/parser.py: if/elif/else, for (with
// `if` filter, `else`, `recursive`), set (expression, block, namespace attribute, tuple targets),
// macro, call, filter, break/continue, and Hugging Face's {% generation %} (rendered as its body).
// Expressions are in Parser+Expressions.swift.

struct Parser {
    var tokens: [Token]
    var i = 0
    let name: String
    /// Current nesting of expressions and statements; bounded so hostile input cannot overflow
    /// the stack.
    var depth = 0
    static let maxDepth = 64
    /// Enclosing for-loops (break/continue need one); a macro body starts outside any loop.
    var loopDepth = 0

    /// Enters one level of nesting (balanced by `leave`).
    mutating func enter() throws(TemplateError) {
        depth += 1
        guard depth <= Self.maxDepth else { throw error("template nesting deeper than \(Self.maxDepth) levels") }
    }

    mutating func leave() { depth -= 1 }

    init(tokens: [Token], name: String) {
        self.tokens = tokens
        self.name = name
    }

    static func parse(_ source: String, name: String) throws(TemplateError) -> [Node] {
        var p = Parser(tokens: try Lexer.tokenize(source, name: name), name: name)
        let (body, end) = try p.body(until: [])
        if let end { throw p.error("unexpected '\(end)'") }
        return body
    }

    var current: Token { tokens[i] }
    var location: SourceLocation { current.location }

    func error(_ message: String) -> TemplateError {
        TemplateError(.syntax, message, templateName: name, line: location.line, column: location.column)
    }

    mutating func advance() { if i < tokens.count - 1 { i += 1 } }

    func isName(_ n: String) -> Bool { if case let .name(x) = current.kind { return x == n } else { return false } }
    func isOp(_ o: String) -> Bool { if case let .op(x) = current.kind { return x == o } else { return false } }

    mutating func skipName(_ n: String) -> Bool { if isName(n) { advance(); return true } else { return false } }
    mutating func skipOp(_ o: String) -> Bool { if isOp(o) { advance(); return true } else { return false } }

    mutating func expectOp(_ o: String) throws(TemplateError) {
        guard skipOp(o) else { throw error("expected '\(o)'") }
    }

    mutating func expectName() throws(TemplateError) -> String {
        guard case let .name(n) = current.kind else { throw error("expected a name") }
        advance()
        return n
    }

    mutating func expectBlockEnd() throws(TemplateError) {
        guard current.kind == .blockEnd else { throw error("expected end of statement '%}'") }
        advance()
    }

    /// Nodes until a block tag named in `terminators` (returned, with the cursor after its name),
    /// or the end of the template (nil).
    mutating func body(until terminators: Set<String>) throws(TemplateError) -> ([Node], String?) {
        var nodes: [Node] = []
        while true {
            let loc = location
            switch current.kind {
            case .eof:
                if !terminators.isEmpty { throw error("unexpected end of template, expected one of \(terminators.sorted())") }
                return (nodes, nil)
            case let .text(t):
                nodes.append(.text(t))
                advance()
            case .variableBegin:
                advance()
                let e = try expression()
                guard current.kind == .variableEnd else { throw error("expected end of print statement '}}'") }
                advance()
                nodes.append(.located(.output(e), loc))
            case .blockBegin:
                advance()
                guard case let .name(tag) = current.kind else { throw error("expected a statement name") }
                if terminators.contains(tag) {
                    advance()
                    return (nodes, tag)
                }
                advance()
                nodes.append(.located(try statement(tag), loc))
            default:
                throw error("unexpected token")
            }
        }
    }

    mutating func statement(_ tag: String) throws(TemplateError) -> Node {
        try enter()
        defer { leave() }
        switch tag {
        case "if": return try ifStatement()
        case "for": return try forStatement()
        case "set": return try setStatement()
        case "macro": return try macroStatement()
        case "call": return try callStatement()
        case "filter":
            let filters = try filterChain()
            try expectBlockEnd()
            let (b, _) = try body(until: ["endfilter"])
            try expectBlockEnd()
            return .filterBlock(filters: filters, body: b)
        case "break", "continue":
            guard loopDepth > 0 else { throw error("'\(tag)' outside loop") }
            try expectBlockEnd()
            return tag == "break" ? .breakLoop : .continueLoop
        case "generation":
            try expectBlockEnd()
            let (b, _) = try body(until: ["endgeneration"])
            try expectBlockEnd()
            return .ifChain([(.literal(.bool(true)), b)], else: [])
        default:
            throw error("unknown statement '\(tag)'")
        }
    }

    mutating func ifStatement() throws(TemplateError) -> Node {
        var branches: [(Expr, [Node])] = []
        var condition = try expression()
        try expectBlockEnd()
        while true {
            let (b, end) = try body(until: ["elif", "else", "endif"])
            branches.append((condition, b))
            switch end {
            case "elif":
                condition = try expression()
                try expectBlockEnd()
            case "else":
                try expectBlockEnd()
                let (e, _) = try body(until: ["endif"])
                try expectBlockEnd()
                return .ifChain(branches, else: e)
            default:
                try expectBlockEnd()
                return .ifChain(branches, else: [])
            }
        }
    }

    mutating func forStatement() throws(TemplateError) -> Node {
        let target = try assignTarget(allowAttribute: false)
        guard skipName("in") else { throw error("expected 'in' in for loop") }
        let iterable = try expression(allowConditional: false)
        var filter: Expr?
        if skipName("if") { filter = try expression() }
        let recursive = skipName("recursive")
        try expectBlockEnd()
        loopDepth += 1
        let (b, end) = try body(until: ["else", "endfor"])
        loopDepth -= 1
        var elseBody: [Node] = []
        if end == "else" {
            try expectBlockEnd()
            (elseBody, _) = try body(until: ["endfor"])
        }
        try expectBlockEnd()
        return .forLoop(target: target, iterable: iterable, filter: filter, body: b, else: elseBody, recursive: recursive)
    }

    mutating func setStatement() throws(TemplateError) -> Node {
        let target = try assignTarget(allowAttribute: true)
        if skipOp("=") {
            var value = try expression()
            if isOp(",") {
                var items = [value]
                while skipOp(",") { items.append(try expression()) }
                value = .tuple(items)
            }
            try expectBlockEnd()
            return .set(target, value)
        }
        let filters = isOp("|") ? try filterChain() : []
        try expectBlockEnd()
        let (b, _) = try body(until: ["endset"])
        try expectBlockEnd()
        return .setBlock(target, filters: filters, body: b)
    }

    /// `name`, `a, b`, `(a, b)`, or (for set) `ns.attr`.
    mutating func assignTarget(allowAttribute: Bool) throws(TemplateError) -> Target {
        func one(_ p: inout Parser) throws(TemplateError) -> Target {
            if p.skipOp("(") {
                var items: [Target] = []
                repeat { items.append(try one(&p)) } while p.skipOp(",") && !p.isOp(")")
                try p.expectOp(")")
                return .tuple(items)
            }
            let n = try p.expectName()
            if allowAttribute, p.skipOp(".") { return .attribute(n, try p.expectName()) }
            return .name(n)
        }
        let first = try one(&self)
        guard isOp(",") else { return first }
        var items = [first]
        while skipOp(",") {
            if isName("in") || isOp("=") { break }
            items.append(try one(&self))
        }
        return .tuple(items)
    }

    mutating func macroStatement() throws(TemplateError) -> Node {
        let macroName = try expectName()
        let params = try parameterList()
        try expectBlockEnd()
        let outerLoops = loopDepth
        loopDepth = 0
        let (b, _) = try body(until: ["endmacro"])
        loopDepth = outerLoops
        if case .name = current.kind { advance() }  // {% endmacro name %}
        try expectBlockEnd()
        return .macro(MacroDefinition(name: macroName, parameters: params, body: b))
    }

    mutating func callStatement() throws(TemplateError) -> Node {
        var params: [(String, Expr?)] = []
        if isOp("(") { params = try parameterList() }
        let call = try expression()
        try expectBlockEnd()
        let (b, _) = try body(until: ["endcall"])
        try expectBlockEnd()
        return .callBlock(call: call, parameters: params, body: b)
    }

    /// `(a, b=default, …)`.
    mutating func parameterList() throws(TemplateError) -> [(String, Expr?)] {
        try expectOp("(")
        var params: [(String, Expr?)] = []
        while !isOp(")") {
            let p = try expectName()
            params.append((p, skipOp("=") ? try expression() : nil))
            if !skipOp(",") { break }
        }
        try expectOp(")")
        return params
    }

    /// `| f(args) | g …` (the leading `|` optional for {% filter %}).
    mutating func filterChain() throws(TemplateError) -> [(String, CallArguments)] {
        var filters: [(String, CallArguments)] = []
        _ = skipOp("|")
        repeat {
            let f = try expectName()
            filters.append((f, isOp("(") ? try callArguments() : CallArguments()))
        } while skipOp("|")
        return filters
    }
}
