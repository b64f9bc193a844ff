// Embeddings from a generative (llama-family) model, as Ollama serves them: no capability check,
// each input runs through the model on its own and its vector is the last token's final-normed
// hidden state (llama.cpp's embedding of a model without pooling). The pass takes a slot (and the
// thread pool, between batched steps), so that slot's next generation re-evaluates its prompt.

import LoomKernels
import LoomModels

extension Engine: TextEmbedder {
    public var embeddingLength: Int { model.shape.dim }

    public func embed(_ texts: [String], options: EmbedOptions) async throws -> Embeddings {
        try await ComputeThread.run { () throws -> Embeddings in
            let slot = self.acquireSlot(for: [])
            defer { self.releaseSlot(slot) }
            return try self.stepper.exclusive { () throws -> Embeddings in try self.embedNow(texts, options: options, slot: slot) }
        }
    }

    func embedNow(_ texts: [String], options: EmbedOptions, slot: Slot) throws(EngineError) -> Embeddings {
        let start = GenerationJob.now()
        let cache = slot.cache, state = slot.state
        let sequences = try EmbeddingInputs(tokenizer: tokenizer, context: cache.capacity).tokens(texts, truncate: options.truncate)
        slot.cachedTokens = []
        var vectors: [[Float]] = []
        for tokens in sequences where !tokens.isEmpty {
            cache.truncate(to: 0)
            var hidden: [Float] = []
            var at = 0
            while at < tokens.count {
                let end = min(tokens.count, at + batchSize)
                hidden = model.forward(Array(tokens[at..<end]), state: state, pool: pool, output: .lastHidden)
                at = end
            }
            vectors.append(try EmbeddingInputs.finish(hidden, options))
        }
        cache.truncate(to: 0)
        guard vectors.count == sequences.count else { throw .inputTooLong(tokens: 0, context: cache.capacity, afterTruncation: true) }
        var result = Embeddings(vectors: vectors)
        result.promptEvalCount = sequences.reduce(0) { $0 + $1.count }
        result.loadDuration = takeLoadDuration()
        result.totalDuration = GenerationJob.now() - start
        return result
    }
}
