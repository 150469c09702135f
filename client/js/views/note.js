// An internal note in the thread: unmistakably not a message (its own colour, border and
// label), with mentions shown under each member's current name; its author may delete it.

import { noteParts } from "../composing.js";
import { h } from "../dom.js";
import { fullTime, shortTime } from "../format.js";

// ctx: {memberName(id) -> name|null, meId, onDelete(note)}
export function renderNote(note, ctx) {
  const mine = note.author_id === ctx.meId;
  const body = note.deleted
    ? h("p", { class: "note-text unsent" }, "Note deleted")
    : h("p", { class: "note-text" }, noteParts(note.text).map((part) =>
      typeof part === "string" ? part : h("span", { class: `mention${part.userId === ctx.meId ? " mention-me" : ""}` }, `@${ctx.memberName(part.userId) || "former member"}`)));
  return h("li", { class: "msg msg-note", "aria-label": `Internal note ${fullTime(note.created_at)}` },
    h("div", { class: "note-bubble" },
      h("div", { class: "note-head" },
        h("span", { class: "note-badge" }, "Note · only your team sees this"),
        h("span", { class: "author" }, note.author_id ? ctx.memberName(note.author_id) || "A former member" : "A former member")),
      body),
    h("div", { class: "meta" },
      h("time", { datetime: note.created_at, title: fullTime(note.created_at) }, shortTime(note.created_at)),
      note.edited_at && !note.deleted ? h("span", {}, "edited") : null,
      mine && !note.deleted ? h("button", { type: "button", class: "link", onclick: () => confirm("Delete this note?") && ctx.onDelete(note) }, "Delete") : null));
}
