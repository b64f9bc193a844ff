// ChatOutput: one turn's generated text → typed chat events. Pieces go through the thinking
// splitter (when thinking is on: reasoning → `.thinking`, the tags never reach `.content`), then
// through the tool-call parser (when tools were offered: text before a call streams as content,
// each call is emitted whole as `.toolCall` with an increasing index). The caller feeds pieces in
// order and calls `finish` at the end.

/// Splits one turn's text into thinking, content and tool calls.
struct ChatOutput {
    private var splitter: ThinkingSplitter?
    private var parser: ToolCallParser?

    /// `thinking`: the template's tags when thinking is on; `tools`: the call syntax and the offered
    /// tool names when tools were given; `prompt`: the rendered prompt (it may open the thinking).
    init(thinking: ThinkingTags?, prompt: String, tools: (format: ToolCallFormat, names: [String])?) {
        splitter = thinking.map { ThinkingSplitter(tags: $0, startsInside: ThinkingSplitter.promptEndsInside(prompt, tags: $0)) }
        parser = tools.map { ToolCallParser(format: $0.format, toolNames: $0.names) }
        // A template that opens the call itself (a prefilled `<tool_call>`): the output continues it.
        if let tag = tools?.format.tag {
            var end = prompt.endIndex
            while end > prompt.startIndex, " \n".contains(prompt[prompt.index(before: end)]) { end = prompt.index(before: end) }
            if prompt[..<end].hasSuffix(tag) { _ = parser?.feed(tag + prompt[end...]) }
        }
    }

    /// The events of one piece of text.
    mutating func feed(_ piece: String) -> [ChatEvent] {
        var content = piece
        var events: [ChatEvent] = []
        if splitter != nil, let split = splitter?.feed(piece) {
            if !split.thinking.isEmpty { events.append(.thinking(split.thinking)) }
            content = split.content
        }
        return events + route(content, final: false)
    }

    /// The events of what was held back, at the end of the turn.
    mutating func finish() -> [ChatEvent] {
        var content = ""
        var events: [ChatEvent] = []
        if splitter != nil, let split = splitter?.finish() {
            if !split.thinking.isEmpty { events.append(.thinking(split.thinking)) }
            content = split.content
        }
        return events + route(content, final: true)
    }

    private mutating func route(_ content: String, final: Bool) -> [ChatEvent] {
        guard parser != nil else { return content.isEmpty ? [] : [.content(content)] }
        var parsed = parser?.feed(content) ?? (content: content, calls: [])
        if final, let rest = parser?.finish() {
            parsed.content += rest.content
            parsed.calls += rest.calls
        }
        return (parsed.content.isEmpty ? [] : [.content(parsed.content)]) + parsed.calls.map(ChatEvent.toolCall)
    }
}
