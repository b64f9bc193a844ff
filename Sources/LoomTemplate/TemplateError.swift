// TemplateError: what can go wrong parsing or rendering a chat template, with where it happened.
//
// `raised` is the template's own `raise_exception(msg)` (the template rejecting a conversation);
// everything else is a syntax error found while parsing or a runtime error (an operation Jinja
// itself would refuse, e.g. calling an undefined value or adding a string to a number).

/// A typed error from parsing or rendering a template, with the template's name, line and column.
public struct TemplateError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of failure.
    public enum Kind: Sendable, Hashable {
        /// The source is not valid template syntax.
        case syntax
        /// Rendering failed (undefined operation, type error, unknown filter, …).
        case runtime
        /// The template called `raise_exception(message)`.
        case raised
    }

    /// What kind of failure.
    public var kind: Kind
    /// What went wrong.
    public var message: String
    /// The template's name (e.g. its file or model name).
    public var templateName: String
    /// 1-based line of the construct that failed (0 when unknown).
    public var line: Int
    /// 1-based column (0 when unknown).
    public var column: Int

    /// An error at a position.
    public init(_ kind: Kind, _ message: String, templateName: String = "template", line: Int = 0, column: Int = 0) {
        self.kind = kind
        self.message = message
        self.templateName = templateName
        self.line = line
        self.column = column
    }

    /// "name:line:column: syntax error: message".
    public var description: String {
        let label: String
        switch kind {
        case .syntax: label = "syntax error"
        case .runtime: label = "error"
        case .raised: label = "template raised"
        }
        let place = line > 0 ? "\(templateName):\(line):\(column)" : templateName
        return "\(place): \(label): \(message)"
    }
}

/// A position in the template source.
struct SourceLocation: Sendable, Hashable {
    var line: Int
    var column: Int
}
