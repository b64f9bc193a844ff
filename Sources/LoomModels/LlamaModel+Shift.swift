// Context shift: when a sequence reaches the end of its KV cache, drop a block of old positions and
// keep going (llama.cpp's `n_discard` / K-shift, Ollama's `shift`).
//
//   before:  [0 ..< keep | keep ..< keep+discard | keep+discard ..< count]
//   after:   [0 ..< keep | the last block, now at keep ..< count-discard]
//
// Keys carry RoPE for their position, so every moved key is rotated by −discard positions (RoPE of a
// sum of angles is the composition of the rotations); values carry no position and are only moved.

import LoomKernels

extension LlamaModel {
    /// Drops cached positions keep..<keep+discard, moves the later ones down and re-rotates their
    /// keys; `cache.count` shrinks by `discard`.
    public func shift(_ state: DecoderState, keep: Int, discard: Int) {
        let cache = state.cache
        precondition(keep >= 0 && discard >= 0 && keep + discard <= cache.count, "shift: bad range")
        guard discard > 0 else { return }
        let moved = cache.count - keep - discard
        cache.removeRows(keep: keep, discard: discard)
        guard moved > 0 else { return }
        let delta = [Int32](repeating: Int32(-discard), count: moved)
        delta.withUnsafeBufferPointer { dp in
            for (l, layer) in layers.enumerated() {
                let rope = layer.rope   // the layer's base and factors; a pure rotation (no mscale)
                cache.updateKeys(layer: l, positions: keep..<(keep + moved)) { keys in
                    Ops.rope(keys, positions: dp.baseAddress!, nTokens: moved, nHeads: hp.kvHeads, headDim: hp.headDim,
                             nRot: rope.nRot, freqBase: rope.freqBase, freqScale: rope.freqScale,
                             freqFactors: rope.freqFactors, style: hp.ropeStyle)
                }
            }
        }
    }
}
