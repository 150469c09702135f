// The live stream's protocol (server/realtime/ws.py, docs/realtime.md), without the DOM:
// connect with ?since=<cursor>, hand logged events (deduplicated by seq) and frames to the
// app, reconnect with backoff and resume from the last applied seq. Only the server decides
// that the snapshot must be reloaded (a resync frame or close code 4000), and only 4001 (or a
// refused connect whose probe says the session is gone) signs out: 1013, the server's
// database being unavailable, is a retry like a cut link.

export const CLOSE_RESYNC = 4000;
export const CLOSE_UNAUTHORIZED = 4001;
export const CLOSE_FOREIGN_ORIGIN = 4003;
export const CLOSE_SLOW_CONSUMER = 4008;
export const CLOSE_TRY_AGAIN = 1013; // the server's database is away: not a sign-out

// A logged event has the envelope; protocol frames (ready, heartbeat...) do not.
export function isEvent(frame) {
  return typeof frame.seq === "number" && "workspace_id" in frame && "at" in frame;
}

// 0.5 s, 1 s, 2 s ... up to `max`, each with +-25 % jitter so a restarted server is not
// hit by every browser at the same instant.
export function backoffDelay(attempt, { base = 500, max = 15000, random = Math.random } = {}) {
  const raw = Math.min(max, base * 2 ** attempt);
  return Math.round(raw * (0.75 + random() * 0.5));
}

export class LiveSocket {
  // options: url(since) -> string; cursor() -> last applied seq; onEvent(event);
  // onFrame(frame); onResync() -> Promise (reload the snapshot); onUnauthorized();
  // onState(state); probe() -> Promise<boolean> (false: the session is gone);
  // WebSocket, setTimeout, clearTimeout, now, random (injectable for tests).
  constructor(options) {
    this.o = {
      WebSocket: globalThis.WebSocket,
      setTimeout: globalThis.setTimeout.bind(globalThis),
      clearTimeout: globalThis.clearTimeout.bind(globalThis),
      now: () => Date.now(),
      random: Math.random,
      silenceMs: 40000, // > 2 heartbeats (15 s): longer silence means a dead link
      onFrame() {},
      onState() {},
      probe: async () => true,
      ...options,
    };
    this.ws = null;
    this.attempt = 0;
    this.timer = null;
    this.watchdog = null;
    this.stopped = true;
    this.resyncing = false;
    this.state = "idle";
  }

  start() {
    this.stopped = false;
    this.connect();
  }

  stop() {
    this.stopped = true;
    this.o.clearTimeout(this.timer);
    this.o.clearTimeout(this.watchdog);
    const ws = this.ws;
    this.ws = null;
    if (ws) ws.close(1000, "bye");
    this.setState("idle");
  }

  setState(state) {
    if (state !== this.state) {
      this.state = state;
      this.o.onState(state);
    }
  }

  send(frame) {
    if (this.ws && this.ws.readyState === 1) this.ws.send(JSON.stringify(frame));
  }

  connect() {
    if (this.stopped) return;
    this.setState(this.attempt === 0 ? "connecting" : "reconnecting");
    const ws = new this.o.WebSocket(this.o.url(this.o.cursor()));
    this.ws = ws;
    let opened = false;
    ws.onopen = () => {
      opened = true;
      this.armWatchdog();
    };
    ws.onmessage = (message) => {
      if (this.ws !== ws) return;
      this.armWatchdog();
      let frame;
      try {
        frame = JSON.parse(message.data);
      } catch {
        return; // not ours to crash on
      }
      this.receive(frame);
    };
    ws.onclose = (close) => {
      if (this.ws !== ws) return; // replaced or stopped
      this.ws = null;
      this.o.clearTimeout(this.watchdog);
      this.closed(close.code, opened);
    };
    ws.onerror = () => {}; // onclose follows and decides
  }

  receive(frame) {
    if (isEvent(frame)) {
      // Dedupe: a replay after a reconnect may repeat what a previous socket delivered.
      if (frame.seq <= this.o.cursor()) return;
      try {
        this.o.onEvent(frame);
      } catch (error) {
        // Never step over an event: drop this socket before a later heartbeat could move
        // the cursor past it, and resume from the last seq really applied.
        console.error("could not apply event", frame.seq, error);
        this.drop();
      }
      return;
    }
    if (frame.type === "resync") {
      this.resyncing = true; // the close (4000) that follows reloads
      return;
    }
    if (frame.type === "ready") {
      this.attempt = 0;
      this.setState("live");
    }
    this.o.onFrame(frame);
  }

  // No frame for `silenceMs` (heartbeats come every 15 s): the link is dead without a
  // close (a sleeping laptop, a proxy that dropped it). Reconnect and resume.
  armWatchdog() {
    this.o.clearTimeout(this.watchdog);
    this.watchdog = this.o.setTimeout(() => this.drop(), this.o.silenceMs);
  }

  drop() {
    const ws = this.ws;
    if (!ws) return;
    this.ws = null;
    this.o.clearTimeout(this.watchdog);
    ws.close(4000 + 999, "client gave up on this socket");
    this.closed(1006, true);
  }

  async closed(code, opened) {
    if (this.stopped) return;
    if (code === CLOSE_UNAUTHORIZED) {
      this.stopped = true;
      this.setState("unauthorized");
      this.o.onUnauthorized();
      return;
    }
    if (code === CLOSE_RESYNC || this.resyncing) {
      this.resyncing = false;
      this.setState("resyncing");
      try {
        await this.o.onResync();
        this.attempt = 0;
        this.connect();
      } catch {
        this.retry();
      }
      return;
    }
    if (code === CLOSE_TRY_AGAIN) {
      // The server could not check the session (its database is unavailable): keep it and
      // retry with a backoff that keeps growing until a ready; never probe, never sign out.
      this.retry();
      return;
    }
    if (!opened) {
      // Refused before accept (a 403 shows as 1006): an ended session looks the same as a
      // server that is down, so ask the API which it is.
      let alive = true;
      try {
        alive = await this.o.probe();
      } catch {
        alive = true; // the server is unreachable: keep trying
      }
      if (this.stopped) return;
      if (!alive) {
        this.stopped = true;
        this.setState("unauthorized");
        this.o.onUnauthorized();
        return;
      }
    }
    if (code === CLOSE_FOREIGN_ORIGIN) {
      this.stopped = true;
      this.setState("refused");
      return;
    }
    this.retry(code === CLOSE_SLOW_CONSUMER ? 0 : undefined);
  }

  retry(delay) {
    this.setState("offline");
    const wait = delay ?? backoffDelay(this.attempt, { random: this.o.random });
    this.attempt += 1;
    this.o.clearTimeout(this.timer);
    this.timer = this.o.setTimeout(() => this.connect(), wait);
    this.nextAttemptAt = this.o.now() + wait;
  }

  // "Reconnect now" from the banner, or the browser coming back online.
  reconnectNow() {
    if (this.stopped || this.ws) return;
    this.o.clearTimeout(this.timer);
    this.connect();
  }
}
