// `loom`: the command-line tool. Composition root only — each subcommand parses its arguments,
// calls a library module and prints. Subcommands arrive with their issues (serve, run, list, …).

import ArgumentParser
import ServeCommand

@main
struct Loom: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "loom",
        abstract: "Loom: a native LLM inference engine that speaks the Ollama API.",
        subcommands: [ServeCommand.self, RunCommand.self, ListCommand.self, PsCommand.self, ShowCommand.self, CreateCommand.self,
                      CopyCommand.self, RemoveCommand.self, StopCommand.self, PullCommand.self, PushCommand.self, PerplexityCommand.self, GGUFCommand.self, TokenizeCommand.self, TemplateCommand.self, EmbedCommand.self, ConvertCommand.self,
                      BenchCommand.self]
    )
}
