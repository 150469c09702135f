"""The reference reducer: a bootstrap snapshot plus events -> the next snapshot.

This is the semantics every client implements (the web app's store mirrors it). The
convergence check in Zulip's style: take a bootstrap, run an action, apply the events it
emitted here, and compare with a fresh bootstrap. Snapshots are plain JSON dicts as the
API returns them; presence is ephemeral and left out of the comparison.
"""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

Snapshot = dict[str, Any]
VISIBLE_STATUSES = ("open", "pending")
BOOTSTRAP_PAGE = 50  # conversations a bootstrap holds (wazify.realtime.bootstrap)


def _sort(conversations: list[dict]) -> None:
    # As times, not as text: "09:15:00.5Z" is later than "09:15:00Z" but sorts before it.
    conversations.sort(
        key=lambda c: (datetime.fromisoformat(c["last_activity_at"]), c["id"]), reverse=True
    )


def _upsert_conversation(snapshot: Snapshot, conversation: dict) -> None:
    others = [c for c in snapshot["conversations"] if c["id"] != conversation["id"]]
    if conversation["status"] in VISIBLE_STATUSES:
        others.append(conversation)
    _sort(others)
    snapshot["conversations"] = others


def _conversation(snapshot: Snapshot, conversation_id: int) -> dict | None:
    return next((c for c in snapshot["conversations"] if c["id"] == conversation_id), None)


def _patch_last_message(snapshot: Snapshot, message_id: int, change) -> None:
    for conversation in snapshot["conversations"]:
        last = conversation.get("last_message")
        if last is not None and last["id"] == message_id:
            change(last)


def _upsert_by(items: list[dict], key: str, item: dict) -> list[dict]:
    return [i for i in items if i[key] != item[key]] + [item]


def _upsert_import_job(snapshot: Snapshot, job: dict) -> None:
    """Each account's latest job, by account: an older job's event changes nothing."""
    jobs = snapshot.get("import_jobs", [])
    current = next((j for j in jobs if j["account_id"] == job["account_id"]), None)
    if current is not None and current["id"] > job["id"]:
        return
    others = [j for j in jobs if j["account_id"] != job["account_id"]]
    snapshot["import_jobs"] = sorted([*others, job], key=lambda j: j["account_id"])


def apply_event(snapshot: Snapshot, event: dict) -> None:
    kind = event["type"]
    if kind in (
        "conversation.created",
        "conversation.updated",
        "conversation.assigned",
        "conversation.reopened",  # a customer's message reopened it (with the change)
        "message.created",  # carries its conversation as it now stands
    ):
        _upsert_conversation(snapshot, event["conversation"])
    elif kind == "message.updated":
        message = event["message"]
        _patch_last_message(snapshot, message["id"], lambda last: last.update(message))
    elif kind == "messages.seen":
        for message_id in event["message_ids"]:
            _patch_last_message(snapshot, message_id, lambda last: last.update(status="read"))
    elif kind == "reaction.changed":
        reactions = event["reactions"]
        _patch_last_message(
            snapshot, event["message_id"], lambda last: last.update(reactions=reactions)
        )
    elif kind == "conversation.read":
        conversation = _conversation(snapshot, event["conversation_id"])
        if conversation is not None:
            conversation["unread_count"] = 0
    elif kind == "contact.updated":
        contact = event["contact"]
        for conversation in snapshot["conversations"]:
            if conversation["contact"]["id"] == contact["id"]:
                conversation["contact"] = contact
    elif kind == "member.updated":
        member = dict(event["member"])
        previous = next((m for m in snapshot["team"] if m["user_id"] == member["user_id"]), {})
        member["presence"] = previous.get("presence", "offline")
        snapshot["team"] = _upsert_by(snapshot["team"], "user_id", member)
    elif kind == "account.updated":
        snapshot["accounts"] = _upsert_by(snapshot["accounts"], "id", event["account"])
    elif kind == "import_job.updated":
        _upsert_import_job(snapshot, event["job"])
    elif kind == "read_position.updated":
        pass  # one agent's own position: not part of the shared snapshot
    elif kind == "workspace.updated":
        snapshot["workspace"] = event["workspace"]
    elif kind == "contact.erased":
        gone = set(event["conversation_ids"])
        snapshot["conversations"] = [
            c
            for c in snapshot["conversations"]
            if c["id"] not in gone and c["contact"]["id"] != event["contact_id"]
        ]
    elif kind == "account.erased":
        account_id = event["account_id"]
        snapshot["accounts"] = [a for a in snapshot["accounts"] if a["id"] != account_id]
        snapshot["conversations"] = [
            c for c in snapshot["conversations"] if c["account_id"] != account_id
        ]
    elif kind == "event.redacted":
        pass  # the event named erased data: its content is gone, its seq still counts
    elif kind == "export.updated":
        pass  # an admin's data export job: not part of the shared snapshot
    elif kind in ("invitation.created", "invitation.removed"):
        pass  # admins' list of pending invitations: not part of the shared snapshot
    elif kind in ("note.created", "note.updated"):
        pass  # notes are loaded per conversation, like its messages: not in the snapshot
    elif kind == "mentions.updated":
        if event["user_id"] == snapshot["me"]["user_id"]:
            snapshot["mentions_unread"] = event["unread_count"]
    elif kind in ("label.created", "label.updated"):
        snapshot["labels"] = _upsert_by(snapshot.get("labels", []), "id", event["label"])
    elif kind == "label.deleted":
        label_id = event["label_id"]
        snapshot["labels"] = [
            label for label in snapshot.get("labels", []) if label["id"] != label_id
        ]
        for conversation in snapshot["conversations"]:
            conversation["labels"] = [i for i in conversation.get("labels", []) if i != label_id]
    elif kind in ("canned_response.created", "canned_response.updated"):
        snapshot["canned_responses"] = _upsert_by(
            snapshot.get("canned_responses", []), "id", event["canned_response"]
        )
    elif kind == "canned_response.deleted":
        gone = event["canned_response_id"]
        snapshot["canned_responses"] = [
            r for r in snapshot.get("canned_responses", []) if r["id"] != gone
        ]
    else:
        raise AssertionError(f"the reference reducer does not know {kind!r}")
    snapshot["seq"] = max(snapshot["seq"], event["seq"])


def reduce(snapshot: Snapshot, events: list[dict]) -> Snapshot:
    result = copy.deepcopy(snapshot)
    for event in sorted(events, key=lambda e: e["seq"]):
        if event["seq"] > snapshot["seq"]:
            apply_event(result, event)
    return result


def comparable(snapshot: Snapshot) -> Snapshot:
    """A snapshot with ephemeral and order-free parts normalised for comparison.

    Presence is ephemeral (signals, not events). A bootstrap holds the newest page of
    conversations while a client keeps every one it has seen: compare that page.
    """
    result = copy.deepcopy(snapshot)
    result.pop("more_conversations", None)
    result["conversations"] = result["conversations"][:BOOTSTRAP_PAGE]
    result["team"] = sorted(
        ({k: v for k, v in m.items() if k != "presence"} for m in result["team"]),
        key=lambda m: m["user_id"],
    )
    result["accounts"] = sorted(result["accounts"], key=lambda a: a["id"])
    # Lists a client keeps in its own order (the web app sorts labels and canned responses
    # by name for display): compared as sets of rows.
    for key in ("labels", "canned_responses"):
        result[key] = sorted(result.get(key, []), key=lambda item: item["id"])
    # `me` is who the snapshot is for; the client keeps its own role and rights from
    # GET /api/v1/me (and member.updated about itself), not from this copy.
    me = result.pop("me", None)
    if me is not None:
        result["me_id"] = me["user_id"]
    return result
