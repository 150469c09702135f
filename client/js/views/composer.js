// The reply box, with two modes: Reply (to the customer) and Note (to the team only).
// Enter sends, Shift+Enter breaks the line; the reply window as a countdown; a byte counter
// near Meta's limit; a draft per conversation and mode kept in localStorage (so an expired
// session or a reload loses nothing). "/" opens the canned responses (Reply), "@" the team
// to mention (Note): see composer_pickers.js. While the account needs reconnecting, a reply
// is held by the server until an admin reconnects it: the first Send only warns, a second
// one queues it anyway. A reply carries what the thread showed when its writer started
// typing: a teammate's reply or a reassignment since then is a question before it goes
// ("Alex replied 5 s ago: send anyway?", see collision.js).

import { h } from "../dom.js";
import { replyWindow, TEXT_LIMIT_BYTES, utf8Bytes } from "../format.js";
import { unfilledPlaceholders } from "../composing.js";
import { collisionText, seenOf } from "./collision.js";
import { attachPickers } from "./composer_pickers.js";

const COUNTER_FROM = 800; // show the byte counter only when it starts to matter
const TYPING_EVERY_MS = 2500;
export const NOTE_MAX = 5000; // characters (the server's limit)

export function draftKey(me, conversationId, mode = "reply") {
  return `wazify:draft:${me.workspace.id}:${me.user.id}:${conversationId}${mode === "note" ? ":note" : ""}`;
}

export function loadDraft(me, conversationId, mode) {
  try {
    return localStorage.getItem(draftKey(me, conversationId, mode)) || "";
  } catch {
    return "";
  }
}

export function saveDraft(me, conversationId, text, mode) {
  try {
    if (text) localStorage.setItem(draftKey(me, conversationId, mode), text);
    else localStorage.removeItem(draftKey(me, conversationId, mode));
  } catch {
    // private mode or a full storage: the draft lives in the page only
  }
}

// ctx: {me, state() -> store state, send(cid, text, cannedId, guard), sendNote(cid, text),
//       sendFile(cid, file), typing(cid), nameOf(userId)}
export function createComposer(ctx) {
  let conversation = null;
  let account = null;
  let mode = "reply";
  let lastTyping = 0;
  let confirming = false; // a held reply was warned about; the next Send queues it
  let seen = null; // the thread as it was when the reply's writing began (collision.js)
  let collided = null; // {text, cannedId}: refused for a collision, waiting for an answer
  const notice = h("p", { class: "window-notice", id: "reply-window", "aria-live": "polite" });
  const flag = h("p", { class: "placeholder-flag", role: "alert", hidden: true });
  const counter = h("span", { class: "counter", "aria-live": "polite" });
  const noteLabel = h("p", { class: "note-label", hidden: true }, "Note · only your team sees this");
  const input = h("textarea", {
    rows: 1, "aria-label": "Reply", "aria-describedby": "reply-window reply-hint", "aria-autocomplete": "list",
    oninput: onInput, onkeydown: onKey, onclick: () => pickers.refresh(), onblur: () => pickers.hide(),
  });
  const button = h("button", { type: "submit", class: "primary send" }, "Send");
  const tabs = h("div", { class: "composer-tabs", role: "group", "aria-label": "Write" },
    h("button", { type: "button", "data-mode": "reply", onclick: () => setMode("reply") }, "Reply"),
    h("button", { type: "button", "data-mode": "note", onclick: () => setMode("note") }, "Note"));
  const hint = h("span", { id: "reply-hint", class: "hint" });
  // Images, videos and audio files (what Instagram's Send API takes; the server checks).
  const file = h("input", { type: "file", accept: "image/png,image/jpeg,image/gif,video/*,audio/*", class: "visually-hidden", "aria-label": "Attach an image, a video or an audio file", onchange: () => sendFile() });
  const attach = h("label", { class: "composer-attach button", title: "Attach an image, a video or an audio file" }, file, "Attach");
  const row = h("div", { class: "composer-row" }, attach, input, button);
  const question = h("span", {});
  const collision = h("div", { class: "collision", role: "alert", hidden: true }, question,
    h("button", { type: "button", class: "primary", onclick: () => sendAnyway() }, "Send anyway"),
    h("button", { type: "button", onclick: () => dismissCollision() }, "Don't send"));
  const form = h("form", { class: "composer", onsubmit: (e) => { e.preventDefault(); submit(); } },
    tabs, noteLabel, notice, collision, row, flag, h("div", { class: "composer-foot" }, hint, counter));
  const pickers = attachPickers({ input, ctx, mode: () => mode, conversation: () => conversation, onChange: onInput });
  form.insertBefore(pickers.el, row);
  const timer = setInterval(refresh, 30000); // the countdown moves on its own

  function setMode(next) {
    if (next === mode) return;
    if (conversation) saveDraft(ctx.me, conversation.id, input.value, mode);
    mode = next;
    pickers.reset();
    if (conversation) input.value = loadDraft(ctx.me, conversation.id, mode);
    noteSeen();
    grow();
    refresh();
    input.focus();
  }

  // The first keystroke of a reply fixes what its writer had seen.
  function noteSeen() {
    if (mode !== "reply" || !conversation || !input.value.trim()) return;
    if (!seen) seen = seenOf(conversation, ctx.state().histories?.[conversation.id]);
  }

  function onInput() {
    if (mode === "reply" && !input.value.trim()) seen = null; // erased: a fresh start
    noteSeen();
    grow();
    if (conversation) saveDraft(ctx.me, conversation.id, input.value, mode);
    pickers.refresh();
    refresh();
    const now = Date.now();
    if (mode === "reply" && input.value && conversation && now - lastTyping > TYPING_EVERY_MS) {
      lastTyping = now;
      ctx.typing(conversation.id);
    }
  }

  function onKey(event) {
    if (pickers.onKey(event)) return;
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      submit();
    }
  }

  function grow() {
    input.style.height = "auto";
    input.style.height = `${Math.min(input.scrollHeight, 200)}px`;
  }

  function state() {
    const note = mode === "note";
    const window = conversation ? replyWindow(conversation, account) : { mode: "closed", message: "" };
    const bytes = utf8Bytes(input.value);
    const blocked = !conversation || (!note && (window.mode === "closed" || window.mode === "account"));
    const tooLong = note ? input.value.trim().length > NOTE_MAX : bytes > TEXT_LIMIT_BYTES;
    const unfilled = note ? [] : unfilledPlaceholders(input.value);
    return { note, window, bytes, blocked, tooLong, unfilled, empty: !input.value.trim() };
  }

  function refresh() {
    const s = state();
    if (s.note || s.window.mode !== "held") confirming = false;
    form.classList.toggle("composer-note", s.note);
    for (const tab of tabs.children) tab.setAttribute("aria-pressed", String(tab.dataset.mode === mode));
    noteLabel.hidden = !s.note;
    notice.hidden = s.note;
    notice.textContent = s.note
      ? ""
      : confirming ? `${s.window.message} Press Send again to queue this reply anyway.` : s.window.message || "";
    notice.className = `window-notice mode-${s.window.mode}${confirming ? " confirming" : ""}`;
    input.placeholder = s.note ? "Write a note for your team… Type @ to mention someone" : "Write a reply… Type / for canned responses";
    input.setAttribute("aria-label", s.note ? "Note for the team" : "Reply");
    button.textContent = s.note ? "Add note" : confirming ? "Queue anyway" : "Send";
    button.setAttribute("aria-label", s.note ? "Add the note" : "Send reply");
    hint.textContent = s.note ? "Enter to add · @ to mention · only your team sees notes" : "Enter to send · Shift+Enter for a new line · / for canned responses";
    counter.textContent = s.note
      ? (input.value.length >= NOTE_MAX - 500 ? `${input.value.length} / ${NOTE_MAX} characters` : "")
      : (s.bytes >= COUNTER_FROM ? `${s.bytes} / ${TEXT_LIMIT_BYTES} bytes` : "");
    counter.classList.toggle("over", s.tooLong);
    flag.hidden = !s.unfilled.length;
    flag.textContent = s.unfilled.length ? `Fill in or remove ${s.unfilled.join(", ")} before sending.` : "";
    input.disabled = s.blocked;
    file.disabled = s.blocked || s.note;
    attach.hidden = s.note;
    button.disabled = s.blocked || s.tooLong || s.empty || s.unfilled.length > 0;
    input.setAttribute("aria-invalid", s.tooLong || s.unfilled.length ? "true" : "false");
  }

  async function sendFile() {
    const chosen = file.files[0];
    file.value = "";
    if (!chosen || !conversation || state().blocked) return;
    await ctx.sendFile(conversation.id, chosen);
  }

  async function submit() {
    const s = state();
    if (s.blocked || s.tooLong || s.empty || s.unfilled.length || !conversation) return;
    if (!s.note && s.window.mode === "held" && !confirming) {
      confirming = true;
      refresh();
      return;
    }
    confirming = false;
    if (collided && mode === "reply") { // sent again as it stands: the change was seen
      collided = null;
      collision.hidden = true;
      seen = seenOf(conversation, ctx.state().histories?.[conversation.id]);
    }
    pickers.hide();
    const written = input.value;
    const id = conversation.id;
    const sentMode = mode;
    const { text, cannedId } = pickers.take(written);
    input.value = "";
    saveDraft(ctx.me, id, "", sentMode);
    grow();
    refresh();
    const guard = { seen: sentMode === "reply" ? seen : null };
    if (sentMode === "reply") seen = null;
    const kept = sentMode === "note" ? await ctx.sendNote(id, text) : await ctx.send(id, text, cannedId, guard);
    if (kept?.collision) return askAboutCollision(id, written, text, cannedId, guard.seen, kept.collision);
    // The session ended before the server took it (or a note was refused): the text comes
    // back as the draft.
    if (kept === "restore" || (sentMode === "note" && kept === "failed")) {
      saveDraft(ctx.me, id, written, sentMode);
      if (conversation && conversation.id === id && mode === sentMode && !input.value) {
        input.value = written;
        refresh();
      }
    }
  }

  // The reply goes back into the box, with the question above it.
  function askAboutCollision(id, written, text, cannedId, wasSeen, changes) {
    saveDraft(ctx.me, id, written, "reply");
    if (!conversation || conversation.id !== id) return;
    if (!input.value) input.value = written;
    seen = wasSeen;
    collided = { text, cannedId, seen: wasSeen };
    question.textContent = collisionText(changes, ctx.nameOf);
    collision.hidden = false;
    grow();
    refresh();
  }

  function dismissCollision() {
    collided = null;
    collision.hidden = true;
    seen = null; // the writer has now seen the change: the next Send is checked from here
    noteSeen();
    input.focus();
  }

  async function sendAnyway() {
    if (!collided || !conversation) return;
    const { text, cannedId, seen: wasSeen } = collided;
    const id = conversation.id;
    collided = null;
    collision.hidden = true;
    seen = null;
    input.value = "";
    saveDraft(ctx.me, id, "", "reply");
    grow();
    refresh();
    const kept = await ctx.send(id, text, cannedId, { seen: wasSeen, force: true });
    if (kept === "restore") saveDraft(ctx.me, id, text, "reply");
  }

  return {
    el: form,
    input,
    // Another conversation (or the same one, updated by an event).
    show(next, nextAccount) {
      const switched = !conversation || conversation.id !== next.id;
      conversation = next;
      account = nextAccount;
      if (switched) {
        confirming = false;
        seen = null;
        collided = null;
        collision.hidden = true;
        pickers.reset();
        input.value = loadDraft(ctx.me, next.id, mode);
        noteSeen(); // a kept draft: written against the thread as it shows now
        grow();
      }
      refresh();
    },
    setMode,
    focus() {
      input.focus();
    },
    destroy() {
      clearInterval(timer);
    },
  };
}
