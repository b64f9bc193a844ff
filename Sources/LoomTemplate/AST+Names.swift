// Which names a subtree reads — used to decide, as jinja2 does at compile time, whether a macro
// accepts extra positional (`varargs`) or keyword (`kwargs`) arguments.

extension Expr {
    func collectNames(into names: inout Set<String>) {
        switch self {
        case .literal: break
        case let .name(n): names.insert(n)
        case let .list(items), let .tuple(items): for i in items { i.collectNames(into: &names) }
        case let .dict(pairs): for (k, v) in pairs { k.collectNames(into: &names); v.collectNames(into: &names) }
        case let .attribute(b, _): b.collectNames(into: &names)
        case let .item(b, i): b.collectNames(into: &names); i.collectNames(into: &names)
        case let .slice(b, s, e, st): b.collectNames(into: &names); for x in [s, e, st] { x?.collectNames(into: &names) }
        case let .call(c, args), let .filter(c, _, args), let .test(c, _, args, _):
            c.collectNames(into: &names)
            args.collectNames(into: &names)
        case let .unary(_, e), let .located(e, _): e.collectNames(into: &names)
        case let .binary(_, a, b), let .and(a, b), let .or(a, b): a.collectNames(into: &names); b.collectNames(into: &names)
        case let .compare(f, ops): f.collectNames(into: &names); for (_, e) in ops { e.collectNames(into: &names) }
        case let .conditional(c, t, e): c.collectNames(into: &names); t.collectNames(into: &names); e?.collectNames(into: &names)
        }
    }
}

extension CallArguments {
    func collectNames(into names: inout Set<String>) {
        for p in positional { p.collectNames(into: &names) }
        for (_, v) in keyword { v.collectNames(into: &names) }
    }
}

extension Node {
    static func names(in nodes: [Node]) -> Set<String> {
        var names = Set<String>()
        for n in nodes { n.collectNames(into: &names) }
        return names
    }

    func collectNames(into names: inout Set<String>) {
        switch self {
        case .text, .breakLoop, .continueLoop: break
        case let .output(e), let .set(_, e): e.collectNames(into: &names)
        case let .ifChain(branches, elseBody):
            for (c, b) in branches { c.collectNames(into: &names); for n in b { n.collectNames(into: &names) } }
            for n in elseBody { n.collectNames(into: &names) }
        case let .forLoop(_, iterable, filter, body, elseBody, _):
            iterable.collectNames(into: &names)
            filter?.collectNames(into: &names)
            for n in body + elseBody { n.collectNames(into: &names) }
        case let .setBlock(_, filters, body), let .filterBlock(filters, body):
            for (_, a) in filters { a.collectNames(into: &names) }
            for n in body { n.collectNames(into: &names) }
        case .macro: break  // a nested macro has its own varargs/kwargs
        case let .callBlock(call, _, body):
            call.collectNames(into: &names)
            for n in body { n.collectNames(into: &names) }
        case let .located(n, _): n.collectNames(into: &names)
        }
    }
}
