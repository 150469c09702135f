"""Presence and viewing across every server process, from live connections only.

Each process reports, for each member it holds sockets of, a state (online when any of
their sockets is active, away when all are away) and the conversations they have open.
Reports are published as ephemeral signals (never logged) and refreshed periodically;
a process that stops reporting (crashed, cut off) drops out after a time-to-live.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import msgspec

REPORT_TTL_SECONDS = 45.0


class PresenceReport(msgspec.Struct, array_like=True, frozen=True):
    """One process's view of one member: state and open conversations."""

    process: str
    workspace_id: int
    user_id: int
    state: str  # online | away | offline
    viewing: tuple[int, ...]


@dataclass
class _Entry:
    state: str
    viewing: tuple[int, ...]
    seen_at: float


@dataclass
class PresenceTable:
    """Merged reports: (workspace, user) -> process -> entry."""

    ttl: float = REPORT_TTL_SECONDS
    _entries: dict[tuple[int, int], dict[str, _Entry]] = field(default_factory=dict)

    def apply(self, report: PresenceReport, now: float | None = None) -> None:
        key = (report.workspace_id, report.user_id)
        processes = self._entries.setdefault(key, {})
        if report.state == "offline":
            processes.pop(report.process, None)
        else:
            processes[report.process] = _Entry(
                report.state, report.viewing, now or time.monotonic()
            )
        if not processes:
            del self._entries[key]

    def expire(self, now: float | None = None) -> list[tuple[int, int]]:
        """Drop reports older than the TTL; return the members whose entries changed."""
        now = now or time.monotonic()
        changed = []
        for key, processes in list(self._entries.items()):
            stale = [name for name, entry in processes.items() if now - entry.seen_at > self.ttl]
            for name in stale:
                del processes[name]
            if stale:
                changed.append(key)
            if not processes:
                del self._entries[key]
        return changed

    def members(self) -> list[tuple[int, int]]:
        return list(self._entries)

    def state(self, workspace_id: int, user_id: int) -> str:
        processes = self._entries.get((workspace_id, user_id), {})
        states = {entry.state for entry in processes.values()}
        return "online" if "online" in states else "away" if states else "offline"

    def viewers(self, workspace_id: int, conversation_id: int) -> list[int]:
        return sorted(
            user_id
            for (workspace, user_id), processes in self._entries.items()
            if workspace == workspace_id
            and any(conversation_id in entry.viewing for entry in processes.values())
        )

    def snapshot(self, workspace_id: int) -> dict[int, str]:
        """Presence of every member with a live socket somewhere (others are offline)."""
        return {
            user_id: self.state(workspace, user_id)
            for workspace, user_id in self._entries
            if workspace == workspace_id
        }

    def viewing_of(self, workspace_id: int, user_id: int) -> set[int]:
        processes = self._entries.get((workspace_id, user_id), {})
        return {cid for entry in processes.values() for cid in entry.viewing}
