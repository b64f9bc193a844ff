// Interpreter: statements → text. Scoping follows Jinja: a for-loop iteration gets its own frame
// (so `set` inside a loop does not leak out — hence `namespace()`), `if` does not; a macro call
// sees the template's top frame plus its arguments. Errors carry the location of the innermost
// statement or expression being evaluated.

final class Interpreter {
    let templateName: String
    let options: RenderOptions
    var frames: [[String: JinjaValue]]
    /// Location of what is being evaluated, for error messages.
    var location = SourceLocation(line: 0, column: 0)
    /// Depth of macro calls, to stop runaway recursion.
    var callDepth = 0
    static let maxCallDepth = 200
    /// The last attribute path `attributePath` split ("a.b.0" → keys), reused while it repeats.
    var attributeKeys: (path: String, keys: [JinjaValue])?
    /// Every namespace made during the render (see `makeNamespace`).
    var namespaces: [Namespace] = []
    /// How deep arrays, objects and namespaces may nest in a value stored on a namespace.
    static let maxValueDepth = 256
    /// Loop iterations so far; a template that loops without end fails instead of hanging.
    var iterations = 0
    static let maxIterations = 1_000_000
    /// Largest output (UTF-8 bytes) a render may produce.
    static let maxOutputBytes = 64 << 20
    /// Most items of a list a render builds (`+`, `*`, batch).
    static let maxItems = 1 << 20

    /// Throws before a string of `bytes` UTF-8 bytes is built when it would pass `maxOutputBytes`:
    /// every operation that multiplies a string's size (join, replace, padding, indent, `*`, `~`)
    /// checks first, so a hostile template gets an error instead of exhausting memory.
    static func ensure(bytes: Int) throws(TemplateError) {
        guard bytes <= maxOutputBytes else { throw TemplateError(.runtime, "result too large (more than \(maxOutputBytes >> 20) MiB)") }
    }

    /// Throws before a list of `items` items is built when it would pass `maxItems`.
    static func ensure(items: Int) throws(TemplateError) {
        guard items <= maxItems else { throw TemplateError(.runtime, "result too large (more than \(maxItems) items)") }
    }

    /// a·b + c, saturating at Int.max (sizes to check, never negative).
    static func size(_ a: Int, times b: Int, plus c: Int = 0) -> Int {
        let (p, o) = max(0, a).multipliedReportingOverflow(by: max(0, b))
        let (r, o2) = p.addingReportingOverflow(max(0, c))
        return o || o2 ? Int.max : r
    }

    enum Flow { case normal, breakLoop, continueLoop }

    init(templateName: String, context: JinjaObject, options: RenderOptions) {
        self.templateName = templateName
        self.options = options
        var root = Builtins.globals
        for p in context.pairs { root[p.key] = p.value }
        frames = [root]
    }

    func error(_ message: String, kind: TemplateError.Kind = .runtime) -> TemplateError {
        TemplateError(kind, message, templateName: templateName, line: location.line, column: location.column)
    }

    /// Re-labels an error thrown without a location (builtins) with the current one.
    func locate(_ e: TemplateError) -> TemplateError {
        guard e.line == 0 else { return e }
        var e = e
        e.templateName = templateName
        e.line = location.line
        e.column = location.column
        return e
    }

    func lookup(_ name: String) -> JinjaValue {
        for frame in frames.reversed() { if let v = frame[name] { return v } }
        return .undefined
    }

    func assign(_ name: String, _ value: JinjaValue) {
        frames[frames.count - 1][name] = value
    }

    /// A new namespace, emptied when the render ends: a namespace can hold itself (`ns.me = ns`,
    /// a cycler's methods), a reference cycle that would otherwise outlive the render.
    func makeNamespace(_ attributes: JinjaObject) -> Namespace {
        let n = Namespace(attributes)
        namespaces.append(n)
        return n
    }

    /// Empties every namespace made during the render; called once, when the whole render ends.
    func releaseNamespaces() {
        for n in namespaces { n.attributes = JinjaObject() }
        namespaces = []
    }

    func render(_ nodes: [Node]) throws(TemplateError) -> String {
        var out = ""
        _ = try execute(nodes, into: &out)
        return out
    }

    func execute(_ nodes: [Node], into out: inout String) throws(TemplateError) -> Flow {
        for node in nodes {
            let flow = try execute(node, into: &out)
            if case .normal = flow { continue }
            return flow
        }
        return .normal
    }

    func execute(_ node: Node, into out: inout String) throws(TemplateError) -> Flow {
        switch node {
        case let .located(inner, loc):
            location = loc
            do { return try execute(inner, into: &out) } catch { throw locate(error) }
        case let .text(t):
            out += t
            guard out.utf8.count <= Self.maxOutputBytes else { throw error("output larger than \(Self.maxOutputBytes >> 20) MiB") }
        case let .output(e):
            out += try evaluate(e).pythonString
            guard out.utf8.count <= Self.maxOutputBytes else { throw error("output larger than \(Self.maxOutputBytes >> 20) MiB") }
        case let .ifChain(branches, elseBody):
            for (condition, body) in branches where try evaluate(condition).isTruthy {
                return try execute(body, into: &out)
            }
            return try execute(elseBody, into: &out)
        case let .forLoop(target, iterable, filter, body, elseBody, _):
            return try forLoop(target: target, iterable: iterable, filter: filter, body: body, elseBody: elseBody, into: &out)
        case let .set(target, e):
            try assign(target, try evaluate(e))
        case let .setBlock(target, filters, body):
            var captured = ""
            _ = try execute(body, into: &captured)
            var value = JinjaValue.string(captured)
            for (f, args) in filters { value = try applyFilter(f, value, try evaluateArguments(args)) }
            try assign(target, value)
        case let .macro(definition):
            assign(definition.name, .callable(makeMacro(definition)))
        case let .callBlock(call, parameters, body):
            let caller = makeMacro(MacroDefinition(name: "caller", parameters: parameters, body: body))
            frames.append(["caller": .callable(caller)])
            defer { frames.removeLast() }
            out += try evaluate(call).pythonString
        case let .filterBlock(filters, body):
            var captured = ""
            _ = try execute(body, into: &captured)
            var value = JinjaValue.string(captured)
            for (f, args) in filters { value = try applyFilter(f, value, try evaluateArguments(args)) }
            out += value.pythonString
        case .breakLoop: return .breakLoop
        case .continueLoop: return .continueLoop
        }
        return .normal
    }

    func assign(_ target: Target, _ value: JinjaValue) throws(TemplateError) {
        switch target {
        case let .name(n):
            assign(n, value)
        case let .tuple(targets):
            let items = try iterate(value)
            guard items.count == targets.count else {
                throw error(items.count > targets.count ? "too many values to unpack (expected \(targets.count))"
                                                        : "not enough values to unpack (expected \(targets.count), got \(items.count))")
            }
            for (t, v) in zip(targets, items) { try assign(t, v) }
        case let .attribute(ns, attr):
            guard case let .namespace(n) = lookup(ns) else {
                throw error("cannot assign attribute on non-namespace object")
            }
            // The one place a value outlives a loop iteration, so the one place nesting can grow
            // without bound (`ns.v = [ns.v]`); deep values would overflow the stack in repr,
            // comparison and even deallocation.
            guard !value.nestsDeeper(than: Self.maxValueDepth) else {
                throw error("value nested deeper than \(Self.maxValueDepth) levels")
            }
            n.attributes[attr] = value
        }
    }

    func forLoop(target: Target, iterable: Expr, filter: Expr?, body: [Node], elseBody: [Node],
                 into out: inout String) throws(TemplateError) -> Flow {
        var items = try iterate(try evaluate(iterable))
        if let filter {
            var kept: [JinjaValue] = []
            for item in items {
                frames.append([:])
                defer { frames.removeLast() }
                try assign(target, item)
                if try evaluate(filter).isTruthy { kept.append(item) }
            }
            items = kept
        }
        if items.isEmpty { return try execute(elseBody, into: &out) }
        let n = items.count
        for (index, item) in items.enumerated() {
            iterations += 1
            guard iterations <= Self.maxIterations else { throw error("more than \(Self.maxIterations) loop iterations") }
            var loop = JinjaObject()
            loop["index"] = .int(index + 1)
            loop["index0"] = .int(index)
            loop["revindex"] = .int(n - index)
            loop["revindex0"] = .int(n - index - 1)
            loop["first"] = .bool(index == 0)
            loop["last"] = .bool(index == n - 1)
            loop["length"] = .int(n)
            loop["depth"] = .int(1)
            loop["depth0"] = .int(0)
            loop["previtem"] = index > 0 ? items[index - 1] : .undefined
            loop["nextitem"] = index + 1 < n ? items[index + 1] : .undefined
            loop["cycle"] = .callable(Callable("cycle") { args, _ throws(TemplateError) in
                guard !args.positional.isEmpty else { throw TemplateError(.runtime, "no items for cycling given") }
                return args.positional[index % args.positional.count]
            })
            frames.append(["loop": .object(loop)])
            defer { frames.removeLast() }
            try assign(target, item)
            let flow = try execute(body, into: &out)
            if case .breakLoop = flow { break }
        }
        return .normal
    }

    /// The elements `for` iterates: lists, dict keys, string characters; undefined is empty.
    func iterate(_ v: JinjaValue) throws(TemplateError) -> [JinjaValue] {
        switch v.plain {
        case let .array(a), let .tuple(a), let .view(_, a): return a
        case let .object(o): return o.entries.map(\.key)
        case let .string(s):
            if s.utf8.count > Self.maxItems { try Self.ensure(items: s.count) }   // one value per character
            return s.map { .string(String($0)) }
        case .undefined: return []
        case let .namespace(n): return n.attributes.keys.map { .string($0) }
        case let .iterator(g): return g.drain()
        default: throw error("'\(v.typeName)' object is not iterable")
        }
    }

    func makeMacro(_ definition: MacroDefinition) -> Callable {
        let root = frames[0]
        let used = Node.names(in: definition.body)
        let acceptsVarargs = used.contains("varargs"), acceptsKwargs = used.contains("kwargs")
        return Callable(definition.name) { args, interpreter throws(TemplateError) in
            let count = definition.parameters.count
            if args.positional.count > count && !acceptsVarargs {
                throw TemplateError(.runtime, "macro '\(definition.name)' takes not more than \(count) argument(s)")
            }
            if !acceptsKwargs, let unknown = args.keyword.first(where: { k in
                !definition.parameters.contains { $0.0 == k.0 } && !(k.0 == "caller" && used.contains("caller"))
            }) {
                throw TemplateError(.runtime, "macro '\(definition.name)' takes no keyword argument '\(unknown.0)'")
            }
            var frame: [String: JinjaValue] = [:]
            for (index, (name, defaultValue)) in definition.parameters.enumerated() {
                if let v = args.value(index, name) {
                    frame[name] = v
                } else if let defaultValue {
                    frame[name] = try interpreter.evaluate(defaultValue)
                } else {
                    frame[name] = .undefined
                }
            }
            frame["varargs"] = .tuple(Array(args.positional.dropFirst(definition.parameters.count)))
            var kwargs = JinjaObject()
            for (k, v) in args.keyword where !definition.parameters.contains(where: { $0.0 == k }) { kwargs[k] = v }
            frame["kwargs"] = .object(kwargs)
            if let caller = interpreter.lookup("caller") as JinjaValue?, case .callable = caller, frame["caller"] == nil {
                frame["caller"] = caller
            }
            guard interpreter.callDepth < Interpreter.maxCallDepth else {
                throw TemplateError(.runtime, "maximum macro recursion depth exceeded")
            }
            let saved = interpreter.frames
            interpreter.frames = [interpreter.frames[0].merging(root) { current, _ in current }, frame]
            interpreter.callDepth += 1
            defer { interpreter.frames = saved; interpreter.callDepth -= 1 }
            return .string(try interpreter.render(definition.body))
        }
    }
}
