// ToolCallFormat: the tool-call syntaxes ToolCallParser reads, and which one a chat template implies.
//
// How each template family renders an assistant tool call (Fixtures/templates/llama.cpp), which is
// what a model trained on it emits:
//   hermes   <tool_call>\n{"name": "f", "arguments": {…}}\n</tool_call>       Qwen2.5/QwQ/Qwen3,
//            Hermes 2 Pro/3, Granite 4, MiMo, Reka, Bielik; one block per call.
//   mistral  [TOOL_CALLS][{"name": "f", "arguments": {…}, "id": "…"}]          Mistral Nemo (v3)
//            [TOOL_CALLS]f[CALL_ID]abc123def[ARGS]{…}                          Mistral Small 3.2
//            [TOOL_CALLS]f[ARGS]{…}                                            Devstral, Ministral 3
//   llama3   {"name": "f", "parameters": {…}}  as the whole message            Llama 3.1/3.2/3.3
//            (3.1/3.3 may prefix <|python_tag|>)
//   json     a bare JSON object or array of objects as the whole message — Ollama's generic parser
//            for templates without a tag (§11.5: tag "{").
// `detect` returns nil for templates without tool support and for those whose tool calls are not
// JSON (XML-ish <function=…>/<arg_key> bodies of Qwen3-Coder/Qwen3.5/GLM/Nemotron 3, Kimi's and
// DeepSeek's section tokens, gpt-oss harmony, Command R's actions, LFM2's pythonic calls, Gemma 4's
// call syntax): parsing those as JSON would only ever fail, so the runtime had better not pretend.

/// A syntax in which a model writes tool calls.
public enum ToolCallFormat: Sendable, Equatable {
    /// `<tool_call>{"name": …, "arguments": {…}}</tool_call>` (Hermes, Qwen 2.5, Granite 4 …).
    case hermes
    /// `[TOOL_CALLS] [{"name": …, "arguments": {…}}, …]`, or `[TOOL_CALLS]name[ARGS]{…}` (Mistral).
    case mistral
    /// `{"name": …, "parameters": {…}}` as the whole message, optionally after `<|python_tag|>` (Llama 3.x).
    case llama3
    /// A bare JSON object or array of objects as the whole message (first non-space char `{` or `[`).
    case json

    /// Template text that marks a tool-call syntax this parser does not read.
    static let unsupportedMarkers = [
        "<function=", "<arg_key>", "<parameter=",              // XML-ish bodies inside <tool_call>
        "<|tool_calls_section_begin|>", "tool▁calls▁begin",   // Kimi K2, DeepSeek V3/R1
        "<|channel|>", "<|START_ACTION|>", "<|tool_call_start|>", // harmony, Command R7B, LFM2
        "<|tool_call>", "<seed:tool_call>", "<minimax:tool_call>", "minimax[>[", "<|tools_prefix|>", // Gemma 4, Seed, MiniMax, Apertus
    ]

    /// The format a chat template (Jinja source) implies, or nil when the template does not
    /// support tools (or writes calls in a syntax other than these).
    public static func detect(template: String) -> ToolCallFormat? {
        guard template.contains("tool") else { return nil }
        if template.contains("[TOOL_CALLS]") { return .mistral }
        if unsupportedMarkers.contains(where: { template.contains($0) }) { return nil }
        if template.contains("<tool_call>") { return .hermes }
        let llamaHeaders = template.contains("<|start_header_id|>")
        if llamaHeaders, template.contains("<|python_tag|>") || template.contains("\"parameters\": ") { return .llama3 }
        // Generic: the template renders assistant tool calls as JSON (`tool_calls` … `tojson`).
        if template.contains("tool_calls"), template.contains("tojson") { return .json }
        return nil
    }

    /// The literal that opens a call in this format; nil for the formats that have none.
    var tag: String? {
        switch self {
        case .hermes: "<tool_call>"
        case .mistral: "[TOOL_CALLS]"
        case .llama3, .json: nil
        }
    }
}
