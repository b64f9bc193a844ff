// Placeholder while LoomSampling is written (see the runtime issue).
/// Sampling options (placeholder).
public enum LoomSamplingPlaceholder {}
