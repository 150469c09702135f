import { test } from "node:test";
import assert from "node:assert/strict";

import { ago, collisionText, seenOf } from "../js/views/collision.js";

test("what the composer saw: the newest confirmed message and the assignee", () => {
  const conversation = { id: 1, assignee_id: 7, last_message: { id: 40 } };
  const history = { messages: [{ id: 39 }, { id: 41 }, { id: "local:abc", local: true }] };
  assert.deepEqual(seenOf(conversation, history), { message_id: 41, assignee_id: 7 });
  assert.deepEqual(seenOf({ id: 2 }, undefined), { message_id: null, assignee_id: null });
});

test("the question names who replied and when, or who has the conversation now", () => {
  const now = Date.parse("2026-12-03T10:00:05Z");
  const names = { 3: "Alex", 4: "Sam" };
  const replied = { kind: "replied", author_id: 3, author_name: "alex", at: "2026-12-03T10:00:00Z", source: "agent" };
  assert.equal(collisionText([replied], (id) => names[id], now), "Alex replied 5 s ago: send anyway?");
  const app = { ...replied, author_id: null, source: "instagram_app" };
  assert.equal(collisionText([app], () => null, now), "Someone on Instagram replied 5 s ago: send anyway?");
  const moved = { kind: "reassigned", assignee_id: 4, assignee_name: "sam" };
  assert.equal(collisionText([replied, moved], (id) => names[id], now), "Alex replied 5 s ago; Reassigned to Sam: send anyway?");
  assert.equal(collisionText([{ kind: "reassigned", assignee_id: null }], () => null, now), "Unassigned: send anyway?");
  assert.equal(ago("2026-12-03T09:55:00Z", now), "5 min ago");
});
