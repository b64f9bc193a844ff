// SamplingOptions and SamplingError: the knobs of one generation's sampler and what can go wrong.
//
// Defaults are Ollama's current ones (ollama-api.md §3): temperature 0.8, top_k 40, top_p 0.9,
// min_p 0, typical_p 1 (off), repeat_last_n 64, repeat_penalty 1 (off), presence/frequency 0,
// seed -1 (random). Meaning of the edge values (as in llama.cpp's samplers):
//   temperature ≤ 0        → greedy: argmax of the penalized, masked logits (ties → lowest id)
//   top_k ≤ 0              → top-k disabled (whole vocabulary)
//   top_p ≥ 1, typical_p ≥ 1, min_p ≤ 0 → that filter is disabled
//   repeat_last_n 0        → penalties disabled; < 0 (Ollama's -1 = num_ctx) → every accepted token
//                            counts (the runtime may instead pass num_ctx)
//   seed < 0               → seeded from the system RNG; ≥ 0 → reproducible on every machine
// Non-finite floats and repeat_penalty ≤ 0 are rejected (SamplingError.invalidOption) at the first
// `sample` call, since `Sampler.init` does not throw.

/// Sampling parameters for one generation; defaults are Ollama's (temperature 0.8, top-k 40, top-p 0.9).
public struct SamplingOptions: Sendable, Hashable {
    /// Softmax temperature; ≤ 0 selects greedy decoding (exact argmax, no randomness).
    public var temperature: Float
    /// Keep only the `topK` most likely tokens; ≤ 0 disables the filter.
    public var topK: Int
    /// Nucleus sampling: keep the smallest prefix whose probability mass is ≥ `topP`; ≥ 1 disables.
    public var topP: Float
    /// Drop tokens whose probability is below `minP` × the top token's probability; ≤ 0 disables.
    public var minP: Float
    /// Locally typical sampling mass; ≥ 1 disables.
    public var typicalP: Float
    /// How many of the most recent accepted tokens the penalties look at; 0 disables, < 0 = all.
    public var repeatLastN: Int
    /// Repetition penalty: a repeated token's logit is divided by it if > 0, multiplied otherwise.
    public var repeatPenalty: Float
    /// Subtracted once from the logit of every token that occurs in the penalty window.
    public var presencePenalty: Float
    /// Subtracted per occurrence (count × value) from the logit of tokens in the penalty window.
    public var frequencyPenalty: Float
    /// RNG seed: ≥ 0 reproduces the same tokens everywhere; < 0 (Ollama's -1) draws a random seed.
    public var seed: Int

    /// Creates options; every parameter defaults to Ollama's default.
    public init(
        temperature: Float = 0.8, topK: Int = 40, topP: Float = 0.9, minP: Float = 0.0,
        typicalP: Float = 1.0, repeatLastN: Int = 64, repeatPenalty: Float = 1.0,
        presencePenalty: Float = 0.0, frequencyPenalty: Float = 0.0, seed: Int = -1
    ) {
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.minP = minP
        self.typicalP = typicalP
        self.repeatLastN = repeatLastN
        self.repeatPenalty = repeatPenalty
        self.presencePenalty = presencePenalty
        self.frequencyPenalty = frequencyPenalty
        self.seed = seed
    }

    /// Greedy options: temperature 0, so `sample` returns the argmax of the (penalized) logits.
    public static let greedy = SamplingOptions(temperature: 0)

    /// The first invalid option, if any (non-finite float, or repeat_penalty ≤ 0).
    var validationError: SamplingError? {
        let floats: [(String, Float)] = [
            ("temperature", temperature), ("top_p", topP), ("min_p", minP), ("typical_p", typicalP),
            ("repeat_penalty", repeatPenalty), ("presence_penalty", presencePenalty),
            ("frequency_penalty", frequencyPenalty),
        ]
        for (name, value) in floats where !value.isFinite {
            return .invalidOption(name: name, value: value)
        }
        if repeatPenalty <= 0 { return .invalidOption(name: "repeat_penalty", value: repeatPenalty) }
        return nil
    }
}

/// Why a token could not be sampled.
public enum SamplingError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The logits vector was empty.
    case emptyLogits
    /// A logit was NaN or ±infinity (the first offending index is reported).
    case nonFiniteLogit(index: Int, value: Float)
    /// The `allowed` mask excluded every token.
    case noAllowedToken
    /// The vocabulary is larger than token ids (Int32) can address.
    case vocabularyTooLarge(count: Int)
    /// An option has a value the samplers cannot use (non-finite, or repeat_penalty ≤ 0).
    case invalidOption(name: String, value: Float)

    /// One sentence describing the error.
    public var description: String {
        switch self {
        case .emptyLogits:
            return "Cannot sample from an empty logits vector."
        case let .nonFiniteLogit(index, value):
            return "Logit \(index) is \(value); the model produced a non-finite value."
        case .noAllowedToken:
            return "The token mask allows no token of the vocabulary."
        case let .vocabularyTooLarge(count):
            return "A vocabulary of \(count) logits exceeds the Int32 token id range."
        case let .invalidOption(name, value):
            return "Sampling option \(name) = \(value) is invalid."
        }
    }
}
