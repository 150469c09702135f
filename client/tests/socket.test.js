import assert from "node:assert/strict";
import { test } from "node:test";

import { backoffDelay, LiveSocket } from "../js/socket.js";

// A scripted WebSocket and a manual clock: the server side of each test is written inline.
class FakeSocket {
  static all = [];
  constructor(url) {
    this.url = url;
    this.readyState = 0;
    this.sent = [];
    FakeSocket.all.push(this);
  }
  open() {
    this.readyState = 1;
    this.onopen?.();
  }
  frame(data) {
    this.onmessage?.({ data: JSON.stringify(data) });
  }
  send(data) {
    this.sent.push(JSON.parse(data));
  }
  close(code = 1000) {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.onclose?.({ code });
  }
  serverClose(code) {
    this.close(code);
  }
}

function clock() {
  const timers = new Map();
  let now = 0;
  let next = 1;
  return {
    setTimeout(fn, ms) {
      timers.set(next, { fn, at: now + ms });
      return next++;
    },
    clearTimeout(id) {
      timers.delete(id);
    },
    now: () => now,
    async advance(ms) {
      const until = now + ms;
      for (;;) {
        const due = [...timers.entries()].filter(([, t]) => t.at <= until).sort((a, b) => a[1].at - b[1].at)[0];
        if (!due) break;
        timers.delete(due[0]);
        now = due[1].at;
        due[1].fn();
        await flush();
      }
      now = until;
    },
  };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

function harness(extra = {}) {
  FakeSocket.all = [];
  const time = clock();
  const log = { events: [], frames: [], states: [], resyncs: 0, unauthorized: 0 };
  let cursor = 10;
  const live = new LiveSocket({
    url: (since) => `ws://test/api/v1/ws?since=${since}`,
    cursor: () => cursor,
    onEvent(event) {
      log.events.push(event.seq);
      cursor = event.seq;
    },
    onFrame(frame) {
      log.frames.push(frame.type);
      if (frame.type === "heartbeat") cursor = Math.max(cursor, frame.watermark);
    },
    onResync: async () => {
      log.resyncs += 1;
      cursor = 100;
    },
    onUnauthorized: () => (log.unauthorized += 1),
    onState: (state) => log.states.push(state),
    WebSocket: FakeSocket,
    random: () => 0.5,
    ...time,
    ...extra,
  });
  return { live, time, log, sockets: FakeSocket.all, setCursor: (value) => (cursor = value) };
}

const ev = (seq) => ({ seq, workspace_id: 1, at: "2026-05-01T10:00:00Z", type: "conversation.updated" });

test("backoff doubles up to its ceiling, with jitter", () => {
  const mid = () => 0.5;
  assert.deepEqual([0, 1, 2, 3, 10].map((n) => backoffDelay(n, { random: mid })), [500, 1000, 2000, 4000, 15000]);
  assert.equal(backoffDelay(0, { random: () => 0 }), 375);
  assert.equal(backoffDelay(0, { random: () => 1 }), 625);
});

test("connects from the cursor, applies events once, goes live on ready", () => {
  const { live, log, sockets } = harness();
  live.start();
  assert.equal(sockets[0].url, "ws://test/api/v1/ws?since=10");
  sockets[0].open();
  for (const seq of [11, 12, 12, 9, 13]) sockets[0].frame(ev(seq));
  sockets[0].frame({ type: "ready", seq: 13 });
  assert.deepEqual(log.events, [11, 12, 13]);
  assert.equal(live.state, "live");
  assert.deepEqual(log.states, ["connecting", "live"]);
});

test("a cut socket resumes from the last applied seq after a backoff; replays are deduplicated", async () => {
  const { live, log, sockets, time } = harness();
  live.start();
  sockets[0].open();
  sockets[0].frame(ev(11));
  sockets[0].frame({ type: "ready", seq: 11 });
  sockets[0].serverClose(1006);
  await flush();
  assert.equal(live.state, "offline");
  await time.advance(499);
  assert.equal(sockets.length, 1, "waits for the backoff");
  await time.advance(1);
  assert.equal(sockets[1].url, "ws://test/api/v1/ws?since=11");
  sockets[1].open();
  for (const seq of [11, 12, 13, 14]) sockets[1].frame(ev(seq));
  sockets[1].frame({ type: "ready", seq: 14 });
  assert.deepEqual(log.events, [11, 12, 13, 14]);
  assert.equal(live.state, "live");
});

test("repeated failures back off longer, and a ready resets the backoff", async () => {
  const { live, sockets, time } = harness({ probe: async () => true });
  live.start();
  sockets[0].serverClose(1006); // never opened: probe, then retry after 500 ms
  await flush();
  await time.advance(500);
  sockets[1].serverClose(1006);
  await flush();
  await time.advance(999);
  assert.equal(sockets.length, 2);
  await time.advance(1);
  assert.equal(sockets.length, 3);
  sockets[2].open();
  sockets[2].frame({ type: "ready", seq: 10 });
  sockets[2].serverClose(1001);
  await flush();
  await time.advance(500);
  assert.equal(sockets.length, 4);
});

test("resync: the snapshot is reloaded, then the stream resumes from its seq", async () => {
  const { live, log, sockets } = harness();
  live.start();
  sockets[0].open();
  sockets[0].frame({ type: "resync", reason: "expired", message: "reload" });
  sockets[0].serverClose(4000);
  await flush();
  assert.equal(log.resyncs, 1);
  assert.equal(sockets[1].url, "ws://test/api/v1/ws?since=100");
  assert.ok(!log.frames.includes("resync"));
});

test("4001 ends the stream and asks for a sign-in; so does a refused connect whose probe fails", async () => {
  const first = harness();
  first.live.start();
  first.sockets[0].open();
  first.sockets[0].serverClose(4001);
  await flush();
  assert.equal(first.log.unauthorized, 1);
  assert.equal(first.live.state, "unauthorized");

  const second = harness({ probe: async () => false });
  second.live.start();
  second.sockets[0].serverClose(1006);
  await flush();
  await second.time.advance(60000);
  assert.equal(second.log.unauthorized, 1);
  assert.equal(second.sockets.length, 1, "no reconnect loop once the session is gone");
});

test("1013 (the server's database is away) retries with a growing backoff, never signs out", async () => {
  let probes = 0;
  const { live, log, sockets, time } = harness({
    probe: async () => {
      probes += 1;
      return false; // were it asked, it would end the session
    },
  });
  live.start();
  sockets[0].open();
  sockets[0].serverClose(1013);
  await flush();
  assert.equal(live.state, "offline");
  await time.advance(500);
  assert.equal(sockets.length, 2);
  sockets[1].serverClose(1013); // even when no open was seen
  await flush();
  await time.advance(999);
  assert.equal(sockets.length, 2, "the backoff grows while the outage lasts");
  await time.advance(1);
  assert.equal(sockets[2].url, "ws://test/api/v1/ws?since=10");
  sockets[2].open();
  sockets[2].frame({ type: "ready", seq: 10 });
  assert.equal(live.state, "live");
  assert.equal(log.unauthorized, 0);
  assert.equal(probes, 0);
});

test("slow consumer (4008) reconnects at once from the cursor", async () => {
  const { live, sockets, time } = harness();
  live.start();
  sockets[0].open();
  sockets[0].frame(ev(15));
  sockets[0].serverClose(4008);
  await flush();
  await time.advance(0);
  assert.equal(sockets[1].url, "ws://test/api/v1/ws?since=15");
});

test("heartbeats move the resume point past events this agent may not see", async () => {
  const { live, sockets, time } = harness();
  live.start();
  sockets[0].open();
  sockets[0].frame({ type: "ready", seq: 10 });
  sockets[0].frame({ type: "heartbeat", watermark: 25 });
  sockets[0].serverClose(1001);
  await flush();
  await time.advance(1000);
  assert.equal(sockets[1].url, "ws://test/api/v1/ws?since=25");
});

test("silence longer than two heartbeats is a dead link: reconnect", async () => {
  const { live, sockets, time } = harness();
  live.start();
  sockets[0].open();
  sockets[0].frame({ type: "ready", seq: 10 });
  await time.advance(39999);
  assert.equal(sockets.length, 1);
  await time.advance(1);
  assert.equal(sockets[0].readyState, 3);
  await time.advance(1000);
  assert.equal(sockets.length, 2);
});

test("an event that fails to apply is never stepped over", async () => {
  const { live, sockets, time, log } = harness({
    onEvent(event) {
      if (event.seq === 12) throw new Error("boom");
      log.events.push(event.seq);
    },
  });
  const original = console.error;
  console.error = () => {};
  try {
    live.start();
    sockets[0].open();
    sockets[0].frame(ev(12));
    sockets[0].frame({ type: "heartbeat", watermark: 30 });
    assert.ok(!log.frames.includes("heartbeat"), "frames after the failure are not read");
    await flush();
    await time.advance(1000);
    assert.equal(sockets[1].url, "ws://test/api/v1/ws?since=10");
  } finally {
    console.error = original;
  }
});

test("client frames are sent only on an open socket; stop closes for good", async () => {
  const { live, sockets, time } = harness();
  live.start();
  live.send({ type: "typing", conversation_id: 1 });
  sockets[0].open();
  live.send({ type: "viewing", conversation_id: 1 });
  assert.deepEqual(sockets[0].sent, [{ type: "viewing", conversation_id: 1 }]);
  live.stop();
  await time.advance(60000);
  assert.equal(sockets.length, 1);
});
