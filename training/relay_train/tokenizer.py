"""Byte-level tokenizer shared by both models.

Ids 0..255 are the raw bytes, so nothing a user types is ever dropped.
Four control tokens follow; their ids and texts are relay-core's reference vocabulary
(`protocol.py`). Control tokens are produced only by the models
(or by the serving code when it frames a prompt): `encode` never maps user
text to them, so typing `<call>5</call>` yields plain bytes.
"""

# The ids are the tokenizer's public names too (the rest of training/ imports them from here).
from .protocol import BOS, BYTE_TOKENS, CALL, CONTROL_TOKEN_TEXTS as CONTROL_TOKENS, END_CALL, EOS, VOCAB_SIZE


def encode(text: str) -> list[int]:
    """User or model text to ids: always plain bytes, never control tokens."""
    return list(text.encode("utf-8"))


def decode(ids, keep_control: bool = False) -> str:
    out, buf = [], bytearray()
    for t in ids:
        if t < BYTE_TOKENS:
            buf.append(t)
            continue
        out.append(buf.decode("utf-8", errors="replace"))
        buf = bytearray()
        if keep_control:
            out.append(CONTROL_TOKENS[t])
    out.append(buf.decode("utf-8", errors="replace"))
    return "".join(out)


def gpt2_byte_to_unicode() -> dict[int, str]:
    """GPT-2's reversible byte -> printable unicode map (llama.cpp's gpt2 vocab form)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


def gguf_token_strings() -> list[str]:
    m = gpt2_byte_to_unicode()
    return [m[b] for b in range(BYTE_TOKENS)] + [CONTROL_TOKENS[i] for i in range(BYTE_TOKENS, VOCAB_SIZE)]
