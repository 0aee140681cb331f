"""The relay protocol's constants, read from relay-core's export (the one place training/ gets them).

`relay_protocol.json` is generated from libs/relay-core by `npm run fixtures:protocol`; relay-core's
protocol-fixture.spec.ts fails while the committed file differs from the TypeScript, so a protocol
change reaches training only through it. Besides these constants it holds relay-core's conformance
cases, which tests/test_protocol_conformance.py runs through the rollout.
"""
from __future__ import annotations

import json
import os

FIXTURE_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "relay_protocol.json")

with open(FIXTURE_PATH, encoding="utf-8") as _f:
    FIXTURE: dict = json.load(_f)

_vocabulary = FIXTURE["vocabulary"]
_ids = {t["name"]: t["id"] for t in _vocabulary["controlTokens"]}

BYTE_TOKENS: int = _vocabulary["byteTokens"]          # ids 0..BYTE_TOKENS-1 are the UTF-8 bytes
VOCAB_SIZE: int = _vocabulary["size"]
BOS: int = _ids["BOS"]
EOS: int = _ids["EOS"]
CALL: int = _ids["CALL"]
END_CALL: int = _ids["END_CALL"]
CONTROL_TOKEN_TEXTS: dict[int, str] = {t["id"]: t["text"] for t in _vocabulary["controlTokens"]}
DIGIT_IDS: list[int] = _vocabulary["digitIds"]           # DIGIT_IDS[d]: the token of the digit d in a command
DIGIT_VALUES: dict[int, int] = {token_id: d for d, token_id in enumerate(DIGIT_IDS)}

MAX_COMMAND_DIGITS: int = FIXTURE["commands"]["maxDigits"]
MAX_COMMAND_CONTENT_LENGTH: int = FIXTURE["commands"]["maxContentLength"]
DEFAULT_MAX_TURNS: int = FIXTURE["requestDefaults"]["maxTurns"]
DEFAULT_MAX_LLM_TOKENS_PER_CALL: int = FIXTURE["requestDefaults"]["maxLlmTokensPerCall"]


def conformance_cases() -> list[dict]:
    """relay-core's conformance table in token form (see the fixture's `conformance.about`)."""
    return FIXTURE["conformance"]["cases"]
