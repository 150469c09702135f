// The reply box: Enter sends, Shift+Enter breaks the line; the reply window as a countdown;
// what is possible when it has closed; a byte counter near Meta's limit; a draft per
// conversation kept in localStorage (so an expired session or a reload loses nothing).
// While the account needs reconnecting, a reply is held by the server until an admin
// reconnects it: the first Send only warns, a second one queues it anyway.

import { h } from "../dom.js";
import { replyWindow, TEXT_LIMIT_BYTES, utf8Bytes } from "../format.js";

const COUNTER_FROM = 800; // show the byte counter only when it starts to matter
const TYPING_EVERY_MS = 2500;

export function draftKey(me, conversationId) {
  return `wazify:draft:${me.workspace.id}:${me.user.id}:${conversationId}`;
}

export function loadDraft(me, conversationId) {
  try {
    return localStorage.getItem(draftKey(me, conversationId)) || "";
  } catch {
    return "";
  }
}

export function saveDraft(me, conversationId, text) {
  try {
    if (text) localStorage.setItem(draftKey(me, conversationId), text);
    else localStorage.removeItem(draftKey(me, conversationId));
  } catch {
    // private mode or a full storage: the draft lives in the page only
  }
}

// ctx: {me, send(conversationId, text) -> Promise, typing(conversationId), isAdmin}
export function createComposer(ctx) {
  let conversation = null;
  let account = null;
  let lastTyping = 0;
  let confirming = false; // a held reply was warned about; the next Send queues it
  const notice = h("p", { class: "window-notice", id: "reply-window", "aria-live": "polite" });
  const counter = h("span", { class: "counter", "aria-live": "polite" });
  const input = h("textarea", {
    rows: 1, placeholder: "Write a reply…", "aria-label": "Reply", "aria-describedby": "reply-window reply-hint",
    oninput: onInput, onkeydown: onKey,
  });
  const button = h("button", { type: "submit", class: "primary send", "aria-label": "Send reply" }, "Send");
  const form = h("form", { class: "composer", onsubmit: (e) => { e.preventDefault(); submit(); } },
    notice,
    h("div", { class: "composer-row" }, input, button),
    h("div", { class: "composer-foot" }, h("span", { id: "reply-hint", class: "hint" }, "Enter to send · Shift+Enter for a new line"), counter));
  const timer = setInterval(refresh, 30000); // the countdown moves on its own

  function onInput() {
    grow();
    if (conversation) saveDraft(ctx.me, conversation.id, input.value);
    refresh();
    const now = Date.now();
    if (input.value && conversation && now - lastTyping > TYPING_EVERY_MS) {
      lastTyping = now;
      ctx.typing(conversation.id);
    }
  }

  function onKey(event) {
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
    const window = conversation ? replyWindow(conversation, account) : { mode: "closed", message: "" };
    const bytes = utf8Bytes(input.value);
    const blocked = window.mode === "closed" || window.mode === "account";
    return { window, bytes, blocked, tooLong: bytes > TEXT_LIMIT_BYTES, empty: !input.value.trim() };
  }

  function refresh() {
    const s = state();
    if (s.window.mode !== "held") confirming = false;
    notice.textContent = confirming
      ? `${s.window.message} Press Send again to queue this reply anyway.`
      : s.window.message || "";
    notice.className = `window-notice mode-${s.window.mode}${confirming ? " confirming" : ""}`;
    button.textContent = confirming ? "Queue anyway" : "Send";
    counter.textContent = s.bytes >= COUNTER_FROM ? `${s.bytes} / ${TEXT_LIMIT_BYTES} bytes` : "";
    counter.classList.toggle("over", s.tooLong);
    input.disabled = s.blocked;
    button.disabled = s.blocked || s.tooLong || s.empty;
    input.setAttribute("aria-invalid", s.tooLong ? "true" : "false");
  }

  async function submit() {
    const s = state();
    if (s.blocked || s.tooLong || s.empty || !conversation) return;
    if (s.window.mode === "held" && !confirming) {
      confirming = true;
      refresh();
      return;
    }
    confirming = false;
    const text = input.value;
    const id = conversation.id;
    input.value = "";
    saveDraft(ctx.me, id, "");
    grow();
    refresh();
    const kept = await ctx.send(id, text);
    // The session ended before the server took it: the text comes back as the draft.
    if (kept === "restore") {
      saveDraft(ctx.me, id, text);
      if (conversation && conversation.id === id && !input.value) {
        input.value = text;
        refresh();
      }
    }
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
        input.value = loadDraft(ctx.me, next.id);
        grow();
      }
      refresh();
    },
    focus() {
      input.focus();
    },
    destroy() {
      clearInterval(timer);
    },
  };
}
