"""The envelope around messaging items, Meta's byte-exact encoding and the signature header."""

import hashlib
import hmac
import json
from typing import Any

from wazify.fakemeta.items import now_ms

# Meta stamps entry.time a little after the event: it is when the notification was sent.
DELIVERY_DELAY_MS = 731


def entry(
    account: str, items: list[dict[str, Any]], standby: bool = False, time_ms: int | None = None
) -> dict[str, Any]:
    """One `entry[]` object; `standby=True` puts the items under standby[] instead."""
    if time_ms is None:
        stamps = [item["timestamp"] for item in items if isinstance(item.get("timestamp"), int)]
        time_ms = max(stamps) + DELIVERY_DELAY_MS if stamps else now_ms()
    return {"id": account, "time": time_ms, "standby" if standby else "messaging": items}


def change(field: str, value: dict[str, Any]) -> dict[str, Any]:
    return {"field": field, "value": value}


def changes_entry(
    entry_id: str, changes: list[dict[str, Any]], time_ms: int | None = None
) -> dict[str, Any]:
    """An entry carrying changes[] (comments, mentions, the dashboard Test button)."""
    time_value = time_ms if time_ms is not None else now_ms()
    return {"id": entry_id, "time": time_value, "changes": changes}


def body(entries: list[dict[str, Any]], object: str = "instagram") -> dict[str, Any]:
    return {"object": object, "entry": entries}


def encode_body(payload: dict[str, Any]) -> bytes:
    """Serialise as Meta does: compact, non-ASCII as lowercase \\uXXXX escapes, "/" unescaped."""
    return json.dumps(payload, ensure_ascii=True, separators=(",", ":")).encode("ascii")


def signed(body_bytes: bytes, secret: str) -> dict[str, str]:
    """The headers of a genuine delivery of `body_bytes` signed with `secret`.

    Computed here rather than with wazify.meta.signature, so tests check one against the other.
    """
    digest = hmac.new(secret.encode("utf-8"), body_bytes, hashlib.sha256).hexdigest()
    return {"X-Hub-Signature-256": f"sha256={digest}", "Content-Type": "application/json"}
