// What the composer does with text, as pure functions (unit-tested in Node): the word being
// typed after "@" or "/", canned responses' placeholders, and mentions written for the
// server as <@user_id>.

// The trigger word at the caret: "@ali" or "/than" at the start of the text or of a word.
// -> {start, query} (start: the index of the trigger character) or null.
export function triggerAt(text, caret, trigger) {
  const before = text.slice(0, caret);
  const at = before.lastIndexOf(trigger);
  if (at === -1 || (at > 0 && !/\s/.test(before[at - 1]))) return null;
  const query = before.slice(at + 1);
  if (!/^[\p{L}\p{N}._-]*$/u.test(query)) return null;
  return { start: at, query };
}

// Replace text[start, end) with `insert`; -> {text, caret}.
export function splice(text, start, end, insert) {
  return { text: text.slice(0, start) + insert + text.slice(end), caret: start + insert.length };
}

// --- Canned responses ---

export const PLACEHOLDERS = [
  ["contact.first_name", "the customer's first name (else their username, else “there”)"],
  ["contact.name", "the customer's name (else @username, else “there”)"],
  ["contact.username", "the customer's Instagram username"],
  ["agent.name", "your name"],
  ["agent.first_name", "your first name"],
  ["workspace.name", "the workspace's name"],
];

const PLACEHOLDER = /\{\{\s*([A-Za-z_][\w.]*)\s*\}\}/g;

function firstWord(text) {
  return (text || "").trim().split(/\s+/)[0] || "";
}

// The values for a conversation's customer and the agent writing. A value that is missing
// falls back to something a reply can still say ("Hi there"); one without a sensible
// stand-in (a username) is null: the placeholder stays in the text, flagged.
export function placeholderValues({ contact, me }) {
  const name = (contact?.display_name || contact?.name || "").trim();
  const username = contact?.username || "";
  const agent = (me?.user?.name || "").trim() || (me?.user?.email || "").split("@")[0];
  return {
    "contact.first_name": firstWord(name) || username || "there",
    "contact.name": name || (username ? `@${username}` : "there"),
    "contact.username": username || null,
    "agent.name": agent || null,
    "agent.first_name": firstWord(agent) || null,
    "workspace.name": me?.workspace?.name || null,
  };
}

// -> {text, unfilled}: known placeholders with a value replaced; the others left as they
// are and listed (unknown names, or no value).
export function fillPlaceholders(text, values) {
  const unfilled = [];
  const filled = text.replace(PLACEHOLDER, (whole, name) => {
    const value = values[name];
    if (value == null || value === "") {
      unfilled.push(whole);
      return whole;
    }
    return value;
  });
  return { text: filled, unfilled };
}

// The placeholders still in a text (what the composer flags and will not send).
export function unfilledPlaceholders(text) {
  return [...(text || "").matchAll(PLACEHOLDER)].map((match) => match[0]);
}

// Canned responses matching what was typed after "/": shortcut prefix first, then a
// shortcut or text containing it; by shortcut.
export function matchCanned(responses, query, limit = 8) {
  const q = query.toLowerCase();
  const score = (r) => (r.shortcut.toLowerCase().startsWith(q) ? 0 : r.shortcut.toLowerCase().includes(q) || r.text.toLowerCase().includes(q) ? 1 : 2);
  return responses
    .map((r) => [score(r), r])
    .filter(([s]) => s < 2)
    .sort((a, b) => a[0] - b[0] || a[1].shortcut.localeCompare(b[1].shortcut))
    .slice(0, limit)
    .map(([, r]) => r);
}

// --- Mentions ---

// Active members (not `meId`) whose name or email starts with the query, or one of whose
// name's words does.
export function matchMembers(team, query, meId, limit = 8) {
  const q = query.toLowerCase();
  return team
    .filter((m) => m.active && m.user_id !== meId)
    .filter((m) => !q || [m.name, ...m.name.split(/\s+/), m.email].some((w) => (w || "").toLowerCase().startsWith(q)))
    .sort((a, b) => a.name.localeCompare(b.name))
    .slice(0, limit);
}

export function mentionLabel(member) {
  return `@${member.name || member.email.split("@")[0]}`;
}

// The text as the server stores it: each "@Name" picked from the list (picked: label ->
// user id), and any "@Name" that is exactly one active member's, becomes <@user_id>.
export function mentionTokens(text, picked, team) {
  const labels = new Map(picked);
  const counts = new Map();
  for (const m of team.filter((m) => m.active)) counts.set(mentionLabel(m), (counts.get(mentionLabel(m)) || 0) + 1);
  for (const m of team.filter((m) => m.active)) {
    if (!labels.has(mentionLabel(m)) && counts.get(mentionLabel(m)) === 1) labels.set(mentionLabel(m), m.user_id);
  }
  // Longest first: "@Ann Lee" before "@Ann".
  const ordered = [...labels.entries()].sort((a, b) => b[0].length - a[0].length);
  let result = text;
  for (const [label, userId] of ordered) {
    const escaped = label.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    result = result.replace(new RegExp(`${escaped}(?![\\p{L}\\p{N}_])`, "gu"), `<@${userId}>`);
  }
  return result;
}

// A note's text in parts for display: strings, and {userId} where a mention stands.
export function noteParts(text) {
  const parts = [];
  let last = 0;
  for (const match of text.matchAll(/<@(\d+)>/g)) {
    if (match.index > last) parts.push(text.slice(last, match.index));
    parts.push({ userId: Number(match[1]) });
    last = match.index + match[0].length;
  }
  if (last < text.length) parts.push(text.slice(last));
  return parts;
}

// A note as plain text with members' names (notifications, previews).
export function notePlainText(text, nameOf) {
  return noteParts(text).map((p) => (typeof p === "string" ? p : `@${nameOf(p.userId)}`)).join("");
}
