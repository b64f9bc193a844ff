// Placeholder: the pre-tokenizer regex engine is being written (see Regex/README in the issue).
