"""RelayLLM reference-pair training: task, tokenizer, model, GGUF export and the two-stage recipe."""
from . import blas

# Before any module of the package imports torch (blas.py says why).
blas.pin()
