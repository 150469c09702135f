// Which URLs from a message may become an href or a src. Only https, plus plain http on this
// very origin (the demo and the tests serve their pictures from the app itself): a
// javascript:, data: or http: link that reached a message through a webhook or an old row is
// shown as "unavailable" instead of as something to click. The server refuses them too
// (server/meta/normalize.py); this holds for whatever it let through before.

export function safeUrl(url, origin = globalThis.location?.origin) {
  if (typeof url !== "string" || url === "") return null;
  let parsed;
  try {
    parsed = new URL(url);
  } catch {
    return null; // relative or malformed: messages carry absolute URLs only
  }
  if (parsed.protocol === "https:") return url;
  if (parsed.protocol === "http:" && origin && parsed.origin === origin) return url;
  return null;
}
