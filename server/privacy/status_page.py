"""The public status page of a data-deletion request (the URL answered to Meta).

Plain HTML for a person: no script, no style, nothing loaded, so its Content-Security-Policy
allows nothing at all. It says what became of that request, and nothing else: no name, no
account, no workspace; the code is the only key, and it is unguessable.
"""

from __future__ import annotations

import html
from datetime import datetime

from wazify.privacy.service import DeletionStatus

STATUS_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; base-uri 'none'; form-action 'none';"
    " frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def _page(title: str, *paragraphs: str) -> str:
    body = "\n".join(f"<p>{html.escape(text)}</p>" for text in paragraphs)
    return (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n</head>\n<body>\n<main>\n"
        f"<h1>{html.escape(title)}</h1>\n{body}\n</main>\n</body>\n</html>\n"
    )


def _day(moment: datetime) -> str:
    return moment.strftime("%d %B %Y, %H:%M UTC")


def status_page(status: DeletionStatus) -> str:
    received = f"Confirmation code {status.code}, received on {_day(status.received_at)}."
    if status.accounts == 0:
        outcome = (
            "Nothing to delete: no data in this service was linked to the person who made"
            " this request. No further action is needed."
        )
    elif status.complete and status.finished_at is not None:
        outcome = (
            f"Completed on {_day(status.finished_at)}: the data of the {status.accounts}"
            " Instagram account(s) connected by the person who made this request was"
            " permanently deleted (conversations, messages and contact details)."
        )
    else:
        outcome = (
            f"In progress: {status.done} of {status.accounts} account(s) deleted so far."
            " Sending from them stopped when the request arrived; deletion completes within"
            " 30 days at the latest, usually within minutes."
        )
    return _page("Data deletion request", received, outcome)


def unknown_code_page() -> str:
    return _page(
        "Data deletion request",
        "No data deletion request has this confirmation code. Check the code and the link.",
    )
