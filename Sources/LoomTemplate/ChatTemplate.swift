// ChatTemplate: the public entry point — parse a template once, render it with a context as
// Hugging Face's apply_chat_template does (trim_blocks, lstrip_blocks, tojson, raise_exception,
// strftime_now). Parsing is the expensive part; rendering walks the immutable tree.

/// Options for one render.
public struct RenderOptions: Sendable {
    /// The time `strftime_now` formats; nil means the local clock.
    public var now: TemplateDate?

    /// Options with an optional fixed time.
    public init(now: TemplateDate? = nil) { self.now = now }
}

/// A parsed chat template.
public struct ChatTemplate: Sendable {
    /// The template's name, used in error messages.
    public let name: String
    let nodes: [Node]

    /// Parses `source`; throws a syntax error with line and column.
    public init(source: String, name: String = "template") throws(TemplateError) {
        self.name = name
        nodes = try Parser.parse(source, name: name)
    }

    /// Renders with `context` (messages, tools, add_generation_prompt, bos_token, …).
    public func render(_ context: JinjaObject, options: RenderOptions = RenderOptions()) throws(TemplateError) -> String {
        let interpreter = Interpreter(templateName: name, context: context, options: options)
        defer { interpreter.releaseNamespaces() }
        do {
            return try interpreter.render(nodes)
        } catch {
            throw interpreter.locate(error)
        }
    }
}
