// "Mentions": the notes that mention me, newest first, unread ones marked. Opening one
// opens its conversation, which marks the mentions there read (app.js); "Mark all read"
// does it for every one. The list reloads when a note or my mentions change.

import { notePlainText } from "../composing.js";
import { h, replace, toast } from "../dom.js";
import { contactName, fullTime, shortTime } from "../format.js";
import { member } from "../store.js";

// ctx: {api, store, mergeConversations(list)}
export function createMentionsView(ctx) {
  const list = h("ul", { class: "plain mentions-list", "aria-label": "Notes that mention you" });
  const status = h("p", { class: "hint", "aria-live": "polite" });
  const more = h("button", { type: "button", class: "more", hidden: true, onclick: () => load(next) }, "Older mentions");
  const readAll = h("button", { type: "button", onclick: markAllRead }, "Mark all read");
  const el = h("section", { class: "page mentions", "aria-labelledby": "mentions-title" },
    h("header", { class: "page-head" }, h("h1", { id: "mentions-title" }, "Mentions"), readAll),
    h("p", { class: "hint" }, "Notes in which a teammate mentioned you. Only your team sees notes."),
    status, list, more);
  let items = [];
  let next = null;
  let loading = null;

  function nameOf(uid) {
    return member(ctx.store.state, uid)?.name || "former member";
  }

  function render() {
    const unread = ctx.store.state.snapshot?.mentions_unread || 0;
    readAll.disabled = unread === 0;
    status.textContent = loading ? "Loading…" : items.length ? `${unread} unread` : "Nobody has mentioned you in a note yet.";
    replace(list, items.map((item) => {
      const note = item.note;
      const unreadItem = item.read_at == null;
      return h("li", { class: `card mention-item${unreadItem ? " unread" : ""}`, "data-note": note.id },
        h("a", { href: `#/c/${note.conversation_id}`, class: "mention-link" },
          h("span", { class: "mention-where" }, unreadItem ? h("span", { class: "visually-hidden" }, "Unread: ") : null,
            `${nameOf(note.author_id)} in ${contactName(item.conversation.contact)}`),
          h("time", { datetime: note.created_at, title: fullTime(note.created_at) }, shortTime(note.created_at))),
        h("p", { class: "mention-text" }, note.deleted ? "Note deleted" : notePlainText(note.text, nameOf)));
    }));
    more.hidden = !next;
  }

  async function load(cursor = null) {
    const mine = (loading = cursor || "first");
    render();
    try {
      const page = await ctx.api.mentions({ cursor: cursor || undefined });
      if (loading !== mine) return;
      ctx.mergeConversations(page.items.map((item) => item.conversation));
      items = cursor ? items.concat(page.items) : page.items;
      next = page.next_cursor;
    } catch (error) {
      if (error.status !== 401) status.textContent = `Couldn't load your mentions: ${error.message}`;
    } finally {
      if (loading === mine) loading = null;
      render();
    }
  }

  async function markAllRead() {
    try {
      await ctx.api.readMentions({});
      load();
    } catch (error) {
      if (error.status !== 401) toast(error.message, "error");
    }
  }

  return {
    el,
    show: () => load(),
    // A note or my mentions changed: the list reloads (it is short, and the first page
    // is all that is shown until someone asks for more).
    afterEvent(event) {
      if (["note.created", "note.updated", "mentions.updated"].includes(event.type)) load();
    },
    update: render,
  };
}
