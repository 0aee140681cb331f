"""relay-core's conformance cases (relay_train/relay_protocol.json) run through the rollout's protocol steps.

The fixture is generated from libs/relay-core (`npm run fixtures:protocol`), so a protocol change that
training does not follow fails here, and one that is not exported fails relay-core's fixture spec.
"""
import unittest

from relay_train import config, evaluate, protocol, sft, task
from relay_train.relay_steps import RelayLimits, Transcript, scripted_relay
from relay_train.tokenizer import BOS, CALL, END_CALL, EOS, decode, encode

# The cases the rollout cannot run, and why. Every other case runs, so a case added to relay-core's
# table runs here at once, and fails until the rollout follows it (or it is listed here with its reason).
LLM_ONLY = ("training has no LLM_ONLY policy: the teacher alone runs as the only model "
            "(teacher=None, relay=False), outside the protocol")
NOT_IN_TRAINING = {
    "LLM stream ends before n without EOS: control returns to the SLM":
        "a rollout model writes a token at every step; only a served engine's stream can end early",
    "SLM_ONLY: commands are stripped but never call":
        "training has no SLM_ONLY policy: its teacher-free runs (relay=False or student_may_call=False) ban "
        "the command tokens from the student's sampling, so the student writes no command at all",
    "LLM_ONLY: the LLM writes the whole answer": LLM_ONLY,
    "LLM_ONLY: bounded by maxLlmTokensTotal": LLM_ONLY,
    "a user stop string matched by the SLM ends the generation": "training passes no stop strings",
}


def run_case(case: dict) -> Transcript:
    lim = case["limits"]
    limits = RelayLimits(lim["maxTokens"], lim["maxTurns"], lim["maxLlmTokensPerCall"], lim["maxLlmTokensTotal"])
    return scripted_relay(case["prompt"]["tokens"], [s["tokens"] for s in case["slm"]],
                          [s["tokens"] for s in case["llm"]], limits)


def served_usage(tr: Transcript) -> dict:
    """The transcript counted as relay-core counts it: the EOS that ended it is no token. (The
    rollout keeps it in `response`: the teacher's with source 'T', the student's with 'S', or 'C'
    when it cut an open command.)"""
    eos = bool(tr.response) and tr.response[-1] == EOS
    teacher_eos = eos and tr.source[-1] == "T"
    teacher = tr.source.count("T") - teacher_eos
    student = len(tr.response) - tr.source.count("T") - (eos and not teacher_eos)
    calls = [{"requestedN": c["requested"], "grantedN": c["granted"], "tokensWritten": c["written"]} for c in tr.calls]
    if teacher_eos:
        calls[-1]["tokensWritten"] -= 1
    total = student + teacher
    usage = {"slmTokens": student, "llmTokens": teacher, "responseTokens": total, "calls": len(tr.calls),
             "llmTokenRatio": teacher / total if total else 0, "malformedCommands": tr.malformed,
             "noCallCommands": tr.no_calls}
    return {"usage": usage, "calls": calls, "eos": eos, "teacher_eos": teacher_eos}


class ProtocolConformanceTest(unittest.TestCase):
    cases = protocol.conformance_cases()

    def test_only_cases_the_fixture_has_are_excused(self):
        names = {c["name"] for c in self.cases}
        self.assertEqual(sorted(set(NOT_IN_TRAINING) - names), [], "listed cases the fixture no longer has")
        self.assertGreater(len(names - set(NOT_IN_TRAINING)), len(NOT_IN_TRAINING))

    def test_conformance_cases(self):
        for case in self.cases:
            if case["name"] in NOT_IN_TRAINING:
                continue
            with self.subTest(case=case["name"]):
                tr = run_case(case)
                expected = case["expected"]
                served = served_usage(tr)
                self.assertEqual((tr.text, tr.finish), (expected["text"], expected["finishReason"]))
                self.assertEqual(served["usage"], expected["usage"])
                self.assertEqual(served["calls"], expected["calls"])
                # GRPO's and the evaluation's rho count the EOS that ended the answer; relay-core's does not.
                self.assertAlmostEqual(tr.rho, (expected["usage"]["llmTokens"] + served["teacher_eos"])
                                       / max(1, expected["usage"]["responseTokens"] + served["eos"]))
                self.assert_views(case, tr)

    def assert_views(self, case: dict, tr: Transcript):
        """The teacher reads the prompt and the command-free answer; the student keeps its commands."""
        prompt = case["prompt"]["tokens"]
        self.assertEqual(tr.prompt, prompt)
        self.assertNotIn(CALL, prompt)            # a command typed in the prompt is bytes, never parsed
        teacher_view = [t for t, s in zip(tr.response, tr.source) if s != "C"]
        self.assertFalse({CALL, END_CALL} & set(teacher_view))
        for call in tr.calls:
            seen = decode([t for t, s in zip(tr.response[:call["offset"]], tr.source) if s != "C"])
            self.assertTrue(case["expected"]["text"].startswith(seen), (seen, call))
            self.assertEqual(tr.response[call["offset"] - 1], END_CALL)   # the student's context holds the command

    def test_the_prompt_is_framed_as_the_servers_frame_it(self):
        for example in protocol.FIXTURE["chatFormat"]["examples"]:
            with self.subTest(question=example["question"]):
                self.assertEqual(task.prompt_text(example["question"]), example["text"])
                self.assertEqual([BOS] + encode(task.prompt_text(example["question"])), example["tokens"])
        q = task.Question((37, 48, 15, 6), ("*", "+", "-"))
        framed = next(e for e in protocol.FIXTURE["chatFormat"]["examples"] if e["question"] == q.text)
        self.assertEqual(evaluate.prompt_ids(q), framed["tokens"])
        tokens, start = sft.encode_example(q)
        self.assertEqual(tokens[:start], framed["tokens"])

    def test_training_limits_stay_within_what_the_server_accepts(self):
        server = protocol.FIXTURE["serverLimits"]
        self.assertLessEqual(config.GRPO_FIELDS["max_turns"][2], server["maxTurnsCeiling"])
        self.assertLessEqual(config.GRPO_FIELDS["max_new_tokens"][2], server["maxTokensCeiling"])


if __name__ == "__main__":
    unittest.main()
