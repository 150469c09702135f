// An internal note in the thread: unmistakably not a message (its own colour, border and
// label), with mentions shown under each member's current name; its author may edit it
// in place (mentions written as @Name again) or delete it.

import { mentionTokens, notePlainText, noteParts } from "../composing.js";
import { h } from "../dom.js";
import { fullTime, shortTime } from "../format.js";

// ctx: {memberName(id) -> name|null, meId, team(), onDelete(note), onEdit(note, text) -> Promise<note|null>}
export function renderNote(note, ctx) {
  const mine = note.author_id === ctx.meId;
  const body = note.deleted
    ? h("p", { class: "note-text unsent" }, "Note deleted")
    : h("p", { class: "note-text" }, noteParts(note.text).map((part) =>
      typeof part === "string" ? part : h("span", { class: `mention${part.userId === ctx.meId ? " mention-me" : ""}` }, `@${ctx.memberName(part.userId) || "former member"}`)));
  const item = h("li", { class: "msg msg-note", "aria-label": `Internal note ${fullTime(note.created_at)}` },
    h("div", { class: "note-bubble" },
      h("div", { class: "note-head" },
        h("span", { class: "note-badge" }, "Note · only your team sees this"),
        h("span", { class: "author" }, note.author_id ? ctx.memberName(note.author_id) || "A former member" : "A former member")),
      body),
    h("div", { class: "meta" },
      h("time", { datetime: note.created_at, title: fullTime(note.created_at) }, shortTime(note.created_at)),
      note.edited_at && !note.deleted ? h("span", {}, "edited") : null,
      mine && !note.deleted ? h("button", { type: "button", class: "link", onclick: () => edit(item, note, ctx) }, "Edit") : null,
      mine && !note.deleted ? h("button", { type: "button", class: "link", onclick: () => confirm("Delete this note?") && ctx.onDelete(note) }, "Delete") : null));
  return item;
}

// The note's text becomes a field (mentions as @Name); saving sends it back as tokens.
function edit(item, note, ctx) {
  const bubble = item.querySelector(".note-bubble");
  const field = h("textarea", { class: "note-edit", rows: 3, "aria-label": "Edit the note" });
  field.value = notePlainText(note.text, (uid) => ctx.memberName(uid) || "former member");
  // Back to a rendered note, keeping the thread's bookkeeping (its key and version).
  const show = (shown) => {
    const fresh = renderNote(shown, ctx);
    Object.assign(fresh.dataset, item.dataset);
    if (item.isConnected) item.replaceWith(fresh);
  };
  const restore = () => show(note);
  const save = async () => {
    const edited = await ctx.onEdit(note, mentionTokens(field.value, [], ctx.team()));
    if (edited) show(edited);
    else field.focus();
  };
  bubble.replaceChildren(field, h("div", { class: "actions" },
    h("button", { type: "button", class: "primary", onclick: save }, "Save"),
    h("button", { type: "button", onclick: restore }, "Cancel")));
  field.focus();
}
