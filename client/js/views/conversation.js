// The open conversation: header with the team's actions, the history (older pages load as
// the agent scrolls up), who is typing or viewing, the composer, and beside them the
// contact panel (contact_panel.js).

import { h, reconcile, replace } from "../dom.js";
import { contactName } from "../format.js";
import { member, typingNames } from "../store.js";
import { timeline } from "../thread.js";
import { avatar, presenceDot } from "./avatar.js";
import { createComposer } from "./composer.js";
import { createContactPanel } from "./contact_panel.js";
import { labelEditor } from "./labels.js";
import { renderMessage } from "./message.js";
import { contactExportButton } from "./privacy.js";
import { renderNote } from "./note.js";

// A customer's message reopened the resolved conversation: said in the thread, for all.
function reopenedLine(change, customer) {
  return h("li", { class: "system-line", "data-status-change": change.id, role: "note" }, `Reopened by a new message from ${customer}`);
}

const SNOOZES = [
  ["1 hour", () => new Date(Date.now() + 3600e3)],
  ["4 hours", () => new Date(Date.now() + 4 * 3600e3)],
  ["Tomorrow 9:00", () => { const d = new Date(); d.setDate(d.getDate() + 1); d.setHours(9, 0, 0, 0); return d; }],
  ["Next week", () => { const d = new Date(); d.setDate(d.getDate() + 7); d.setHours(9, 0, 0, 0); return d; }],
];

// ctx: {store, actions, me()}; actions: claim, assign, unassign, setStatus, send, retry,
// react, loadOlder, markRead, typing, back
export function createConversationView(ctx) {
  let id = null;
  let headerVersion = "";
  const header = h("header", { class: "conv-header" });
  const older = h("div", { class: "older", "aria-live": "polite" });
  const list = h("ol", { class: "messages", "aria-label": "Messages" });
  const scroller = h("div", { class: "scroller", tabindex: "0", role: "log", "aria-label": "Conversation history", onscroll: onScroll }, older, list);
  const activity = h("p", { class: "activity", "aria-live": "polite" });
  const composer = createComposer({
    me: ctx.me(),
    state: () => ctx.store.state,
    send: (cid, text, cannedId, guard) => ctx.actions.send(cid, text, cannedId, guard),
    nameOf: (uid) => member(ctx.store.state, uid)?.name || null,
    sendNote: (cid, text) => ctx.actions.sendNote(cid, text),
    sendFile: (cid, file) => ctx.actions.sendFile(cid, file),
    typing: (cid) => ctx.actions.typing(cid),
  });
  const thread = h("section", { class: "conversation", "aria-label": "Conversation" }, header, scroller, activity, composer.el);
  const contactPanel = createContactPanel(ctx);
  const el = h("div", { class: "conversation-layout" }, thread, contactPanel.el);
  let loadingOlder = false;
  let pinned = true; // following the newest message (the agent has not scrolled up)
  // Pictures load after the layout: keep the newest message in view while pinned.
  scroller.addEventListener("load", () => pinned && (scroller.scrollTop = scroller.scrollHeight), true);

  function onScroll() {
    pinned = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 60;
    const history = ctx.store.state.histories[id];
    if (scroller.scrollTop < 200 && history?.older && !loadingOlder) {
      loadingOlder = true;
      older.textContent = "Loading earlier messages…";
      ctx.actions.loadOlder(id).finally(() => {
        loadingOlder = false;
      });
    }
  }

  function renderHeader(state, conversation) {
    const me = state.me;
    const staff = me.role === "admin" || me.role === "supervisor";
    const assignee = conversation.assignee_id ? member(state, conversation.assignee_id) : null;
    const account = state.snapshot.accounts.find((a) => a.id === conversation.account_id);
    const viewers = (state.viewing[conversation.id] || []).filter((uid) => uid !== me.user.id);
    const version = JSON.stringify([conversation.status, conversation.snoozed_until, conversation.assignee_id, conversation.contact, viewers, assignee?.presence, account?.username, me.role, state.snapshot.team.length, conversation.labels, state.snapshot.labels]);
    if (version === headerVersion) return;
    headerVersion = version;
    const name = contactName(conversation.contact);
    const actions = h("div", { class: "actions", role: "toolbar", "aria-label": "Conversation actions" });
    if (conversation.assignee_id !== me.user.id && (conversation.assignee_id == null || staff)) {
      actions.append(h("button", { type: "button", onclick: () => ctx.actions.assignToMe(conversation), "aria-keyshortcuts": "a", title: "Assign to me (A)" }, "Assign to me"));
    }
    if (conversation.assignee_id != null && (conversation.assignee_id === me.user.id || staff)) {
      actions.append(h("button", { type: "button", onclick: () => ctx.actions.unassign(conversation.id) }, "Unassign"));
    }
    if (staff) {
      const select = h("select", { "aria-label": "Assign to", onchange: (e) => e.target.value && ctx.actions.assign(conversation.id, Number(e.target.value)) },
        h("option", { value: "" }, assignee ? `Assigned: ${assignee.name}` : "Assign to…"),
        state.snapshot.team.filter((m) => m.active && m.user_id !== conversation.assignee_id).map((m) => h("option", { value: m.user_id }, `${m.name} (${m.presence || "offline"})`)));
      actions.append(select);
    }
    if (conversation.status === "resolved") {
      actions.append(h("button", { type: "button", onclick: () => ctx.actions.setStatus(conversation.id, "open") }, "Reopen"));
    } else {
      if (conversation.status === "pending") actions.append(h("button", { type: "button", onclick: () => ctx.actions.setStatus(conversation.id, "open") }, "Reopen"));
      else {
        actions.append(h("select", { "aria-label": "Snooze", onchange: (e) => { const pick = SNOOZES[Number(e.target.value)]; if (pick) ctx.actions.setStatus(conversation.id, "pending", pick[1]().toISOString()); } },
          h("option", { value: "" }, "Snooze…"), SNOOZES.map(([label], i) => h("option", { value: i }, label))));
      }
      actions.append(h("button", { type: "button", class: "primary", onclick: () => ctx.actions.setStatus(conversation.id, "resolved"), "aria-keyshortcuts": "e", title: "Resolve (E)" }, "Resolve"));
    }
    if (me.role === "admin") {
      actions.append(contactExportButton(ctx, conversation.contact));
      actions.append(h("button", { type: "button", class: "danger", onclick: () => ctx.actions.eraseContact(conversation.contact, name) }, "Erase contact"));
    }
    const status = conversation.status === "pending" && conversation.snoozed_until
      ? `Snoozed until ${new Date(conversation.snoozed_until).toLocaleString()}`
      : conversation.status === "resolved" ? "Resolved" : "Open";
    replace(header,
      h("button", { type: "button", class: "back", onclick: ctx.actions.back, "aria-label": "Back to the inbox" }, "←"),
      avatar(name, conversation.contact.picture_url, "lg"),
      h("div", { class: "who" },
        h("h2", {}, name),
        h("p", { class: "sub" },
          conversation.contact.username ? `@${conversation.contact.username}` : "", account ? ` · to @${account.username}` : "", " · ", status,
          " · ", assignee ? [presenceDot(assignee.presence), ` ${assignee.name}`] : "Unassigned"),
        viewers.length ? h("p", { class: "viewers" }, `${names(state, viewers)} ${viewers.length > 1 ? "are" : "is"} viewing`) : null,
        labelEditor(state, conversation, ctx.actions)),
      actions);
  }

  function names(state, ids) {
    return ids.map((uid) => member(state, uid)?.name || "Someone").join(", ");
  }

  function messageCtx(state, messages) {
    const byMid = new Map(messages.filter((m) => m.mid).map((m) => [m.mid, m]));
    return {
      byMid: (mid) => byMid.get(mid) || null,
      authorName: (uid) => member(state, uid)?.name || "A teammate",
      onRetry: (m) => ctx.actions.retry(m),
      onReact: (m, emoji) => ctx.actions.react(m, emoji),
      canReact: () => true,
      myReaction: (m) => (m.reactions || []).some((r) => r.reactor_kind === "user"),
    };
  }

  function renderMessages(state) {
    const history = state.histories[id];
    if (!history) {
      older.textContent = "Loading…";
      return;
    }
    const atBottom = pinned;
    const firstBefore = list.firstElementChild?.dataset.key;
    const heightBefore = scroller.scrollHeight;
    const topBefore = scroller.scrollTop;
    const mctx = messageCtx(state, history.messages);
    const nctx = {
      meId: state.me.user.id, memberName: (uid) => member(ctx.store.state, uid)?.name || null, team: () => ctx.store.state.snapshot.team,
      onDelete: (n) => ctx.actions.deleteNote(n), onEdit: (n, text) => ctx.actions.editNote(n, text),
    };
    const noteNames = (note) => note.mentions.concat([note.author_id]).map((uid) => nctx.memberName(uid));
    const customer = contactName(state.known[id]?.contact || {});
    reconcile(list, timeline(state, id), (t) => (t.kind === "message" ? t.id : `${t.kind}-${t.id}`),
      (t) => (t.kind === "note" ? JSON.stringify([t.item, noteNames(t.item)]) : t.kind === "status" ? JSON.stringify([t.item, customer]) : JSON.stringify(t.item) + (t.item.reply_to_mid && mctx.byMid(t.item.reply_to_mid) ? "q" : "")),
      (t) => (t.kind === "note" ? renderNote(t.item, nctx) : t.kind === "status" ? reopenedLine(t.item, customer) : renderMessage(t.item, mctx)));
    older.textContent = history.older ? "" : history.messages.length ? "The beginning of the conversation" : "No messages yet";
    const firstAfter = list.firstElementChild?.dataset.key;
    if (firstBefore && firstAfter !== firstBefore && !atBottom) {
      scroller.scrollTop = topBefore + (scroller.scrollHeight - heightBefore); // older page prepended: stay put
    } else if (atBottom || !firstBefore) {
      scroller.scrollTop = scroller.scrollHeight;
    }
  }

  function renderActivity(state) {
    const typing = typingNames(state, id).filter((n) => n !== state.me.user.name);
    activity.textContent = typing.length ? `${typing.join(", ")} ${typing.length > 1 ? "are" : "is"} typing…` : "";
  }

  return {
    el,
    composer,
    get id() {
      return id;
    },
    open(conversationId) {
      if (id !== conversationId) {
        id = conversationId;
        headerVersion = "";
        list.replaceChildren();
        scroller.scrollTop = 0;
        pinned = true;
        contactPanel.open(conversationId);
      }
    },
    update(state) {
      const conversation = state.known[id];
      if (!conversation) {
        replace(header, h("h2", {}, "Loading…"));
        return;
      }
      renderHeader(state, conversation);
      renderMessages(state);
      renderActivity(state);
      contactPanel.update();
      composer.show(conversation, state.snapshot.accounts.find((a) => a.id === conversation.account_id));
      // The history is short and the top is visible: fetch more without waiting for a scroll.
      if (scroller.scrollHeight <= scroller.clientHeight + 200) onScroll();
    },
    destroy() {
      composer.destroy();
    },
  };
}
