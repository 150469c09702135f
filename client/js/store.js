// The web app's state and the pure functions that change it.
// `snapshot` is exactly what the reference reducer (reducer.js) keeps; the rest is what an
// agent's screen needs beyond it: every conversation seen (resolved ones from the list API
// too), loaded histories, read positions, typing, viewing and the socket's resume cursor.
// Each function takes a state and returns the next one; nothing here touches the DOM.

import { applyEvent as applySnapshotEvent, byActivity, micros, patchLastMessage } from "./reducer.js";
import { addStatusChanges, withNotes } from "./thread.js";

export const TYPING_MS = 6000; // "is typing" fades this long after the last signal

export function initialState() {
  return {
    me: null, // GET /api/v1/me (csrf token, role, workspace)
    snapshot: null, // the reducer's snapshot (bootstrap + events)
    cursor: 0, // highest seq this client has everything up to: the resume point
    known: {}, // conversation id -> conversation, a superset of snapshot.conversations
    histories: {}, // conversation id -> {messages (oldest first), older, loaded}
    notes: {}, // conversation id -> {items (oldest first), older, loaded}: the team's notes
    statusChanges: {}, // conversation id -> its status changes (the thread's reopened lines)
    readPositions: {}, // conversation id -> my last read message id
    viewing: {}, // conversation id -> user ids who have it open
    typing: {}, // conversation id -> {user id: {name, until}}
    connection: "connecting", // connecting | live | offline | resyncing
    exports: {}, // export id -> ExportView (admins: the Data screen and export.updated)
    invitations: {}, // invitation id -> InvitationView (admins: pending, invitation.* events)
  };
}

export function loadBootstrap(state, boot) {
  const known = {};
  for (const c of boot.conversations) known[c.id] = c;
  // A reload (resync) starts histories afresh: they may have missed events.
  return { ...state, snapshot: structuredClone(boot), cursor: boot.seq, known, histories: {}, notes: {}, statusChanges: {}, viewing: {}, typing: {} };
}

// Messages of a history: oldest first by (sent_at, id); optimistic ones (not yet known to
// the server) stay at the end in the order they were written.
function messageOrder(a, b) {
  if (a.local !== b.local) return a.local ? 1 : -1;
  if (a.local) return 0;
  const diff = micros(a.sent_at) - micros(b.sent_at);
  return diff !== 0 ? diff : a.id - b.id;
}

function withHistory(state, conversationId, change) {
  const history = state.histories[conversationId];
  if (!history) return state;
  const messages = change(history.messages.slice());
  messages.sort(messageOrder);
  return { ...state, histories: { ...state.histories, [conversationId]: { ...history, messages } } };
}

function patchMessages(state, conversationId, ids, change) {
  return withHistory(state, conversationId, (messages) =>
    messages.map((m) => (ids.includes(m.id) ? change({ ...m }) : m)),
  );
}

function upsertKnown(state, conversation) {
  return { ...state, known: { ...state.known, [conversation.id]: conversation } };
}

// One logged event from the stream. Already applied (seq <= cursor): nothing changes, which
// is what makes a replay after a reconnect safe to apply.
export function applyEvent(state, event) {
  if (state.snapshot == null || event.seq <= state.cursor) return state;
  const snapshot = structuredClone(state.snapshot);
  applySnapshotEvent(snapshot, event);
  let next = { ...state, snapshot, cursor: event.seq };
  const kind = event.type;
  if (kind === "message.created") {
    const message = event.message;
    next = upsertKnown(next, event.conversation);
    next = withHistory(next, message.conversation_id, (messages) =>
      messages
        .filter((m) => m.id !== message.id && !(message.client_id && m.local && m.client_id === message.client_id))
        .concat([message]),
    );
    next = clearTyping(next, message.conversation_id, message.author_id);
  } else if (kind.startsWith("conversation.") && event.conversation) {
    next = upsertKnown(next, event.conversation);
    if (kind === "conversation.reopened" && next.statusChanges[event.conversation.id]) next = addStatusChanges(next, event.conversation.id, [event.change]);
  } else if (kind === "message.updated") {
    const message = event.message;
    next = { ...next, known: patchKnown(next.known, (list) => patchLastMessage(list, message.id, (last) => Object.assign(last, message))) };
    next = withHistory(next, message.conversation_id, (messages) =>
      messages.map((m) => (m.id === message.id ? message : m)),
    );
  } else if (kind === "messages.seen") {
    const ids = event.message_ids;
    next = { ...next, known: patchKnown(next.known, (list) => ids.forEach((id) => patchLastMessage(list, id, (last) => (last.status = "read")))) };
    next = patchMessages(next, event.conversation_id, ids, (m) => ({ ...m, status: "read" }));
  } else if (kind === "reaction.changed") {
    next = { ...next, known: patchKnown(next.known, (list) => patchLastMessage(list, event.message_id, (last) => (last.reactions = event.reactions))) };
    next = patchMessages(next, event.conversation_id, [event.message_id], (m) => ({ ...m, reactions: event.reactions }));
  } else if (kind === "conversation.read") {
    const c = next.known[event.conversation_id];
    if (c) next = upsertKnown(next, { ...c, unread_count: 0 });
  } else if (kind === "contact.updated") {
    const known = { ...next.known };
    for (const [id, c] of Object.entries(known)) {
      if (c.contact.id === event.contact.id) known[id] = { ...c, contact: event.contact };
    }
    next = { ...next, known };
  } else if (kind === "contact.erased") {
    const gone = new Set(event.conversation_ids);
    for (const c of Object.values(next.known)) if (c.contact.id === event.contact_id) gone.add(c.id);
    next = forgetConversations(next, gone);
  } else if (kind === "account.erased") {
    const gone = new Set(Object.values(next.known).filter((c) => c.account_id === event.account_id).map((c) => c.id));
    next = forgetConversations(next, gone);
  } else if (kind === "export.updated") {
    next = { ...next, exports: { ...next.exports, [event.export.id]: event.export } };
  } else if (kind === "invitation.created") {
    next = { ...next, invitations: { ...next.invitations, [event.invitation.id]: event.invitation } };
  } else if (kind === "invitation.removed") {
    const invitations = { ...next.invitations };
    delete invitations[event.invitation_id];
    next = { ...next, invitations };
  } else if (kind === "note.created" || kind === "note.updated") {
    next = withNotes(next, event.note.conversation_id, (items) => items.filter((n) => n.id !== event.note.id).concat([event.note]));
  } else if (kind === "label.deleted") {
    const known = { ...next.known };
    for (const [id, c] of Object.entries(known)) {
      if ((c.labels || []).includes(event.label_id)) known[id] = { ...c, labels: c.labels.filter((l) => l !== event.label_id) };
    }
    next = { ...next, known };
  } else if (kind === "read_position.updated") {
    if (state.me && event.user_id === state.me.user.id) {
      next = { ...next, readPositions: { ...next.readPositions, [event.conversation_id]: event.message_id } };
    }
  }
  return next;
}

// Erased conversations leave every part of the state at once (list, history, positions...).
function forgetConversations(state, ids) {
  if (!ids.size) return state;
  const keep = (map) => Object.fromEntries(Object.entries(map).filter(([id]) => !ids.has(Number(id))));
  return {
    ...state,
    known: keep(state.known),
    histories: keep(state.histories),
    readPositions: keep(state.readPositions),
    viewing: keep(state.viewing),
    typing: keep(state.typing),
  };
}

// Copy-on-write of the known conversations whose last message a patch may touch.
function patchKnown(known, patch) {
  const copy = {};
  for (const [id, c] of Object.entries(known)) copy[id] = c.last_message ? { ...c, last_message: { ...c.last_message } } : c;
  patch(Object.values(copy));
  return copy;
}

// Protocol frames that are not logged events (see socket.js): they never move the
// snapshot, only the cursor (ready, heartbeat) and the ephemeral signals.
export function applyFrame(state, frame, now = Date.now()) {
  switch (frame.type) {
    case "ready":
      return { ...state, cursor: Math.max(state.cursor, frame.seq), connection: "live" };
    case "heartbeat":
      // Frames are in order on one socket: every visible event up to the watermark has
      // already arrived, so the resume point may move past the invisible ones.
      return { ...state, cursor: Math.max(state.cursor, frame.watermark) };
    case "presence": {
      if (!state.snapshot) return state;
      const team = state.snapshot.team.map((m) => (m.user_id === frame.user_id ? { ...m, presence: frame.state } : m));
      return { ...state, snapshot: { ...state.snapshot, team } };
    }
    case "viewing":
      return { ...state, viewing: { ...state.viewing, [frame.conversation_id]: frame.user_ids } };
    case "typing": {
      const current = { ...(state.typing[frame.conversation_id] || {}) };
      current[frame.user_id] = { name: frame.name, until: now + TYPING_MS };
      return { ...state, typing: { ...state.typing, [frame.conversation_id]: current } };
    }
    default:
      return state;
  }
}

function clearTyping(state, conversationId, userId) {
  const current = state.typing[conversationId];
  if (!current || userId == null || !current[userId]) return state;
  const rest = { ...current };
  delete rest[userId];
  return { ...state, typing: { ...state.typing, [conversationId]: rest } };
}

// Names of those typing in a conversation now (expired signals ignored).
export function typingNames(state, conversationId, now = Date.now()) {
  return Object.values(state.typing[conversationId] || {})
    .filter((t) => t.until > now)
    .map((t) => t.name);
}

// Export jobs from the API (the list, one job): the stream keeps known jobs current, so an
// answer fetched before an event must not undo it; it only adds jobs not known yet and the
// download link of a job in the state it was fetched in (links never ride on events).
export function mergeExports(state, jobs) {
  const exports = { ...state.exports };
  for (const job of jobs) {
    const known = exports[job.id];
    if (!known) exports[job.id] = job;
    else if (known.status === job.status) exports[job.id] = { ...known, download_path: job.download_path ?? null, download_url: job.download_url ?? null };
  }
  return { ...state, exports };
}

// The pending invitations from the API replace the list (events keep it current after).
export function setInvitations(state, items) {
  return { ...state, invitations: Object.fromEntries(items.map((i) => [i.id, i])) };
}

// A page of the list API: conversations not yet known join; known ones are already kept
// current by the stream, and a page fetched before an event must not undo it.
export function mergeConversations(state, conversations) {
  const known = { ...state.known };
  for (const c of conversations) if (!known[c.id]) known[c.id] = c;
  return { ...state, known };
}

// A page of history (newest page first from the API). `older` is the cursor of the next
// older page, null once the beginning is reached.
export function addHistoryPage(state, conversationId, page) {
  const history = state.histories[conversationId] || { messages: [], older: null, loaded: false };
  const have = new Set(history.messages.map((m) => m.id));
  const messages = history.messages.concat(page.items.filter((m) => !have.has(m.id)));
  messages.sort(messageOrder);
  const older = history.loaded && history.older === null ? null : page.next_cursor;
  return {
    ...state,
    histories: { ...state.histories, [conversationId]: { messages, older, loaded: true } },
  };
}

export function forgetHistory(state, conversationId) {
  const histories = { ...state.histories };
  delete histories[conversationId];
  return { ...state, histories };
}

// A reply being written to the server: shown at once as pending.
export function addLocalMessage(state, conversationId, { clientId, text, authorId, now = new Date() }) {
  const local = {
    id: `local:${clientId}`, local: true, client_id: clientId, conversation_id: conversationId,
    direction: "out", kind: "message", source: "agent", author_id: authorId, text,
    attachments: [], reactions: [], edits: [], status: "pending", status_reason: "",
    sent_at: now.toISOString(),
  };
  return withHistory(state, conversationId, (messages) => messages.concat([local]));
}

export function failLocalMessage(state, conversationId, clientId, reason) {
  return withHistory(state, conversationId, (messages) =>
    messages.map((m) => (m.local && m.client_id === clientId ? { ...m, status: "failed", status_reason: reason } : m)),
  );
}

export function dropLocalMessage(state, conversationId, clientId) {
  return withHistory(state, conversationId, (messages) => messages.filter((m) => !(m.local && m.client_id === clientId)));
}

// The answer to a POST: the stream may already have brought this row (and a newer status),
// so an existing copy wins; otherwise it replaces the optimistic one.
export function acceptSentMessage(state, message) {
  return withHistory(state, message.conversation_id, (messages) => {
    if (messages.some((m) => m.id === message.id)) {
      return messages.filter((m) => !(m.local && m.client_id === message.client_id));
    }
    return messages.filter((m) => !(m.local && m.client_id === message.client_id)).concat([message]);
  });
}

// The inbox: known conversations matching the filters, most recent activity first.
export function inboxList(state, { assignee = "all", status = "open", words = [], label = null } = {}) {
  const me = state.me ? state.me.user.id : null;
  return Object.values(state.known)
    .filter((c) => {
      if (assignee === "mine" && c.assignee_id !== me) return false;
      if (assignee === "unassigned" && c.assignee_id != null) return false;
      if (/^\d+$/.test(String(assignee)) && c.assignee_id !== Number(assignee)) return false;
      if (status !== "any" && c.status !== status) return false;
      if (label != null && !(c.labels || []).includes(label)) return false;
      return words.every((w) => contactText(c.contact).includes(w.toLowerCase()));
    })
    .sort(byActivity);
}

export function contactText(contact) {
  return [contact.display_name, contact.name, contact.username].join(" ").toLowerCase();
}

// The title badge: unread conversations assigned to me.
export function myUnread(state) {
  const me = state.me ? state.me.user.id : null;
  return Object.values(state.known).filter((c) => c.assignee_id === me && c.unread_count > 0 && c.status !== "resolved").length;
}

export function label(state, labelId) {
  return state.snapshot?.labels?.find((l) => l.id === labelId) || null;
}

// Labels by name, for display.
export function sortedLabels(state) {
  return [...(state.snapshot?.labels || [])].sort((a, b) => a.name.localeCompare(b.name, undefined, { sensitivity: "base" }) || a.id - b.id);
}

export function member(state, userId) {
  return state.snapshot?.team.find((m) => m.user_id === userId) || null;
}

export function createStore(state = initialState()) {
  const listeners = new Set();
  return {
    get state() {
      return state;
    },
    update(change, ...args) {
      const next = change(state, ...args);
      if (next !== state) {
        state = next;
        for (const listener of listeners) listener(state);
      }
      return state;
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
