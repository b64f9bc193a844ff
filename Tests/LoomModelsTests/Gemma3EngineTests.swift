// Gemma 3 270M through the Engine with Gemma's chat template (Fixtures/templates/models/gemma3-it.jinja):
// <end_of_turn> ends a turn (an end-of-generation token, as llama.cpp marks it), the prompt starts with
// one BOS although the template writes `{{ bos_token }}` (llama.cpp's chat code drops the template's),
// and its tokens are llama-tokenize's ids of the rendered text.

import Foundation
@testable import LoomRuntime
import LoomTemplate
import Testing

@Suite("Gemma 3 engine")
struct Gemma3EngineTests {
    static let path = ModelFixtures.root + "/.cache/models/gemma-3-270m-Q4_K_M.gguf"

    @Test("chat template turn: one BOS, llama.cpp's ids, <end_of_turn> ends generation", .enabled(if: ModelFixtures.available))
    func chatTurn() throws {
        let template = try String(contentsOfFile: ModelFixtures.root + "/Fixtures/templates/models/gemma3-it.jinja", encoding: .utf8)
        let engine = try Engine.load(path: Self.path, contextLength: 256, template: template)
        let endOfTurn = try #require(engine.vocabulary.tokens.firstIndex(of: "<end_of_turn>"))
        #expect(engine.endTokens.contains(Int32(endOfTurn)))
        #expect(engine.endTokens.contains(1))   // <eos>
        let turn = try engine.prepare([ChatMessage(role: "system", content: "Be brief."),
                                       ChatMessage(role: "user", content: "What is the capital of France?")],
                                      options: ChatOptions())
        #expect(turn.prompt.hasPrefix("<bos><start_of_turn>user\nBe brief.\n\nWhat is the capital of France?<end_of_turn>\n"))
        // llama-tokenize -m gemma-3-270m-Q4_K_M.gguf -p "<start_of_turn>user\nBe brief.\n\n…<start_of_turn>model\n" --ids
        #expect(turn.tokens == [2, 105, 2364, 107, 3912, 8652, 236761, 108, 3689, 563, 506, 5279, 529, 7001, 236881, 106, 107, 105, 4368, 107])
    }
}
