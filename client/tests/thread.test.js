import assert from "node:assert/strict";
import { test } from "node:test";

import { addHistoryPage, applyEvent, inboxList, initialState, loadBootstrap, setInvitations } from "../js/store.js";
import { addNotesPage, addStatusChanges, timeline } from "../js/thread.js";
import { bootstrap, conversation, event, message } from "./fixtures.js";

const ME = { user: { id: 1, name: "Ann", email: "ann@x" }, workspace: { id: 1, slug: "w", name: "W" }, role: "agent" };

function note(id, conversationId, second, extra = {}) {
  const at = `2026-05-01T10:00:0${second}.500000Z`;
  return { id, conversation_id: conversationId, author_id: 2, text: `note ${id}`, mentions: [], created_at: at, edited_at: null, deleted: false, ...extra };
}

function ready(conversations = [conversation(1), conversation(2)]) {
  return loadBootstrap({ ...initialState(), me: ME }, { ...bootstrap(conversations, 10), labels: [{ id: 7, name: "VIP", color: "red" }], mentions_unread: 0 });
}

test("notes join the thread in time order, from the oldest message loaded on", () => {
  let state = ready();
  state = addHistoryPage(state, 1, { items: [message(4, 1), message(2, 1)], next_cursor: "older" });
  state = addNotesPage(state, 1, { items: [note(11, 1, 3), note(10, 1, 1)], next_cursor: null });
  // note 10 (10:00:01.5) is older than the oldest message loaded (10:00:02): not shown yet.
  assert.deepEqual(timeline(state, 1).map((t) => `${t.kind}:${t.id}`), ["message:2", "note:11", "message:4"]);
  state = addHistoryPage(state, 1, { items: [message(1, 1)], next_cursor: null });
  assert.deepEqual(timeline(state, 1).map((t) => `${t.kind}:${t.id}`), ["message:1", "note:10", "message:2", "note:11", "message:4"]);
});

test("note events add and replace notes once, only where they are loaded", () => {
  let state = ready();
  state = addHistoryPage(state, 1, { items: [message(2, 1)], next_cursor: null });
  state = addNotesPage(state, 1, { items: [], next_cursor: null });
  state = applyEvent(state, event(11, "note.created", { note: note(20, 1, 5) }));
  state = applyEvent(state, event(11, "note.created", { note: note(20, 1, 5) })); // replayed
  state = applyEvent(state, event(12, "note.created", { note: note(21, 2, 5) })); // not loaded
  state = applyEvent(state, event(13, "note.updated", { note: note(20, 1, 5, { text: "", deleted: true }) }));
  assert.deepEqual(state.notes[1].items.map((n) => [n.id, n.deleted]), [[20, true]]);
  assert.equal(state.notes[2], undefined);
  assert.deepEqual(timeline(state, 1).map((t) => t.kind), ["message", "note"]);
});

test("a deleted label leaves every conversation, and the list filters by label", () => {
  let state = ready([conversation(1, { labels: [7] }), conversation(2, { labels: [] }), conversation(3, { labels: [7, 8] })]);
  assert.deepEqual(inboxList(state, { label: 7 }).map((c) => c.id), [3, 1]);
  state = applyEvent(state, event(11, "label.deleted", { label_id: 7 }));
  assert.deepEqual(Object.values(state.known).map((c) => c.labels), [[], [], [8]]);
  assert.deepEqual(state.snapshot.labels, []);
  assert.deepEqual(inboxList(state, { label: 7 }), []);
});

test("my unread mentions follow mentions.updated", () => {
  let state = ready();
  state = applyEvent(state, event(11, "mentions.updated", { user_id: 1, unread_count: 3, read_note_ids: [] }));
  assert.equal(state.snapshot.mentions_unread, 3);
});

test("a reopening is a line just before the message that reopened it, live once loaded", () => {
  let state = ready();
  state = addHistoryPage(state, 1, { items: [message(4, 1), message(2, 1)], next_cursor: null });
  const change = (id, messageId, reason = "customer_message") => ({ id, conversation_id: 1, status_from: "resolved", status_to: "open", reason, user_id: null, message_id: messageId, created_at: "2026-05-01T11:00:00Z" });
  state = addStatusChanges(state, 1, [change(5, null, "member")]);
  assert.deepEqual(timeline(state, 1).map((t) => `${t.kind}:${t.id}`), ["message:2", "message:4"]);
  const reopened = { ...conversation(1), reopened_at: "2026-05-01T11:00:00Z" };
  state = applyEvent(state, event(11, "conversation.reopened", { conversation: reopened, change: change(6, 4) }));
  state = applyEvent(state, event(11, "conversation.reopened", { conversation: reopened, change: change(6, 4) })); // replayed
  assert.deepEqual(timeline(state, 1).map((t) => `${t.kind}:${t.id}`), ["message:2", "status:6", "message:4"]);
  assert.equal(state.known[1].reopened_at, "2026-05-01T11:00:00Z");
  // Not loaded for conversation 2: nothing kept until the thread is opened.
  state = applyEvent(state, event(12, "conversation.reopened", { conversation: conversation(2), change: { ...change(7, 9), conversation_id: 2 } }));
  assert.equal(state.statusChanges[2], undefined);
});

test("pending invitations follow invitation events", () => {
  let state = setInvitations(ready(), [{ id: 1, email: "a@x", role: "agent", expires_at: "2026-05-08T10:00:00Z" }]);
  state = applyEvent(state, event(11, "invitation.created", { invitation: { id: 2, email: "b@x", role: "admin", expires_at: "2026-05-08T10:00:00Z" } }));
  state = applyEvent(state, event(12, "invitation.removed", { invitation_id: 1, reason: "cancelled" }));
  assert.deepEqual(Object.keys(state.invitations), ["2"]);
});
