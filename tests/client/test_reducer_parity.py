"""The web app's reducer (client/js/reducer.js) against the reference (tests/support/reducer.py):
the same snapshot and the same events, many random interleavings of every event type, must
give the same next snapshot, byte for byte once parsed."""

from __future__ import annotations

import json
import random
import subprocess
from datetime import UTC, datetime, timedelta

import pytest

from tests.client.node import CLIENT, node_or_skip
from tests.support.reducer import reduce

BASE = datetime(2026, 5, 1, 10, 0, tzinfo=UTC)


def stamp(rnd: random.Random) -> str:
    # Always six fraction digits: the reference compares the strings, which is time order
    # only when they are formatted alike (msgspec drops a zero fraction: "10:00:10Z" sorts
    # after "10:00:10.000001Z"; the JS reducer compares times, as the bootstrap's SQL does).
    # A few equal stamps exercise the tie on ids.
    moment = BASE + timedelta(seconds=rnd.randrange(0, 40), microseconds=rnd.choice([1, 7, 9]))
    return moment.isoformat(timespec="microseconds").replace("+00:00", "Z")


def contact(rnd: random.Random, contact_id: int) -> dict:
    return {
        "id": contact_id,
        "account_id": 1,
        "igsid": str(7000 + contact_id),
        "name": rnd.choice(["", "Alice", "Bob"]),
        "username": f"user{contact_id}",
        "display_name": rnd.choice(["", "VIP"]),
        "picture_url": None,
        "notes": "",
        "profile_state": "fetched",
    }


def message(rnd: random.Random, message_id: int, conversation_id: int) -> dict:
    return {
        "id": message_id,
        "conversation_id": conversation_id,
        "direction": rnd.choice(["in", "out"]),
        "kind": "message",
        "source": "customer",
        "mid": f"m{message_id}",
        "client_id": None,
        "author_id": None,
        "text": f"text {message_id} {rnd.random()}",
        "attachments": [],
        "reply_to_mid": None,
        "reply_to_story": None,
        "quick_reply_payload": None,
        "referral": None,
        "payload": None,
        "unsupported": False,
        "standby": False,
        "status": rnd.choice(["sent", "delivered", "received"]),
        "status_reason": "",
        "edit_count": 0,
        "edits": [],
        "deleted": False,
        "reactions": [],
        "sent_at": stamp(rnd),
    }


def conversation(rnd: random.Random, conversation_id: int, last_id: int | None) -> dict:
    return {
        "id": conversation_id,
        "account_id": 1,
        "contact": contact(rnd, conversation_id),
        "status": rnd.choice(["open", "open", "pending", "resolved"]),
        "snoozed_until": None,
        "assignee_id": rnd.choice([None, 1, 2]),
        "last_activity_at": stamp(rnd),
        "last_message": None if last_id is None else message(rnd, last_id, conversation_id),
        "unread_count": rnd.randrange(0, 4),
        "window_ends_at": None,
        "human_agent_ends_at": None,
        "referral": None,
        "labels": sorted(rnd.sample([1, 2, 3], rnd.randrange(0, 3))),
    }


def label(rnd: random.Random, label_id: int) -> dict:
    return {"id": label_id, "name": rnd.choice(["VIP", "Refund"]), "color": "red"}


def canned(rnd: random.Random, canned_id: int) -> dict:
    return {
        "id": canned_id,
        "shortcut": rnd.choice(["hi", "bye"]),
        "text": "Hi {{contact.first_name}}",
        "owner_id": rnd.choice([None, 1]),
        "usage_count": rnd.randrange(0, 5),
    }


def member(rnd: random.Random, user_id: int) -> dict:
    return {
        "user_id": user_id,
        "name": rnd.choice(["Ann", "Bob", "Cy"]),
        "email": f"u{user_id}@example.com",
        "role": rnd.choice(["agent", "supervisor", "admin"]),
        "active": rnd.random() > 0.2,
    }


def import_job(rnd: random.Random, job_id: int, account_id: int) -> dict:
    return {
        "id": job_id,
        "account_id": account_id,
        "trigger": rnd.choice(["connect", "manual"]),
        "state": rnd.choice(["queued", "running", "done", "failed"]),
        "since": stamp(rnd),
        "conversations_done": rnd.randrange(0, 9),
        "messages_seen": 0,
        "messages_imported": rnd.randrange(0, 99),
        "reason": "",
        "next_attempt_at": None,
        "created_at": stamp(rnd),
        "started_at": None,
        "finished_at": None,
    }


def workspace(rnd: random.Random) -> dict:
    due = rnd.choice([None, stamp(rnd)])
    return {
        "id": 1,
        "slug": "shop",
        "name": rnd.choice(["Shop", "Linen Studio"]),
        "message_retention_days": rnd.choice([None, 30]),
        "deletion_requested_at": None if due is None else stamp(rnd),
        "deletion_due_at": due,
    }


def export_job(rnd: random.Random, seq: int) -> dict:
    done = rnd.random() > 0.5
    return {
        "id": rnd.randrange(1, 4),
        "kind": "workspace",
        "contact_id": None,
        "status": "done" if done else "running",
        "status_reason": "",
        "requested_by": 1,
        "requested_label": "u1@example.com",
        "rows_done": seq,
        "rows_total": 100,
        "file_size": 2048 if done else None,
        "created_at": stamp(rnd),
        "started_at": stamp(rnd),
        "finished_at": stamp(rnd) if done else None,
        "expires_at": stamp(rnd) if done else None,
    }


def random_event(rnd: random.Random, seq: int, last_ids: dict[int, int]) -> dict:
    conversation_id = rnd.randrange(1, 8)
    envelope = {"seq": seq, "workspace_id": 1, "at": stamp(rnd)}
    kind = rnd.choice(
        [
            "message.created",
            "message.updated",
            "messages.seen",
            "reaction.changed",
            "conversation.created",
            "conversation.updated",
            "conversation.assigned",
            "conversation.read",
            "read_position.updated",
            "contact.updated",
            "member.updated",
            "account.updated",
            "import_job.updated",
            "workspace.updated",
            "contact.erased",
            "account.erased",
            "event.redacted",
            "export.updated",
            "note.created",
            "mentions.updated",
            "label.created",
            "label.updated",
            "label.deleted",
            "canned_response.created",
            "canned_response.updated",
            "canned_response.deleted",
        ]
    )
    last = last_ids.get(conversation_id, 1)
    if kind == "message.created":
        new_id = seq * 100
        last_ids[conversation_id] = new_id
        view = conversation(rnd, conversation_id, new_id)
        fields = {"conversation": view, "message": view["last_message"]}
    elif kind == "message.updated":
        fields = {"message": message(rnd, rnd.choice([last, 999]), conversation_id)}
    elif kind == "messages.seen":
        fields = {"conversation_id": conversation_id, "message_ids": [last, 998]}
    elif kind == "reaction.changed":
        reaction = {"reactor_kind": "contact", "reactor_id": "x", "reaction": "love", "emoji": "h"}
        fields = {
            "conversation_id": conversation_id,
            "message_id": last,
            "reactions": rnd.choice([[], [reaction]]),
        }
    elif kind in ("conversation.created", "conversation.updated", "conversation.assigned"):
        fields = {"conversation": conversation(rnd, conversation_id, last_ids.get(conversation_id))}
        if kind == "conversation.assigned":
            fields |= {"previous_assignee_id": None, "assigned_by": 1}
    elif kind == "conversation.read":
        fields = {"conversation_id": conversation_id, "read_by": 1}
    elif kind == "read_position.updated":
        fields = {"conversation_id": conversation_id, "user_id": 1, "message_id": last}
    elif kind == "contact.updated":
        fields = {"contact": contact(rnd, conversation_id)}
    elif kind == "member.updated":
        fields = {"member": member(rnd, rnd.randrange(1, 5))}
    elif kind == "import_job.updated":
        fields = {"job": import_job(rnd, rnd.randrange(1, 6), rnd.randrange(1, 3))}
    elif kind == "workspace.updated":
        fields = {"workspace": workspace(rnd)}
    elif kind == "contact.erased":
        fields = {"contact_id": conversation_id, "conversation_ids": [conversation_id]}
    elif kind == "account.erased":
        fields = {"account_id": rnd.choice([1, 2])}
    elif kind == "event.redacted":
        fields = {}
    elif kind == "export.updated":
        fields = {"export": export_job(rnd, seq)}
    elif kind == "note.created":
        note = {"id": seq, "conversation_id": conversation_id, "author_id": 2, "text": "<@1> x"}
        fields = {"note": note | {"mentions": [1], "created_at": stamp(rnd), "deleted": False}}
    elif kind == "mentions.updated":
        fields = {"user_id": rnd.choice([1, 2]), "unread_count": rnd.randrange(0, 9)}
    elif kind in ("label.created", "label.updated"):
        fields = {"label": label(rnd, rnd.randrange(1, 4))}
    elif kind == "label.deleted":
        fields = {"label_id": rnd.randrange(1, 4)}
    elif kind in ("canned_response.created", "canned_response.updated"):
        fields = {"canned_response": canned(rnd, rnd.randrange(1, 4))}
    elif kind == "canned_response.deleted":
        fields = {"canned_response_id": rnd.randrange(1, 4)}
    else:
        account = {
            "id": rnd.randrange(1, 3),
            "ig_id": "1784",
            "username": "shop",
            "name": "",
            "picture_url": None,
            "status": rnd.choice(["connected", "reconnect_required"]),
            "status_reason": "",
        }
        fields = {"account": account}
    return {**envelope, "type": kind, **fields}


def scenario(seed: int) -> tuple[dict, list[dict]]:
    rnd = random.Random(seed)
    last_ids = {cid: cid for cid in range(1, 5)}
    conversations = [conversation(rnd, cid, cid) for cid in range(1, 5)]
    conversations = [c for c in conversations if c["status"] != "resolved"]
    conversations.sort(key=lambda c: (c["last_activity_at"], c["id"]), reverse=True)
    team = [{**member(rnd, uid), "presence": rnd.choice(["online", "offline"])} for uid in (1, 2)]
    snapshot = {
        "seq": 20,
        "me": team[0],
        "conversations": conversations,
        "more_conversations": False,
        "team": team,
        "accounts": [],
        "workspace": workspace(rnd),
        "labels": [label(rnd, 1), label(rnd, 2)],
        "canned_responses": [canned(rnd, 1)],
        "mentions_unread": rnd.randrange(0, 3),
    }
    # Staff snapshots hold each account's latest import job (older servers: no key).
    if rnd.random() < 0.7:
        snapshot["import_jobs"] = [import_job(rnd, 3, 1)]
    # Some events the snapshot already holds (seq <= 20) and a shuffled order: both ignored
    # or sorted by the reducers alike.
    events = [random_event(rnd, seq, last_ids) for seq in range(15, 15 + rnd.randrange(5, 60))]
    rnd.shuffle(events)
    # Through JSON, as events reach any client: no dict shared between two events.
    return json.loads(json.dumps(snapshot)), json.loads(json.dumps(events))


@pytest.mark.parametrize("seed", range(40))
def test_js_reducer_matches_reference(seed: int) -> None:
    node = node_or_skip()
    snapshot, events = scenario(seed)
    expected = reduce(snapshot, events)
    result = subprocess.run(
        [node, "tests/reduce-cli.js"],
        cwd=CLIENT,
        input=json.dumps({"snapshot": snapshot, "events": events}),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == expected
