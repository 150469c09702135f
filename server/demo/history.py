"""The demo account's past: conversations that happened before it was connected to Wazify.

The fake Conversations API serves them (`wazify.cli.demo` loads them into the fake), and
the import on connect brings them into the inbox at start, as it would for a business
connecting an account with months of Instagram conversations behind it. Each line is
(minutes ago, who writes: "them" or "us", text); reactions name the line they react to.
"""

from __future__ import annotations

from dataclasses import dataclass

from wazify.demo.script import Persona


@dataclass(frozen=True)
class PastThread:
    persona: Persona
    lines: tuple[tuple[int, str, str], ...]
    # (index of the line, emoji): the customer's reactions shown on those messages.
    reactions: tuple[tuple[int, str], ...] = ()


DAY = 24 * 60

PAST = (
    PastThread(
        Persona("7523146982351411", "Giulia Rossi", "giulia.rossi", "avatar-1.svg"),
        (
            (3 * DAY + 40, "them", "Hi! Do you ship the linen shirts to Italy?"),
            (3 * DAY + 31, "us", "Hi Giulia! Yes, we ship across the EU, 3 to 5 working days."),
            (3 * DAY + 29, "them", "Perfect, and is the sage one true to size?"),
            (3 * DAY + 20, "us", "It runs a little loose: take your usual size for a relaxed fit."),
            (3 * DAY + 18, "them", "Ordered, thank you!"),
        ),
        reactions=((3, "❤️"),),
    ),
    PastThread(
        Persona("7523146982351412", "Hugo Lefèvre", "hugo.lfv", "avatar-2.svg"),
        (
            (2 * DAY + 300, "them", "My order #4821 hasn't moved since Monday"),
            (2 * DAY + 290, "us", "Sorry Hugo, checking with the carrier now."),
            (2 * DAY + 250, "us", "It was held at the depot: it leaves today, tracking updated."),
            (DAY + 30, "them", "Got it this morning, all good 👍"),
        ),
    ),
    PastThread(
        Persona("7523146982351413", "Inès Benali", "ines.bnl", "avatar-3.svg"),
        (
            (DAY + 120, "them", "Will the terracotta shirt be restocked in M?"),
            (DAY + 100, "us", "Next week! Want us to message you when it's back?"),
            (DAY + 95, "them", "Yes please 🙏"),
        ),
    ),
    PastThread(
        Persona("7523146982351414", "Jonas Berg", "jonas.berg", "avatar-4.svg"),
        (
            (150, "them", "Hello, can I exchange a shirt bought in your Lyon shop online?"),
            (148, "them", "I have the receipt"),
        ),
    ),
)
