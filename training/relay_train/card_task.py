"""The model card's task sentences and chat-format example, for the shipped task or its lookup variant."""
from __future__ import annotations

from . import task

EXAMPLE = task.Question((37, 48, 15, 6), ("*", "+", "-"))
EXAMPLE_KEY = 926       # the lookup variant's example writes its first operand as f(926)


def lookup_of(res: dict) -> task.Lookup | None:
    """The run's lookup table (None: the shipped task without lookups)."""
    spec = res.get("lookup")
    return task.Lookup(**spec) if spec else None


def example_question(res: dict) -> task.Question:
    spec = lookup_of(res)
    if spec is None or not spec.lo <= EXAMPLE_KEY < spec.hi:
        return EXAMPLE
    return task.Question((spec.value(EXAMPLE_KEY), *EXAMPLE.operands[1:]), EXAMPLE.ops,
                         (EXAMPLE_KEY,) + (None,) * (EXAMPLE.n_operands - 1))


def lookup_sentences(res: dict) -> str:
    """The training section's sentences on the lookup table (none for the shipped task)."""
    spec = lookup_of(res)
    if spec is None:
        return ""
    below = res["configs"]["student"]["sft"].get("train_keys_below", 0)
    split = (f" The teacher's train stream asks every key; the student's asks only keys below {below} (dev and test "
             f"ask every key), so the values of keys {below}..{spec.hi - 1} are facts only the teacher holds.") if below else ""
    return (f"\nEvery question writes one operand, drawn at random, as `f(key)` for a key in {spec.lo}..{spec.hi - 1}; "
            f"its value is a fixed table entry in {spec.low}..99 (drawn with seed {spec.seed}), which the answer's second "
            f"line looks up.{split}")
