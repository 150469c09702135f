// The shared snapshot reducer: a bootstrap plus events -> the next snapshot.
// It mirrors tests/support/reducer.py line for line (the convergence test's reference):
// tests/client/test_reducer_parity.py runs both on the same inputs and compares.
// Everything the web app keeps beyond the snapshot (histories, typing...) lives in store.js.

export const VISIBLE_STATUSES = ["open", "pending"];

// ISO 8601 -> microseconds since the epoch. Chronological order (which the Python
// reference gets from uniformly formatted strings), kept to the microsecond that
// Postgres stores; a plain Date would round to milliseconds and mis-order ties.
export function micros(iso) {
  if (!iso) return 0;
  const fraction = /\.(\d+)/.exec(iso);
  const whole = Date.parse(iso.replace(/\.\d+/, ""));
  const digits = fraction ? (fraction[1] + "000000").slice(0, 6) : "0";
  return whole * 1000 + Number(digits);
}

// Most recent activity first; id breaks ties (descending, like the reference).
export function byActivity(a, b) {
  const diff = micros(b.last_activity_at) - micros(a.last_activity_at);
  return diff !== 0 ? diff : b.id - a.id;
}

function upsertConversation(snapshot, conversation) {
  const others = snapshot.conversations.filter((c) => c.id !== conversation.id);
  if (VISIBLE_STATUSES.includes(conversation.status)) others.push(conversation);
  others.sort(byActivity);
  snapshot.conversations = others;
}

function findConversation(snapshot, conversationId) {
  return snapshot.conversations.find((c) => c.id === conversationId) || null;
}

export function patchLastMessage(conversations, messageId, change) {
  for (const conversation of conversations) {
    const last = conversation.last_message;
    if (last != null && last.id === messageId) change(last);
  }
}

function upsertBy(items, key, item) {
  return items.filter((i) => i[key] !== item[key]).concat([item]);
}

// Each account's latest history import or resync, by account: an older job's event
// changes nothing (staff only; a snapshot from an older server has no list yet).
function upsertImportJob(snapshot, job) {
  const jobs = snapshot.import_jobs || [];
  const current = jobs.find((j) => j.account_id === job.account_id);
  if (current && current.id > job.id) return;
  const next = jobs.filter((j) => j.account_id !== job.account_id).concat([job]);
  next.sort((a, b) => a.account_id - b.account_id);
  snapshot.import_jobs = next;
}

// Applies one event to `snapshot` in place (like the reference's apply_event).
export function applyEvent(snapshot, event) {
  const kind = event.type;
  if (
    kind === "conversation.created" ||
    kind === "conversation.updated" ||
    kind === "conversation.assigned" ||
    kind === "conversation.reopened" ||
    kind === "message.created"
  ) {
    upsertConversation(snapshot, event.conversation);
  } else if (kind === "message.updated") {
    const message = event.message;
    patchLastMessage(snapshot.conversations, message.id, (last) => Object.assign(last, message));
  } else if (kind === "messages.seen") {
    for (const id of event.message_ids) {
      patchLastMessage(snapshot.conversations, id, (last) => (last.status = "read"));
    }
  } else if (kind === "reaction.changed") {
    patchLastMessage(
      snapshot.conversations,
      event.message_id,
      (last) => (last.reactions = event.reactions),
    );
  } else if (kind === "conversation.read") {
    const conversation = findConversation(snapshot, event.conversation_id);
    if (conversation != null) conversation.unread_count = 0;
  } else if (kind === "contact.updated") {
    for (const conversation of snapshot.conversations) {
      if (conversation.contact.id === event.contact.id) conversation.contact = event.contact;
    }
  } else if (kind === "member.updated") {
    const member = { ...event.member };
    const previous = snapshot.team.find((m) => m.user_id === member.user_id) || {};
    member.presence = previous.presence ?? "offline";
    snapshot.team = upsertBy(snapshot.team, "user_id", member);
  } else if (kind === "account.updated") {
    snapshot.accounts = upsertBy(snapshot.accounts, "id", event.account);
  } else if (kind === "import_job.updated") {
    upsertImportJob(snapshot, event.job);
  } else if (kind === "read_position.updated") {
    // one agent's own position: not part of the shared snapshot
  } else if (kind === "workspace.updated") {
    snapshot.workspace = event.workspace;
  } else if (kind === "contact.erased") {
    const gone = new Set(event.conversation_ids);
    snapshot.conversations = snapshot.conversations.filter((c) => !gone.has(c.id) && c.contact.id !== event.contact_id);
  } else if (kind === "account.erased") {
    snapshot.accounts = snapshot.accounts.filter((a) => a.id !== event.account_id);
    snapshot.conversations = snapshot.conversations.filter((c) => c.account_id !== event.account_id);
  } else if (kind === "event.redacted") {
    // the event named erased data: its content is gone, its seq still counts
  } else if (kind === "export.updated") {
    // an admin's data export job: not part of the shared snapshot (store.js keeps them)
  } else if (kind === "invitation.created" || kind === "invitation.removed") {
    // admins' list of pending invitations: not part of the shared snapshot (store.js)
  } else if (kind === "note.created" || kind === "note.updated") {
    // notes are loaded per conversation, like its messages: not in the snapshot
  } else if (kind === "mentions.updated") {
    if (event.user_id === snapshot.me.user_id) snapshot.mentions_unread = event.unread_count;
  } else if (kind === "label.created" || kind === "label.updated") {
    snapshot.labels = upsertBy(snapshot.labels || [], "id", event.label);
  } else if (kind === "label.deleted") {
    snapshot.labels = (snapshot.labels || []).filter((l) => l.id !== event.label_id);
    for (const conversation of snapshot.conversations) {
      conversation.labels = (conversation.labels || []).filter((id) => id !== event.label_id);
    }
  } else if (kind === "canned_response.created" || kind === "canned_response.updated") {
    snapshot.canned_responses = upsertBy(snapshot.canned_responses || [], "id", event.canned_response);
  } else if (kind === "canned_response.deleted") {
    snapshot.canned_responses = (snapshot.canned_responses || []).filter((r) => r.id !== event.canned_response_id);
  } else {
    // Unlike the reference (which asserts), a client must survive a newer server:
    // an unknown event is skipped, and its seq still counts as applied.
  }
  snapshot.seq = Math.max(snapshot.seq, event.seq);
}

// The reference's reduce(): a deep copy, events in seq order, only those after the snapshot.
export function reduce(snapshot, events) {
  const result = structuredClone(snapshot);
  const sorted = [...events].sort((a, b) => a.seq - b.seq);
  for (const event of sorted) {
    if (event.seq > snapshot.seq) applyEvent(result, event);
  }
  return result;
}
