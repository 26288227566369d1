"""Prompt templates (<name>.<lang>.txt), shipped inside the package as `rag.prompts`."""
