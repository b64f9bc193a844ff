// `swift run serve`: the server (see ServeCommand).

import ServeCommand

do {
    let command = try ServeCommand.parse()
    try await command.run()
} catch {
    ServeCommand.exit(withError: error)
}
