import assert from "node:assert/strict";
import { test } from "node:test";

import { safeUrl } from "../js/urls.js";

const ORIGIN = "http://127.0.0.1:8000";

test("https URLs are kept as they are", () => {
  const cdn = "https://scontent.cdninstagram.com/v/t51/abc.jpg?stp=dst&_nc_ht=x%2Fy";
  assert.equal(safeUrl(cdn, ORIGIN), cdn);
});

test("plain http only on the app's own origin", () => {
  assert.equal(safeUrl(`${ORIGIN}/demo-media/avatar-1.svg`, ORIGIN), `${ORIGIN}/demo-media/avatar-1.svg`);
  assert.equal(safeUrl("http://127.0.0.1:9999/x.jpg", ORIGIN), null);
  assert.equal(safeUrl("http://evil.example/x.jpg", ORIGIN), null);
  assert.equal(safeUrl("http://evil.example/x.jpg", undefined), null);
});

test("script, data and other schemes are refused, whatever their spelling", () => {
  for (const url of [
    "javascript:alert(1)",
    "JavaScript:alert(document.cookie)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "file:///etc/passwd",
    "ftp://example.com/x",
    "//evil.example/x.jpg",
    "/demo-media/avatar-1.svg",
    "",
    null,
    undefined,
    42,
  ]) {
    assert.equal(safeUrl(url, ORIGIN), null, String(url));
  }
});
