// Which thinking tags a chat template uses, read from its Jinja source.
//
// Ollama infers the tags from a Go template (the text around `{{ .Thinking }}`); GGUF files carry
// Jinja, whose templates build the block in many ways (literals, `set think_begin_token = …`,
// macros), so this looks for known tag pairs instead. A pair counts only when both its open and
// its close literal occur in the source — a template that merely strips "</think>" from history
// (LFM2.5-Instruct, RWKV's `split('</think>')` alone) does not make a model a thinker. Pairs are
// tried most specific first ("<seed:think>" before "<think>"), so one template yields one pair.
//
// Covered (Fixtures/templates/llama.cpp): <think>…</think> (Qwen3, QwQ, DeepSeek-R1/V3.x, SmolLM3,
// GLM-4.x, Kimi-K2-Thinking, MiniMax-M2, Nemotron, Granite 3.3, …), <seed:think> (Seed-OSS),
// <mm:think> (MiniMax-M3), [THINK]…[/THINK] (Magistral/Ministral reasoning), <|START_THINKING|>
// (Command R7B / Cohere2), <|channel>thought…<channel|> (Gemma 4), <|inner_prefix|>…<|inner_suffix|>
// (Apertus), <thinking>…</thinking> (Apriel 1.5).
// Not covered (nil): gpt-oss harmony channels (needs its own parser), Kimi-K3's `<|open|>think`
// macro tags, Hunyuan's `'<think{}>'.format(…)` tags, Solar-Open's `<|think|>` message, Apriel 1.6's
// untagged "[BEGIN FINAL RESPONSE]" split.

extension ThinkingTags {
    /// Known tag pairs, most specific first.
    static let known: [ThinkingTags] = [
        ThinkingTags(open: "<seed:think>", close: "</seed:think>"),
        ThinkingTags(open: "<mm:think>", close: "</mm:think>"),
        ThinkingTags(open: "[THINK]", close: "[/THINK]"),
        ThinkingTags(open: "<|START_THINKING|>", close: "<|END_THINKING|>"),
        ThinkingTags(open: "<|channel>thought", close: "<channel|>"),
        ThinkingTags(open: "<|inner_prefix|>", close: "<|inner_suffix|>"),
        ThinkingTags(open: "<thinking>", close: "</thinking>"),
        ThinkingTags(open: "<think>", close: "</think>"),
    ]
}

extension ThinkingSplitter {
    /// Tags a chat template uses, found in its source (e.g. "<think>" … "</think>"), or nil when the
    /// template has none.
    public static func tags(inTemplate source: String) -> ThinkingTags? {
        ThinkingTags.known.first { source.contains($0.open) && source.contains($0.close) }
    }
}
