// LoomAPI's wire types carry free-form JSON (`options`, `format`, `tools`, `think`, tool call
// arguments, `model_info`) as LoomJSON's order-preserving `JSONValue`; it is re-exported so every
// client of the wire types (service, server, tests) sees the same type without a second import.
// Request bodies are decoded once, with `JSONValueDecoder`: `format` and `tools` keep the client's
// key order all the way to the schema compiler and the chat template.

@_exported import LoomJSON
