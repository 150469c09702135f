// The reply collision guard, the app's side: what the composer saw when its writer started
// typing (the conversation's newest message and its assignee), sent with the reply; the
// server answers 409 (code collision) when a teammate replied or the conversation changed
// hands since, and the composer asks "Alex replied 5 s ago: send anyway?".

// The newest message the server confirmed (local, optimistic rows have no number id).
export function seenOf(conversation, history) {
  let newest = conversation.last_message?.id ?? null;
  for (const m of history?.messages || []) if (typeof m.id === "number" && (newest === null || m.id > newest)) newest = m.id;
  return { message_id: newest, assignee_id: conversation.assignee_id ?? null };
}

export function ago(iso, now = Date.now()) {
  const seconds = Math.max(0, Math.round((now - new Date(iso).getTime()) / 1000));
  if (seconds < 90) return `${seconds} s ago`;
  if (seconds < 90 * 60) return `${Math.round(seconds / 60)} min ago`;
  return `${Math.round(seconds / 3600)} h ago`;
}

// changes: the 409's error.details.changes; nameOf(userId) -> the member's current name.
export function collisionText(changes, nameOf, now = Date.now()) {
  const parts = changes.map((change) => {
    if (change.kind === "replied") {
      const who = change.source === "instagram_app" ? "Someone on Instagram" : nameOf(change.author_id) || change.author_name || "A teammate";
      return `${who} replied ${ago(change.at, now)}`;
    }
    if (change.kind === "reassigned") {
      const to = change.assignee_id == null ? null : nameOf(change.assignee_id) || change.assignee_name;
      return to ? `Reassigned to ${to}` : "Unassigned";
    }
    return "The conversation changed";
  });
  return `${parts.join("; ") || "The conversation changed"}: send anyway?`;
}
