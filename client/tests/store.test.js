import assert from "node:assert/strict";
import { test } from "node:test";

import {
  acceptSentMessage, addHistoryPage, addLocalMessage, applyEvent, applyFrame, failLocalMessage,
  inboxList, initialState, loadBootstrap, mergeConversations, mergeExports, myUnread, typingNames,
} from "../js/store.js";
import { bootstrap, conversation, event, message } from "./fixtures.js";

const ME = { user: { id: 1, name: "Ann", email: "ann@x" }, workspace: { id: 1, slug: "w", name: "W" }, role: "agent", via: "session", csrf_token: "t" };

function ready(conversations = [conversation(1), conversation(2)]) {
  return loadBootstrap({ ...initialState(), me: ME }, bootstrap(conversations, 10));
}

function created(seq, id, conversationId, extra = {}) {
  const m = message(id, conversationId, extra);
  const c = conversation(conversationId, { last_activity_at: `2026-05-01T12:00:${String(seq).padStart(2, "0")}Z`, last_message: m, unread_count: 1 });
  return event(seq, "message.created", { conversation: c, message: m });
}

test("events at or below the cursor are ignored (a replay after a reconnect)", () => {
  let state = ready();
  state = applyEvent(state, created(11, 5, 1));
  const again = applyEvent(state, created(11, 5, 1));
  assert.equal(again, state);
  assert.equal(state.cursor, 11);
  assert.equal(applyEvent(state, created(9, 6, 2)), state);
});

test("a loaded history gets new messages once, in order", () => {
  let state = ready();
  state = addHistoryPage(state, 1, { items: [message(3, 1), message(2, 1)], next_cursor: "older" });
  state = applyEvent(state, created(11, 4, 1));
  state = applyEvent(state, created(11, 4, 1));
  state = applyEvent(state, created(12, 5, 2)); // another conversation: not loaded, not kept
  assert.deepEqual(state.histories[1].messages.map((m) => m.id), [2, 3, 4]);
  assert.equal(state.histories[2], undefined);
  assert.equal(state.histories[1].older, "older");
  state = addHistoryPage(state, 1, { items: [message(1, 1), message(2, 1)], next_cursor: null });
  assert.deepEqual(state.histories[1].messages.map((m) => m.id), [1, 2, 3, 4]);
  assert.equal(state.histories[1].older, null);
});

test("the optimistic reply is replaced by the server's row, whichever comes first", () => {
  let state = ready();
  state = addHistoryPage(state, 1, { items: [message(1, 1)], next_cursor: null });
  state = addLocalMessage(state, 1, { clientId: "c1", text: "hello", authorId: 1 });
  assert.equal(state.histories[1].messages.at(-1).status, "pending");
  const row = message(2, 1, { direction: "out", client_id: "c1", status: "sending", author_id: 1 });
  state = applyEvent(state, event(11, "message.created", { conversation: conversation(1, { last_message: row }), message: row }));
  assert.deepEqual(state.histories[1].messages.map((m) => m.id), [1, 2]);
  // The POST's answer arrives after the event with an older status: the event's copy stays.
  state = acceptSentMessage(state, { ...row, status: "pending" });
  assert.equal(state.histories[1].messages.at(-1).status, "sending");
  state = applyEvent(state, event(12, "messages.seen", { conversation_id: 1, message_ids: [2] }));
  assert.equal(state.histories[1].messages.at(-1).status, "read");
  assert.equal(state.known[1].last_message.status, "read");
});

test("a reply refused by the API shows its reason", () => {
  let state = ready();
  state = addHistoryPage(state, 1, { items: [], next_cursor: null });
  state = addLocalMessage(state, 1, { clientId: "c2", text: "x", authorId: 1 });
  state = failLocalMessage(state, 1, "c2", "the reply window is closed");
  assert.deepEqual([state.histories[1].messages[0].status, state.histories[1].messages[0].status_reason], ["failed", "the reply window is closed"]);
});

test("reactions and edits reach the history and the inbox's last message", () => {
  let state = ready([conversation(1, { last_message: message(3, 1) })]);
  state = addHistoryPage(state, 1, { items: [message(3, 1)], next_cursor: null });
  const reactions = [{ reactor_kind: "contact", reactor_id: "x", reaction: "love", emoji: "❤️" }];
  state = applyEvent(state, event(11, "reaction.changed", { conversation_id: 1, message_id: 3, reactions }));
  state = applyEvent(state, event(12, "message.updated", { message: { ...message(3, 1), text: "new", edit_count: 1, edits: [{ text: "text 3" }] } }));
  assert.deepEqual(state.histories[1].messages[0].reactions, []); // message.updated carries the row
  assert.equal(state.histories[1].messages[0].text, "new");
  assert.equal(state.known[1].last_message.text, "new");
  assert.equal(state.snapshot.conversations[0].last_message.text, "new");
});

test("resolved conversations stay known for the Resolved filter; the snapshot drops them", () => {
  let state = ready();
  state = applyEvent(state, event(11, "conversation.updated", { conversation: conversation(1, { status: "resolved" }) }));
  assert.deepEqual(state.snapshot.conversations.map((c) => c.id), [2]);
  assert.deepEqual(inboxList(state, { status: "resolved" }).map((c) => c.id), [1]);
  assert.deepEqual(inboxList(state, { status: "open" }).map((c) => c.id), [2]);
});

test("inbox filters: mine, unassigned, search words; the title badge counts mine unread", () => {
  let state = ready([conversation(1, { assignee_id: 1, unread_count: 2 }), conversation(2), conversation(3, { assignee_id: 2 })]);
  state = applyEvent(state, event(11, "conversation.assigned", { conversation: conversation(2, { assignee_id: 1, unread_count: 1 }), previous_assignee_id: null }));
  assert.deepEqual(inboxList(state, { assignee: "mine" }).map((c) => c.id), [2, 1]);
  assert.deepEqual(inboxList(state, { assignee: "unassigned" }).map((c) => c.id), []);
  assert.deepEqual(inboxList(state, { assignee: "all", words: ["contact", "3"] }).map((c) => c.id), [3]);
  assert.equal(myUnread(state), 2);
  state = applyEvent(state, event(12, "conversation.read", { conversation_id: 1, read_by: 1 }));
  assert.equal(myUnread(state), 1);
});

test("a list page never overwrites what the stream already made newer", () => {
  let state = ready();
  state = applyEvent(state, event(11, "conversation.assigned", { conversation: conversation(1, { assignee_id: 2 }) }));
  state = mergeConversations(state, [conversation(1), conversation(7, { status: "resolved" })]);
  assert.equal(state.known[1].assignee_id, 2);
  assert.equal(state.known[7].status, "resolved");
});

test("frames: ready and heartbeat move the cursor, presence, viewing and typing", () => {
  let state = ready();
  state = applyFrame(state, { type: "ready", seq: 14 });
  assert.deepEqual([state.cursor, state.connection], [14, "live"]);
  state = applyFrame(state, { type: "heartbeat", watermark: 20 });
  state = applyFrame(state, { type: "heartbeat", watermark: 18 });
  assert.equal(state.cursor, 20);
  assert.equal(state.snapshot.seq, 10, "the snapshot's seq only moves with applied events");
  state = applyFrame(state, { type: "presence", user_id: 2, state: "away" });
  assert.equal(state.snapshot.team[1].presence, "away");
  state = applyFrame(state, { type: "viewing", conversation_id: 1, user_ids: [1, 2] });
  assert.deepEqual(state.viewing[1], [1, 2]);
  state = applyFrame(state, { type: "typing", conversation_id: 1, user_id: 2, name: "Bob" }, 1000);
  assert.deepEqual(typingNames(state, 1, 2000), ["Bob"]);
  assert.deepEqual(typingNames(state, 1, 60000), []);
  // Bob's message arriving ends his typing indicator at once.
  state = applyEvent(state, created(21, 9, 1, { direction: "out", author_id: 2 }));
  assert.deepEqual(typingNames(state, 1, 2000), []);
});

test("a resync reload replaces everything and keeps who I am", () => {
  let state = ready();
  state = addHistoryPage(state, 1, { items: [message(1, 1)], next_cursor: null });
  state = loadBootstrap(state, bootstrap([conversation(5)], 40));
  assert.deepEqual(Object.keys(state.known), ["5"]);
  assert.deepEqual(state.histories, {});
  assert.equal(state.cursor, 40);
  assert.equal(state.me, ME);
});

test("an erased contact or account leaves the list, its history and positions at once", () => {
  let state = ready([conversation(1), conversation(2), conversation(3, { account_id: 9 })]);
  state = addHistoryPage(state, 1, { items: [message(1, 1)], next_cursor: null });
  state = applyEvent(state, event(11, "read_position.updated", { conversation_id: 1, user_id: 1, message_id: 1 }));
  state = applyEvent(state, event(12, "contact.erased", { contact_id: state.known[1].contact.id, conversation_ids: [1] }));
  assert.deepEqual(Object.keys(state.known).map(Number), [2, 3]);
  assert.equal(state.histories[1], undefined);
  assert.equal(state.readPositions[1], undefined);
  assert.deepEqual(state.snapshot.conversations.map((c) => c.id).sort(), [2, 3]);
  state = applyEvent(state, event(13, "account.erased", { account_id: 9 }));
  assert.deepEqual(Object.keys(state.known).map(Number), [2]);
  // A redacted event only moves the cursor.
  const before = state.snapshot;
  state = applyEvent(state, event(14, "event.redacted", {}));
  assert.equal(state.cursor, 14);
  assert.deepEqual(state.snapshot.conversations, before.conversations);
});

function job(id, status, extra = {}) {
  return { id, kind: "workspace", contact_id: null, status, status_reason: "", requested_by: 1, requested_label: "ann@x", rows_done: 0, rows_total: 0, file_size: null, created_at: "2026-05-01T10:00:00Z", started_at: null, finished_at: null, expires_at: null, ...extra };
}

test("export.updated keeps each export job current, outside the snapshot", () => {
  let state = ready();
  state = applyEvent(state, event(11, "export.updated", { export: job(3, "queued") }));
  state = applyEvent(state, event(12, "export.updated", { export: job(3, "running", { rows_done: 40, rows_total: 100 }) }));
  assert.equal(state.exports[3].rows_done, 40);
  assert.equal(state.snapshot.seq, 12);
  assert.deepEqual(Object.keys(state.snapshot).sort(), ["accounts", "conversations", "me", "more_conversations", "seq", "team"]);
});

test("a list fetched before an event does not undo it, and brings the download link", () => {
  let state = ready();
  state = applyEvent(state, event(11, "export.updated", { export: job(3, "done", { rows_done: 9, rows_total: 9 }) }));
  state = mergeExports(state, [job(3, "running"), job(2, "expired")]);
  assert.equal(state.exports[3].status, "done");
  assert.equal(state.exports[2].status, "expired");
  state = mergeExports(state, [job(3, "done", { download_path: "/api/v1/exports/3/download?x" })]);
  assert.equal(state.exports[3].download_path, "/api/v1/exports/3/download?x");
  state = applyEvent(state, event(12, "export.updated", { export: job(3, "expired") }));
  assert.equal(state.exports[3].download_path, undefined);
});
