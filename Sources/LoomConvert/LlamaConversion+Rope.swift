// RoPE base frequency and scaling, as base.py's TextModel (set_gguf_parameters) and llama.py's
// generate_extra_tensors write them.
//
// config.json: "rope_theta" (default 10000), and "rope_scaling" (or transformers 5's
// "rope_parameters") = {"rope_type" | "type": kind, "factor": f, …}:
//   absent, "default"  nothing more
//   "linear"           <arch>.rope.scaling.type = "linear", .rope.scaling.factor = f
//   "yarn"             type "yarn", factor, .rope.scaling.original_context_length, and when given
//                      .yarn_ext_factor (extrapolation_factor), .yarn_attn_factor (attention_factor
//                      or attn_factor), .yarn_beta_fast, .yarn_beta_slow
//   "llama3"           no keys; a tensor rope_freqs.weight [d/2] of per-frequency divisors:
//                        freq_i = 1 / θ^(2i/d), λ = 2π / freq_i, with l = orig_ctx / low_freq_factor,
//                        h = orig_ctx / high_freq_factor:  λ < h → 1;  λ > l → factor;
//                        else s = (orig_ctx / λ − low) / (high − low), 1 / ((1 − s) / factor + s)
//   anything else      ConvertError.unsupportedRopeScaling (dynamic NTK, longrope, … need more than
//                      these keys, and silently dropping them would change the model)

import Foundation
import LoomGGUF

extension LlamaConversion {
    struct Rope {
        var theta: Double
        var kind: String?
        var params: JSONObject?

        init(config c: JSONObject) throws(ConvertError) {
            var scaling = try c.objectIfPresent("rope_parameters")
            if scaling == nil { scaling = try c.objectIfPresent("rope_scaling") }
            params = scaling
            var kind = try scaling?.stringIfPresent("rope_type")
            if kind == nil { kind = try scaling?.stringIfPresent("type") }
            self.kind = kind
            var theta = try scaling?.doubleIfPresent("rope_theta")
            if theta == nil { theta = try c.doubleIfPresent("rope_theta") }
            self.theta = theta ?? 10000
        }

        private func number(_ key: String) throws(ConvertError) -> Double {
            guard let v = try params?.doubleIfPresent(key) else { throw .missingKey(file: "config.json", key: "rope_scaling.\(key)") }
            return v
        }

        /// Writes the RoPE keys; returns llama3's rope_freqs values when that kind is asked for.
        func write(arch: String, headDim: Int, into p: inout GGUFMetadata) throws(ConvertError) -> [Float]? {
            var freqs: [Float]?
            switch kind?.lowercased() {
            case nil, "default":
                break
            case "linear":
                p["\(arch).rope.scaling.type"] = .string("linear")
                p["\(arch).rope.scaling.factor"] = .float32(Float(try number("factor")))
            case "yarn":
                p["\(arch).rope.scaling.type"] = .string("yarn")
                p["\(arch).rope.scaling.factor"] = .float32(Float(try number("factor")))
                p["\(arch).rope.scaling.original_context_length"] = .uint32(UInt32(clamping: Int(try number("original_max_position_embeddings"))))
                let optional = [("extrapolation_factor", "yarn_ext_factor"), ("attention_factor", "yarn_attn_factor"),
                                ("attn_factor", "yarn_attn_factor"), ("beta_fast", "yarn_beta_fast"), ("beta_slow", "yarn_beta_slow")]
                for (key, name) in optional where p["\(arch).rope.scaling.\(name)"] == nil {
                    if let v = try params?.doubleIfPresent(key) { p["\(arch).rope.scaling.\(name)"] = .float32(Float(v)) }
                }
            case "llama3":
                freqs = try llama3Factors(headDim: headDim)
            case let other?:
                throw .unsupportedRopeScaling(other)
            }
            p["\(arch).rope.freq_base"] = .float32(Float(theta))
            return freqs
        }

        func llama3Factors(headDim d: Int) throws(ConvertError) -> [Float] {
            let factor = Float(try params?.doubleIfPresent("factor") ?? 8)
            let low = Float(try params?.doubleIfPresent("low_freq_factor") ?? 1)
            let high = Float(try params?.doubleIfPresent("high_freq_factor") ?? 4)
            let context = Float(try params?.doubleIfPresent("original_max_position_embeddings") ?? 8192)
            let lowWavelength = context / low, highWavelength = context / high
            return stride(from: 0, to: d, by: 2).map { i in
                let freq = 1 / powf(Float(theta), Float(i) / Float(d))
                let wavelength = 2 * Float.pi / freq
                if wavelength < highWavelength { return 1 }
                if wavelength > lowWavelength { return factor }
                let smooth = (context / wavelength - low) / (high - low)
                return 1 / ((1 - smooth) / factor + smooth)
            }
        }
    }
}
