// fuzz-json: any bytes as the body of every endpoint, decoded exactly as LoomServer does
// (OllamaResponder.decode: LoomJSON parse, then JSONValueDecoder into the request type; CompatRoutes:
// CompatBody, then each /v1 translator) → a request value or a typed error, never a crash.
// Also: parse → serialize → parse gives the same value (LoomJSON keeps number text and key order),
// and the `options` object of a request decodes to typed Options or an APIError.
// Seeds: Fuzz/Corpus/json (one body per endpoint from Ollama's API reference, plus edge cases).

import FuzzSupport
import LoomAPI
import LoomJSON

func decode<T: Decodable>(_ type: T.Type, _ value: JSONValue) -> T? {
    try? JSONValueDecoder().decode(T.self, from: value == .null ? .object([]) : value)
}

Fuzz.run { bytes in
    let body = Array(bytes)
    if let value = try? JSONValue.parse(body) {
        let text = value.serialized()
        let again = try? JSONValue.parse(text)
        Fuzz.check(again == value, "serialized JSON does not parse back to the same value: \(text)")
        if let r = decode(GenerateRequest.self, value) { _ = try? Options(r.options) }
        if let r = decode(ChatRequest.self, value) { _ = try? Options(r.options) }
        _ = decode(EmbedRequest.self, value)
        _ = decode(EmbeddingRequest.self, value)
        _ = decode(ShowRequest.self, value)
        _ = decode(CopyRequest.self, value)
        _ = decode(DeleteRequest.self, value)
        _ = decode(CreateRequest.self, value)
        _ = decode(RegistryRequest.self, value)
        _ = try? Options(value)
    }
    guard let compat = try? CompatBody(body) else { return }
    _ = try? OpenAIChat.request(compat)
    _ = try? OpenAICompletions.request(compat)
    _ = try? OpenAIEmbeddings.request(compat)
    _ = try? OpenAIResponses.request(compat)
    _ = try? AnthropicMessages.request(compat)
}
