import assert from "node:assert/strict";
import { test } from "node:test";

import { byteSize, contactName, duration, initials, preview, replyWindow, utf8Bytes } from "../js/format.js";

test("bytes are counted in UTF-8, as Meta does", () => {
  assert.equal(utf8Bytes("abc"), 3);
  assert.equal(utf8Bytes("привет"), 12);
  assert.equal(utf8Bytes("❤️"), 6);
});

test("names fall back from display name to name to username", () => {
  assert.equal(contactName({ display_name: "VIP", name: "Alice", username: "al" }), "VIP");
  assert.equal(contactName({ display_name: "", name: "", username: "al" }), "@al");
  assert.equal(initials("Alice Martin"), "AM");
  assert.equal(initials("@alice.martin"), "AM");
});

test("durations stay coarse", () => {
  assert.equal(duration(5 * 3600000 + 12 * 60000), "5 h 12 min");
  assert.equal(duration(59 * 1000), "59 s");
  assert.equal(duration(3 * 86400000), "3 d 0 h");
});

test("the reply window explains what is possible", () => {
  const now = Date.parse("2026-05-01T10:00:00Z");
  const open = replyWindow({ window_ends_at: "2026-05-01T12:00:00Z", human_agent_ends_at: "2026-05-07T10:00:00Z" }, null, now);
  assert.equal(open.mode, "open");
  assert.match(open.message, /2 h 0 min/);
  const human = replyWindow({ window_ends_at: "2026-05-01T09:00:00Z", human_agent_ends_at: "2026-05-07T10:00:00Z" }, null, now);
  assert.equal(human.mode, "human_agent");
  assert.equal(replyWindow({ window_ends_at: "2026-04-01T09:00:00Z", human_agent_ends_at: "2026-04-07T10:00:00Z" }, null, now).mode, "closed");
  const account = replyWindow({ window_ends_at: "2026-05-01T12:00:00Z" }, { status: "reconnect_required", username: "shop", status_reason: "token expired" }, now);
  assert.equal(account.mode, "held");
  assert.match(account.message, /Reconnect required.*held until an admin reconnects it/);
  const closedAndHeld = replyWindow({ window_ends_at: "2026-04-01T09:00:00Z", human_agent_ends_at: "2026-04-07T10:00:00Z" }, { status: "reconnect_required", username: "shop" }, now);
  assert.equal(closedAndHeld.mode, "closed");
  assert.equal(replyWindow({ window_ends_at: "2026-05-01T12:00:00Z" }, { status: "disconnected", username: "shop" }, now).mode, "account");
});

test("previews name every kind", () => {
  assert.equal(preview({ deleted: true }), "Message unsent");
  assert.equal(preview({ attachments: [{ type: "image" }, { type: "image" }] }), "📷 2 photos");
  assert.equal(preview({ attachments: [{ type: "story_mention" }] }), "Mentioned you in their story");
  assert.equal(preview({ kind: "postback", payload: { title: "Hours?" } }), "Tapped “Hours?”");
  assert.equal(preview({ kind: "unknown", unsupported: true, attachments: [] }), "Unsupported message");
});

test("file sizes read as people read them", () => {
  assert.equal(byteSize(null), "");
  assert.equal(byteSize(512), "512 B");
  assert.equal(byteSize(1500), "1.5 kB");
  assert.equal(byteSize(12_400_000), "12 MB");
  assert.equal(byteSize(3_200_000_000), "3.2 GB");
});
