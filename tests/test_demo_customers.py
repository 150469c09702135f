"""The demo's customers react plausibly: an answer follows the words of our reply, a
resolved conversation gets at most a late thank-you (never one a second later), and the
script sends few unsupported items."""

from __future__ import annotations

import random

from wazify.demo.script import CLOSINGS, OPENING, RULES, answer, reply_to


def test_an_answer_follows_the_words_of_the_reply() -> None:
    rnd = random.Random(7)
    shipping = next(answers for keywords, answers in RULES if "ship" in keywords)
    sizes = next(answers for keywords, answers in RULES if "size" in keywords)
    for _ in range(20):
        assert reply_to(rnd, "We ship to Portugal in 3 days") in shipping
        assert reply_to(rnd, "Which SIZE do you need?") in sizes
        assert reply_to(rnd, "Thanks, have a nice day!") in (*CLOSINGS, None)


def test_a_resolved_conversation_gets_at_most_a_late_thank_you() -> None:
    rnd = random.Random(3)
    late = 0
    for _ in range(200):
        texts = [s for s in answer(rnd, 0, "Glad I could help!", resolved=True) if s.kind == "text"]
        assert all(s.text in CLOSINGS and s.pause >= 60 for s in texts)
        late += len(texts)
    assert 0 < late < 120  # sometimes, not always
    open_answers = [answer(rnd, 0, "Which colour?") for _ in range(50)]
    assert all(any(s.kind == "text" and s.pause < 10 for s in steps) for steps in open_answers)


def test_the_script_sends_few_unsupported_items() -> None:
    kinds = [step.kind for step in OPENING]
    assert "unsupported" not in kinds and kinds.count("unknown_attachment") <= 1
