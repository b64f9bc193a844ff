// Chat templates: parse once, render many. A 20-message conversation (system, alternating user and
// assistant turns) rendered through real templates — SmolLM2's, Qwen 2.5's (tools) and Llama 3.1's.

import Benchmark
import LoomTemplate

let repo = #filePath.components(separatedBy: "/Benchmarks/Benchmarks/")[0]

func read(_ path: String) -> String {
    (try? String(contentsOfFile: repo + "/" + path, encoding: .utf8)) ?? ""
}

func conversation(messages n: Int) -> JinjaObject {
    var messages: [JinjaValue] = []
    var system = JinjaObject()
    system["role"] = .string("system")
    system["content"] = .string("You are a helpful assistant.")
    messages.append(.object(system))
    for i in 1..<n {
        var m = JinjaObject()
        m["role"] = .string(i % 2 == 1 ? "user" : "assistant")
        m["content"] = .string("Message \(i): " + String(repeating: "lorem ipsum dolor sit amet ", count: 8))
        messages.append(.object(m))
    }
    var context = JinjaObject()
    context["messages"] = .array(messages)
    context["add_generation_prompt"] = .bool(true)
    context["bos_token"] = .string("<s>")
    context["eos_token"] = .string("</s>")
    return context
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .mallocCountTotal, .throughput], maxDuration: .seconds(2))
    let context = conversation(messages: 20)
    for (label, path) in [("SmolLM2", "Fixtures/templates/SmolLM2-135M-Instruct.jinja"),
                          ("Qwen2.5", "Fixtures/templates/llama.cpp/Qwen-Qwen2.5-7B-Instruct.jinja"),
                          ("Llama-3.1", "Fixtures/templates/llama.cpp/meta-llama-Llama-3.1-8B-Instruct.jinja")] {
        let source = read(path)
        Benchmark("parse \(label) template") { benchmark in
            for _ in benchmark.scaledIterations { blackHole(try? ChatTemplate(source: source, name: label)) }
        }
        guard let template = try? ChatTemplate(source: source, name: label) else { continue }
        Benchmark("render \(label), 20 messages") { benchmark in
            for _ in benchmark.scaledIterations { blackHole(try? template.render(context)) }
        }
    }
}
