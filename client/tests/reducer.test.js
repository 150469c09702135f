import assert from "node:assert/strict";
import { test } from "node:test";

import { applyEvent, micros, reduce } from "../js/reducer.js";
import { bootstrap, contact, conversation, event, message } from "./fixtures.js";

test("micros orders by time to the microsecond, whatever the string format", () => {
  assert.ok(micros("2026-05-01T10:00:00.000002Z") > micros("2026-05-01T10:00:00.000001Z"));
  assert.ok(micros("2026-05-01T10:00:00.5Z") > micros("2026-05-01T10:00:00Z"));
  assert.equal(micros("2026-05-01T12:00:00+02:00"), micros("2026-05-01T10:00:00Z"));
});

test("message.created moves a conversation to the top and skips old seqs", () => {
  const boot = bootstrap([conversation(2), conversation(1)], 5);
  const newer = conversation(1, { last_activity_at: "2026-05-01T11:00:00.000000Z", last_message: message(9, 1) });
  const result = reduce(boot, [event(6, "message.created", { conversation: newer, message: message(9, 1) }), event(5, "conversation.updated", { conversation: conversation(3) })]);
  assert.deepEqual(result.conversations.map((c) => c.id), [1, 2]);
  assert.equal(result.seq, 6);
  assert.equal(boot.conversations[1].last_message, null, "reduce never mutates its input");
});

test("resolved conversations leave the snapshot, reopened ones come back", () => {
  const snap = bootstrap([conversation(1), conversation(2)]);
  applyEvent(snap, event(11, "conversation.updated", { conversation: conversation(1, { status: "resolved" }) }));
  assert.deepEqual(snap.conversations.map((c) => c.id), [2]);
  applyEvent(snap, event(12, "conversation.updated", { conversation: conversation(1, { status: "pending" }) }));
  assert.deepEqual(snap.conversations.map((c) => c.id), [2, 1]);
});

test("ties in activity are broken by id, descending", () => {
  const at = "2026-05-01T10:00:00Z";
  const snap = bootstrap([conversation(1, { last_activity_at: at })]);
  applyEvent(snap, event(11, "conversation.created", { conversation: conversation(2, { last_activity_at: at }) }));
  assert.deepEqual(snap.conversations.map((c) => c.id), [2, 1]);
});

test("last message patches: update, seen, reactions", () => {
  const last = message(7, 1, { direction: "out", status: "sent" });
  const snap = bootstrap([conversation(1, { last_message: last })]);
  applyEvent(snap, event(11, "message.updated", { message: { ...last, text: "edited", edit_count: 1 } }));
  applyEvent(snap, event(12, "messages.seen", { conversation_id: 1, message_ids: [7, 99] }));
  const reactions = [{ reactor_kind: "contact", reactor_id: "x", reaction: "love", emoji: "❤️" }];
  applyEvent(snap, event(13, "reaction.changed", { conversation_id: 1, message_id: 7, reactions }));
  const patched = snap.conversations[0].last_message;
  assert.equal(patched.text, "edited");
  assert.equal(patched.status, "read");
  assert.deepEqual(patched.reactions, reactions);
});

test("conversation.read, contact.updated, member.updated keeps presence, account.updated", () => {
  const snap = bootstrap([conversation(1, { unread_count: 3 })]);
  snap.team[1].presence = "online";
  applyEvent(snap, event(11, "conversation.read", { conversation_id: 1, read_by: 1 }));
  applyEvent(snap, event(12, "contact.updated", { contact: contact(1, { display_name: "VIP" }) }));
  applyEvent(snap, event(13, "member.updated", { member: { user_id: 2, name: "Bobby", email: "bob@x", role: "admin", active: true } }));
  applyEvent(snap, event(14, "member.updated", { member: { user_id: 3, name: "Cy", email: "cy@x", role: "agent", active: true } }));
  applyEvent(snap, event(15, "account.updated", { account: { ...snap.accounts[0], status: "reconnect_required" } }));
  applyEvent(snap, event(16, "read_position.updated", { conversation_id: 1, user_id: 1, message_id: 5 }));
  assert.equal(snap.conversations[0].unread_count, 0);
  assert.equal(snap.conversations[0].contact.display_name, "VIP");
  assert.deepEqual(snap.team.map((m) => [m.user_id, m.name, m.presence]), [[1, "Ann", "online"], [2, "Bobby", "online"], [3, "Cy", "offline"]]);
  assert.equal(snap.accounts[0].status, "reconnect_required");
  assert.equal(snap.seq, 16);
});

test("an unknown event type is skipped but its seq counts", () => {
  const snap = bootstrap([conversation(1)]);
  applyEvent(snap, event(11, "something.new", {}));
  assert.equal(snap.seq, 11);
  assert.equal(snap.conversations.length, 1);
});
