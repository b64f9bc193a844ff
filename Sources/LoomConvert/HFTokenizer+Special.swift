// Special token ids, add_*_token flags, normalizer flags and chat templates, as gguf-py's
// SpecialVocab (gguf/vocab.py) derives them, written as tokenizer.ggml.* metadata.
//
// Order of evidence (SpecialVocab's):
//   1. tokenizer_config.json's *_token names (special_tokens_map.json fills gaps, for folders that
//      only have vocab.txt); a missing bos/eos borrows cls/sep.
//   2. tokenizer.json's post_processor: ByteLevel → add_bos/add_eos default false; RobertaProcessing
//      → add bos, eos, sep; TemplateProcessing "[CLS] $A [SEP]" → add_bos when the first special is
//      bos/cls, add_eos when the last is eos, add_sep from the pair template.
//   3. tokenizer_config.json's add_*_token, when present. It overrides the post_processor (gguf-py
//      keeps the post_processor's value): the config is what transformers' fast tokenizers apply.
//   4. each named token's id: tokenizer.json's added_tokens (first match), else the vocabulary.
//   5. config.json's *_token_id for kinds still unset. Ids must be below the vocabulary size.
// Chat template: chat_template.jinja (+ additional_chat_templates/*.jinja) wins over
// tokenizer_config.json's chat_template, which wins over chat_template.json — the file winning is
// transformers' rule (gguf-py prefers tokenizer_config). A list of {name, template} becomes
// tokenizer.chat_template (the one named "default"), tokenizer.chat_template.<name> for the others
// and tokenizer.chat_templates listing their names.

import Foundation
import LoomGGUF
import LoomJSON

/// What SpecialVocab would add to a GGUF.
struct SpecialTokens {
    /// (kind, id) in the order set: bos, eos, unk, sep, pad, cls, mask, eot, eom.
    var ids: [(kind: String, id: Int)] = []
    /// (kind, flag) for tokenizer.ggml.add_<kind>_token.
    var add: [(kind: String, value: Bool)] = []
    /// The default chat template and named ones.
    var chatTemplate: String?
    var namedTemplates: [(name: String, template: String)] = []
    var lowercase: Bool?
    var stripAccents: Bool?

    func id(_ kind: String) -> Int? { ids.first { $0.kind == kind }?.id }
    func adds(_ kind: String) -> Bool? { add.first { $0.kind == kind }?.value }

    mutating func setID(_ kind: String, _ id: Int?, vocabularySize: Int) {
        guard let id, id >= 0, id < vocabularySize, self.id(kind) == nil else { return }
        ids.append((kind, id))
    }

    mutating func setAdd(_ kind: String, _ value: Bool, onlyIfUnset: Bool = false) {
        if let i = add.firstIndex(where: { $0.kind == kind }) {
            if !onlyIfUnset { add[i].value = value }
        } else {
            add.append((kind, value))
        }
    }

    /// Writes the tokenizer.ggml.* keys.
    func write(into m: inout GGUFMetadata) {
        let keys = ["bos": "bos_token_id", "eos": "eos_token_id", "unk": "unknown_token_id", "sep": "seperator_token_id",
                    "pad": "padding_token_id", "cls": "cls_token_id", "mask": "mask_token_id",
                    "eot": "eot_token_id", "eom": "eom_token_id"]
        for (kind, id) in ids { if let k = keys[kind] { m["tokenizer.ggml.\(k)"] = .uint32(UInt32(id)) } }
        for (kind, value) in add where ["bos", "eos", "sep"].contains(kind) { m["tokenizer.ggml.add_\(kind)_token"] = .bool(value) }
        for (name, template) in namedTemplates { m["tokenizer.chat_template.\(name)"] = .string(template) }
        if !namedTemplates.isEmpty { m["tokenizer.chat_templates"] = .array(.string(namedTemplates.map(\.name))) }
        if let chatTemplate { m["tokenizer.chat_template"] = .string(chatTemplate) }
        if let lowercase { m["tokenizer.ggml.normalizer.lowercase"] = .bool(lowercase) }
        if let stripAccents { m["tokenizer.ggml.normalizer.strip_accents"] = .bool(stripAccents) }
    }
}

extension HFTokenizerFiles {
    /// SpecialVocab's result for this folder; `tokens` is the final token list (for id lookups).
    func specialTokens(folder: HFModelFolder, modelConfig: JSONObject, tokens: [String]) throws(ConvertError) -> SpecialTokens {
        var s = SpecialTokens()
        var kinds = ["bos", "eos", "unk", "sep", "pad", "cls", "mask"]
        let hasConfig = config != nil || specialMap != nil
        var named: [String: String] = [:]
        for k in kinds { named[k] = specialContent(k) }
        if let t = tokenizer {
            if hasConfig, named["bos"] == nil, let cls = named["cls"] { named["bos"] = cls }
            if hasConfig, named["eos"] == nil, let sep = named["sep"] { named["eos"] = sep }
            readPostProcessor(t["post_processor"], named: &named, kinds: &kinds, into: &s, hasConfig: hasConfig)
            Self.readNormalizer(t["normalizer"], into: &s)
        }
        if hasConfig {
            try readChatTemplates(folder: folder, into: &s)
            var firstID: [String: Int] = [:]
            for a in added.reversed() { firstID[a.content] = a.id }
            var vocabID: [String: Int] = [:]
            for (i, t) in tokens.enumerated().reversed() { vocabID[t] = i }
            for kind in kinds {
                if let flag = config?["add_\(kind)_token"]?.boolValue { s.setAdd(kind, flag) }
                guard let content = named[kind] else { continue }
                s.setID(kind, firstID[content] ?? vocabID[content], vocabularySize: tokens.count)
            }
        }
        for kind in kinds {
            s.setID(kind, modelConfig["\(kind)_token_id"]?.intValue, vocabularySize: tokens.count)
        }
        return s
    }

    private func readPostProcessor(_ post: JSONValue?, named: inout [String: String], kinds: inout [String],
                                   into s: inout SpecialTokens, hasConfig: Bool) {
        guard let post, post.members != nil else { return }
        for p in post["processors"]?.arrayValue ?? [post] where p.members != nil {
            switch p["type"]?.stringValue {
            case "ByteLevel":
                s.setAdd("bos", false, onlyIfUnset: true)
                s.setAdd("eos", false, onlyIfUnset: true)
            case "RobertaProcessing":
                for k in ["bos", "eos", "sep"] { s.setAdd(k, true) }
                if hasConfig, named["cls"] == nil { named["cls"] = p["cls"]?[0]?.stringValue ?? named["bos"] }
                if hasConfig, named["sep"] == nil { named["sep"] = p["sep"]?[0]?.stringValue ?? named["eos"] }
            case "TemplateProcessing":
                readTemplate(p, named: &named, kinds: &kinds, into: &s, hasConfig: hasConfig)
            default:
                continue
            }
        }
    }

    private static func special(_ item: JSONValue?) -> String? { item?["SpecialToken"]?["id"]?.stringValue }

    private static func sequence(_ item: JSONValue?) -> String? { item?["Sequence"]?["id"]?.stringValue }

    private func readTemplate(_ p: JSONValue, named: inout [String: String], kinds: inout [String],
                              into s: inout SpecialTokens, hasConfig: Bool) {
        let single = p["single"]?.arrayValue ?? [], pair = p["pair"]?.arrayValue ?? []
        var first: String?, last: String?
        if single.count > 1 {
            first = Self.special(single.first)
            if let f = first {
                if !hasConfig { named["bos"] = f } else if f != named["bos"] && f != named["cls"] {
                    if named["bos"] == nil { named["bos"] = f }
                    if named["cls"] == nil { named["cls"] = f }
                }
                s.setAdd("bos", f == named["bos"] || f == named["cls"])
            }
            last = Self.special(single.last)
            if let l = last {
                if !hasConfig { named["eos"] = l } else if l != named["eos"] {
                    let spare = !kinds.contains("eot") ? "eot" : (!kinds.contains("eom") ? "eom" : nil)
                    if let spare { kinds.append(spare); named[spare] = named["eos"] }
                    named["eos"] = l
                }
                s.setAdd("eos", l == named["eos"])
            }
        }
        guard !pair.isEmpty else { return }
        let start = first != nil && Self.special(pair.first) == first ? 1 : 0
        let stop = last != nil && Self.special(pair.last) == last ? pair.count - 1 : pair.count
        guard start < stop else { return }
        let middle = Array(pair[start..<stop])
        guard Self.sequence(middle.first) == "A", Self.sequence(middle.last) == "B", middle.count > 2 else { return }
        let inner = Array(middle[1..<(middle.count - 1)])
        var addSep = false
        if let e = Self.special(inner.first), (e == named["sep"] || e == named["eos"]), last == nil { addSep = true }
        if inner.count == 2, let e = Self.special(inner[1]), e == named["sep"] || e == named["eos"] { addSep = true }
        s.setAdd("sep", addSep)
        if addSep, hasConfig, named["sep"] == nil { named["sep"] = named["eos"] }
    }

    private static func readNormalizer(_ n: JSONValue?, into s: inout SpecialTokens) {
        guard let n else { return }
        switch n["type"]?.stringValue {
        case "Lowercase": s.lowercase = true
        case "StripAccents": s.stripAccents = true
        case "BertNormalizer":
            if let v = n["lowercase"] { s.lowercase = v.boolValue }
            if let v = n["strip_accents"] { s.stripAccents = v.boolValue }
        case "Sequence":
            for inner in n["normalizers"]?.arrayValue ?? [] where inner.members != nil { readNormalizer(inner, into: &s) }
        default: break
        }
    }

    private func readChatTemplates(folder: HFModelFolder, into s: inout SpecialTokens) throws(ConvertError) {
        var value: JSONValue?
        if let jinja = try folder.text("chat_template.jinja") {
            let extra = folder.files.keys.filter { $0.hasPrefix("additional_chat_templates/") && $0.hasSuffix(".jinja") }.sorted()
            var list: [JSONValue] = [["name": "default", "template": .string(jinja)]]
            for rel in extra {
                let name = String(rel.dropFirst("additional_chat_templates/".count).dropLast(".jinja".count))
                list.append(["name": .string(name), "template": .string(try folder.text(rel) ?? "")])
            }
            value = extra.isEmpty ? .string(jinja) : .array(list)
        } else if let fromConfig = config?["chat_template"] {
            value = fromConfig
        } else if let json = try folder.json("chat_template.json") {
            value = json["chat_template"]
        }
        if let text = value?.stringValue { s.chatTemplate = text; return }
        for choice in value?.arrayValue ?? [] {
            guard let raw = choice["name"]?.stringValue, let template = choice["template"]?.stringValue else { continue }
            let name = String(raw.unicodeScalars.map { ($0.isASCII && CharacterSet.alphanumerics.contains($0)) ? Character($0) : "_" })
            guard !name.isEmpty else { continue }
            if name == "default" { s.chatTemplate = template } else { s.namedTemplates.append((name, template)) }
        }
    }
}
