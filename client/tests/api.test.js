import assert from "node:assert/strict";
import { test } from "node:test";

import { createApi } from "../js/api.js";

// The server takes JSON bodies only with Content-Type: application/json (415 otherwise:
// what a cross-site form can send is refused), so every call with a body must say so.
function recordingApi() {
  const calls = [];
  const fetch = async (url, init) => {
    calls.push({ url, ...init });
    return { ok: true, status: 200, json: async () => ({}) };
  };
  const api = createApi({ fetch });
  api.setCsrf("csrf-token");
  return { api, calls };
}

test("every request with a body sends it as application/json, with the CSRF header", async () => {
  const { api, calls } = recordingApi();
  await api.login("a@b.c", "pw", "shop");
  await api.assign(1, 2);
  await api.setStatus(1, "pending", "2030-01-01T00:00:00Z");
  await api.markRead(1, 5);
  await api.updateContact(3, { notes: "x" });
  await api.send(1, { text: "hi", client_id: "c1" });
  await api.react(1, 5, { emoji: "\u2764\ufe0f" });
  await api.createMember({ email: "x@y.z", role: "agent" });
  await api.setRole(4, "supervisor");
  await api.request("POST", "/api/v1/tokens", { name: "ci" });
  assert.equal(calls.length, 10);
  for (const call of calls) {
    assert.equal(typeof call.body, "string", call.url);
    JSON.parse(call.body); // throws unless it is JSON
    assert.equal(call.headers["Content-Type"], "application/json", call.url);
    assert.equal(call.headers["X-CSRF-Token"], "csrf-token", call.url);
  }
});

test("a request without a body sends no body and no Content-Type", async () => {
  const { api, calls } = recordingApi();
  await api.claim(1);
  await api.markRead(1);
  await api.conversations({ status: "open" });
  for (const call of calls) {
    assert.equal(call.body, undefined, call.url);
    assert.equal(call.headers["Content-Type"], undefined, call.url);
  }
});
