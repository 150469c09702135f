"""What the demo's customers say and do: every kind of item Instagram sends, as data.

A Step names a persona, a kind and its fields; `wazify.cli.demo` renders it as the webhook
Meta would post. Pictures are served by the demo server itself (client/demo-media/), so
they load without the internet; one story deliberately points at an expired CDN URL to
show the "no longer available" placeholder.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

MEDIA = "/demo-media/"  # joined to the demo's public URL
GONE = "https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=1&signature=expired"


@dataclass(frozen=True)
class Persona:
    igsid: str
    name: str
    username: str
    avatar: str


PERSONAS = (
    Persona("7523146982351401", "Alice Martin", "alice.martin", "avatar-1.svg"),
    Persona("7523146982351402", "Bruno Costa", "bruno.c", "avatar-2.svg"),
    Persona("7523146982351403", "Chloé Dubois", "chloe.dbs", "avatar-3.svg"),
    Persona("7523146982351404", "Dmitri Kovalenko", "dmitri.k", "avatar-4.svg"),
    Persona("7523146982351405", "Emma Weber", "emma.w", "avatar-5.svg"),
    Persona("7523146982351406", "Farah Haddad", "farah.h", "avatar-6.svg"),
)


@dataclass(frozen=True)
class Step:
    """One thing a customer does. `kind` is one of KINDS; `target` says which earlier
    message it refers to: "theirs" (their last message) or "ours" (our last reply)."""

    persona: int
    kind: str
    text: str | None = None
    urls: tuple[str, ...] = ()
    title: str | None = None
    payload: str | None = None
    target: str | None = None
    pause: float = 5.0  # seconds to wait before this step
    extra: dict = field(default_factory=dict)


KINDS = frozenset(
    {
        "text", "image", "video", "audio", "file", "ig_post", "ig_reel", "story_mention",
        "story_reply", "reply_to", "quick_reply", "like_heart", "ad_referral", "postback",
        "referral", "optin", "unsupported", "edit", "unsend", "react", "unknown_attachment",
    }
)  # fmt: skip


def media(name: str) -> str:
    return MEDIA + name


# The first minutes: six customers write in, one kind after another.
# fmt: off
OPENING: tuple[Step, ...] = (
    Step(0, "text", "Hi! Do you still have the linen shirt in size M?", pause=2),
    Step(2, "ad_referral", "Is this on sale?", urls=(media("ad-summer.svg"),),
         title="Summer linen, 20% off", pause=3),
    Step(1, "story_mention", urls=(media("story-beach.svg"),), pause=3),
    Step(3, "image", pause=3,
         urls=(media("shirt-navy.svg"), media("shirt-sage.svg"), media("shirt-terra.svg"))),
    Step(4, "ig_post", urls=(media("shirt-sand.svg"),),
         title="New drop: summer linen collection ☀️", pause=3),
    Step(5, "referral", payload="bio_link_support", pause=3),
    Step(5, "text", "Hello, I ordered last week and haven't received anything yet.", pause=2),
    Step(0, "image", urls=(media("shirt-sand.svg"),), pause=5),
    Step(0, "reply_to", "This colour, in M please!", target="theirs", pause=4),
    Step(1, "story_reply", "Is this still available? 😍", urls=(GONE,), pause=5),
    Step(2, "quick_reply", "Track my order", payload="QR_TRACK_ORDER", pause=5),
    Step(3, "text", "Which of these would you recommend for a wedding?", pause=4),
    Step(4, "ig_reel", urls=(media("reel-dye.svg"),), title="How we dye linen by hand", pause=5),
    Step(4, "like_heart", pause=3),
    Step(2, "postback", title="What are your opening hours?", payload="ICEBREAKER_HOURS", pause=6),
    Step(5, "optin", title="Restock alerts", payload="RESTOCK_ALERTS", pause=5),
    Step(3, "file", urls=(media("shirt-navy.svg"),), pause=6),
    Step(0, "text", "Do you ship to Portugal?", pause=6),
    Step(0, "edit", "Do you ship to Portugal or Spain?", target="theirs", pause=4),
    Step(1, "audio", urls=(media("no-such-voice-note.m4a"),), pause=6),
    Step(3, "video", urls=(media("no-such-video.mp4"),), pause=6),
    Step(5, "text", "oops wrong chat", pause=6),
    Step(5, "unsend", target="theirs", pause=4),
    Step(2, "unknown_attachment", pause=6),
)
# fmt: on

AMBIENT_TEXTS = (
    "Do you have this in XL?",
    "How long does delivery take?",
    "Can I exchange a size?",
    "Is the fabric pre-washed?",
    "Any discount for two shirts? 🙏",
    "Thank you so much!",
    "When is the next restock?",
    "Do you have a shop in Lisbon?",
)

# How a customer answers our reply: the first rule whose keyword the reply contains.
# fmt: off
RULES: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (("size", "xl", " m ", "fit"),
     ("M would be perfect, thanks!", "I usually wear L, is that ok?")),
    (("ship", "deliver", "track", "parcel", "portugal", "spain"),
     ("Great, I'll keep an eye on the tracking.", "And how long does it take to arrive?")),
    (("price", "discount", "%", "sale", "€", "$"),
     ("Nice, I'll order tonight then!", "Does the discount work for two shirts?")),
    (("sorry", "apolog"), ("No worries 🙂", "Thanks for checking!")),
    (("hour", "open", "closed", "shop"), ("Perfect, I'll drop by.", "Are you open on Sundays?")),
    (("restock", "stock", "available", "back"),
     ("Please let me know when it's back!", "Ok, I'll wait then 🙏")),
    (("colour", "color", "navy", "sage", "sand", "terra"),
     ("I'll take the sage one 😍", "Hmm, is the navy darker in person?")),
    (("wedding", "recommend", "suggest"),
     ("Good idea, thank you!", "And which trousers go with it?")),
)
# fmt: on
QUESTIONS = ("Yes please!", "Hmm, let me think about it.", "Sure, that works.")
GENERIC = ("Great, thank you!", "Perfect 👌", "Got it.", "Ok, thanks!")
CLOSINGS = ("Thank you, have a nice day!", "Thanks again 🙏", "Received it, all good now!")
FAREWELL = ("thank", "bye", "have a nice", "anything else", "welcome", "glad")


def reply_to(rnd: random.Random, ours: str) -> str | None:
    """What a customer says to our reply `ours`: an answer that follows its words, a
    thank-you (or nothing) to a goodbye."""
    text = f" {ours.lower()} "
    for keywords, answers in RULES:
        if any(word in text for word in keywords):
            return rnd.choice(answers)
    if any(word in text for word in FAREWELL):
        return rnd.choice(CLOSINGS) if rnd.random() < 0.4 else None
    if "?" in text:
        return rnd.choice(QUESTIONS)
    return rnd.choice(GENERIC)


def ambient(rnd: random.Random) -> Step:
    """Once the opening is done, a customer writes now and then (mostly text)."""
    persona = rnd.randrange(len(PERSONAS))
    roll = rnd.random()
    pause = rnd.uniform(20, 40)
    if roll < 0.7:
        return Step(persona, "text", rnd.choice(AMBIENT_TEXTS), pause=pause)
    if roll < 0.85:
        shirts = ("shirt-sand.svg", "shirt-sage.svg", "shirt-terra.svg", "shirt-navy.svg")
        return Step(persona, "image", urls=(media(rnd.choice(shirts)),), pause=pause)
    return Step(persona, "like_heart", pause=pause)


def answer(rnd: random.Random, persona: int, ours: str = "", resolved: bool = False) -> list[Step]:
    """How a customer reacts to our reply `ours`: a heart on it now and then, and an
    answer that relates to it. To a conversation the team resolved, at most a late
    thank-you (a minute or two later, and not always), which reopens it visibly."""
    steps = []
    if rnd.random() < 0.35:
        steps.append(Step(persona, "react", target="ours", pause=rnd.uniform(2, 4)))
    if resolved:
        if rnd.random() < 0.3:
            steps.append(Step(persona, "text", rnd.choice(CLOSINGS), pause=rnd.uniform(60, 120)))
        return steps
    text = reply_to(rnd, ours)
    if text is not None:
        steps.append(Step(persona, "text", text, pause=rnd.uniform(1, 4)))
    return steps
