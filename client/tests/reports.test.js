import assert from "node:assert/strict";
import { test } from "node:test";

import { duration, parseSpans, spansText } from "../js/views/reports.js";

test("durations read as the largest two units", () => {
  assert.equal(duration(200), "3m 20s");
  assert.equal(duration(600), "10m");
  assert.equal(duration(0.296), "0s");
  assert.equal(duration(3600 + 120), "1h 2m");
  assert.equal(duration(2 * 86400 + 3 * 3600), "2d 3h");
  assert.equal(duration(null), "–");
});

test("business hours spans round-trip through the text fields", () => {
  const spans = [["09:00", "12:00"], ["13:00", "17:30"]];
  assert.deepEqual(parseSpans(" 09:00-12:00 , 13:00 - 17:30 "), spans);
  assert.equal(spansText(spans), "09:00-12:00, 13:00-17:30");
  assert.deepEqual(parseSpans(""), []);
  assert.equal(spansText(undefined), "");
});
