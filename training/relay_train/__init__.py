"""RelayLLM reference-pair training: task, tokenizer, model, GGUF export and the two-stage recipe."""
