// Expression parsing with Jinja's precedence (jinja2/parser.py), loosest first:
//   a if c else b → or → and → not → comparisons (== != < <= > >= in, not in; chained)
//   → + - → ~ → * / // % → ** → unary - + → primary with postfix (.x [i] [a:b:c] (args))
//   and filter/test/call suffixes (x | f(…), x is [not] t …, x(…)).

extension Parser {
    mutating func expression(allowConditional: Bool = true) throws(TemplateError) -> Expr {
        try enter()
        defer { leave() }
        let loc = location
        var e = try orExpression()
        if allowConditional {
            while skipName("if") {
                let condition = try orExpression()
                let otherwise: Expr? = skipName("else") ? try expression() : nil
                e = .conditional(condition: condition, then: e, else: otherwise)
            }
        }
        return .located(e, loc)
    }

    mutating func orExpression() throws(TemplateError) -> Expr {
        var e = try andExpression()
        while skipName("or") { e = .or(e, try andExpression()) }
        return e
    }

    mutating func andExpression() throws(TemplateError) -> Expr {
        var e = try notExpression()
        while skipName("and") { e = .and(e, try notExpression()) }
        return e
    }

    mutating func notExpression() throws(TemplateError) -> Expr {
        if skipName("not") {
            try enter()
            defer { leave() }
            return .unary("not", try notExpression())
        }
        return try comparison()
    }

    mutating func comparison() throws(TemplateError) -> Expr {
        let first = try additive()
        var ops: [(String, Expr)] = []
        while true {
            if case let .op(o) = current.kind, ["==", "!=", "<", "<=", ">", ">="].contains(o) {
                advance()
                ops.append((o, try additive()))
            } else if skipName("in") {
                ops.append(("in", try additive()))
            } else if isName("not"), i + 1 < tokens.count, case .name("in") = tokens[i + 1].kind {
                advance(); advance()
                ops.append(("notin", try additive()))
            } else {
                break
            }
        }
        return ops.isEmpty ? first : .compare(first, ops)
    }

    mutating func additive() throws(TemplateError) -> Expr {
        var e = try concatenation()
        while true {
            if skipOp("+") { e = .binary("+", e, try concatenation()) }
            else if skipOp("-") { e = .binary("-", e, try concatenation()) }
            else { return e }
        }
    }

    mutating func concatenation() throws(TemplateError) -> Expr {
        var e = try multiplicative()
        while skipOp("~") { e = .binary("~", e, try multiplicative()) }
        return e
    }

    mutating func multiplicative() throws(TemplateError) -> Expr {
        var e = try power()
        while true {
            if case let .op(o) = current.kind, ["*", "/", "//", "%"].contains(o) {
                advance()
                e = .binary(o, e, try power())
            } else {
                return e
            }
        }
    }

    mutating func power() throws(TemplateError) -> Expr {
        var e = try unary()
        while skipOp("**") { e = .binary("**", e, try unary()) }
        return e
    }

    mutating func unary(withFilter: Bool = true) throws(TemplateError) -> Expr {
        try enter()
        defer { leave() }
        var e: Expr
        if skipOp("-") { e = .unary("-", try unary(withFilter: false)) }
        else if skipOp("+") { e = .unary("+", try unary(withFilter: false)) }
        else { e = try postfix(try primary()) }
        return withFilter ? try filterSuffixes(e) : e
    }

    mutating func primary() throws(TemplateError) -> Expr {
        let loc = location
        switch current.kind {
        case let .name(n):
            advance()
            switch n {
            case "true", "True": return .literal(.bool(true))
            case "false", "False": return .literal(.bool(false))
            case "none", "None": return .literal(.none)
            default: return .located(.name(n), loc)
            }
        case var .string(s):
            advance()
            while case let .string(more) = current.kind { s += more; advance() }
            return .literal(.string(s))
        case let .integer(v): advance(); return .literal(.int(v))
        case let .float(v): advance(); return .literal(.double(v))
        case .op("("):
            advance()
            if skipOp(")") { return .tuple([]) }
            let first = try expression()
            if skipOp(")") { return first }
            var items = [first]
            while skipOp(",") {
                if isOp(")") { break }
                items.append(try expression())
            }
            try expectOp(")")
            return .tuple(items)
        case .op("["):
            advance()
            var items: [Expr] = []
            while !isOp("]") {
                items.append(try expression())
                if !skipOp(",") { break }
            }
            try expectOp("]")
            return .list(items)
        case .op("{"):
            advance()
            var pairs: [(Expr, Expr)] = []
            while !isOp("}") {
                let k = try expression()
                try expectOp(":")
                pairs.append((k, try expression()))
                if !skipOp(",") { break }
            }
            try expectOp("}")
            return .dict(pairs)
        default:
            throw error("unexpected token in expression")
        }
    }

    mutating func postfix(_ base: Expr) throws(TemplateError) -> Expr {
        var e = base
        while true {
            let loc = location
            if skipOp(".") {
                switch current.kind {
                case let .name(n): advance(); e = .located(.attribute(e, n), loc)
                case let .integer(v): advance(); e = .located(.item(e, .literal(.int(v))), loc)
                default: throw error("expected an attribute name after '.'")
                }
            } else if skipOp("[") {
                e = .located(try subscriptExpression(e), loc)
                try expectOp("]")
            } else if isOp("(") {
                e = .located(.call(e, try callArguments()), loc)
            } else {
                return e
            }
        }
    }

    mutating func subscriptExpression(_ base: Expr) throws(TemplateError) -> Expr {
        var start: Expr?
        if !isOp(":") { start = try expression() }
        guard skipOp(":") else {
            guard let start else { throw error("expected a subscript") }
            return .item(base, start)
        }
        var stop: Expr?, step: Expr?
        if !isOp("]") && !isOp(":") { stop = try expression() }
        if skipOp(":"), !isOp("]") { step = try expression() }
        return .slice(base, start: start, stop: stop, step: step)
    }

    mutating func filterSuffixes(_ base: Expr) throws(TemplateError) -> Expr {
        var e = base
        while true {
            let loc = location
            if skipOp("|") {
                let f = try expectName()
                e = .located(.filter(e, name: f, isOp("(") ? try callArguments() : CallArguments()), loc)
            } else if isName("is") {
                advance()
                let negated = skipName("not")
                let t = try expectName()
                var args = CallArguments()
                if isOp("(") {
                    args = try callArguments()
                } else if startsTestArgument {
                    args.positional = [try postfix(try primary())]
                }
                e = .located(.test(e, name: t, args, negated: negated), loc)
            } else if isOp("(") {
                e = .located(.call(e, try callArguments()), loc)
            } else {
                return e
            }
        }
    }

    /// Whether a test is followed by a bare argument (`x is divisibleby 3`), as jinja2 decides.
    var startsTestArgument: Bool {
        switch current.kind {
        case let .name(n): return n != "else" && n != "or" && n != "and"
        case .string, .integer, .float, .op("["), .op("{"): return true
        default: return false
        }
    }

    mutating func callArguments() throws(TemplateError) -> CallArguments {
        try expectOp("(")
        var args = CallArguments()
        while !isOp(")") {
            if case let .name(n) = current.kind, i + 1 < tokens.count, case .op("=") = tokens[i + 1].kind {
                advance(); advance()
                args.keyword.append((n, try expression()))
            } else {
                args.positional.append(try expression())
            }
            if !skipOp(",") { break }
        }
        try expectOp(")")
        return args
    }
}
