// Supervisors' view of the team: who is online, what each member holds, and reassigning
// from there (the same actions as the conversation header).

import { h, replace } from "../dom.js";
import { createAssignmentPanel } from "./assignment.js";
import { contactName, shortTime } from "../format.js";
import { presenceDot } from "./avatar.js";
import { labelChips } from "./labels.js";

const OPEN = new Set(["open", "pending"]);

// ctx: {api, actions: {assign, unassign}}
export function createTeamView(ctx) {
  const body = h("div", { class: "team-grid" });
  const assignment = createAssignmentPanel(ctx);
  const el = h("section", { class: "page team", "aria-labelledby": "team-title" },
    h("h1", { id: "team-title" }, "Team"),
    h("p", { class: "hint" }, "Presence is live. Open and snoozed conversations per member; reassign from here."),
    assignment.el, body);
  let version = "";

  function conversationRow(state, c, staff) {
    const select = staff ? h("select", { "aria-label": `Reassign ${contactName(c.contact)}`, onchange: (e) => {
      const value = e.target.value;
      if (value === "none") ctx.actions.unassign(c.id);
      else if (value) ctx.actions.assign(c.id, Number(value));
    } }, h("option", { value: "" }, "Reassign…"),
    c.assignee_id ? h("option", { value: "none" }, "Unassigned") : null,
    state.snapshot.team.filter((m) => m.active && m.user_id !== c.assignee_id).map((m) => h("option", { value: m.user_id }, m.name))) : null;
    return h("li", {}, h("a", { href: `#/c/${c.id}` }, contactName(c.contact)), " ",
      h("span", { class: "muted" }, `${c.status === "pending" ? "snoozed · " : ""}${shortTime(c.last_activity_at)}${c.unread_count ? ` · ${c.unread_count} unread` : ""}`), " ",
      labelChips(state, c.labels), " ", select);
  }

  function card(state, title, who, conversations, staff) {
    return h("article", { class: "card member-card", "aria-label": title },
      h("header", {}, who ? presenceDot(who.presence) : null, h("h2", {}, title),
        who ? h("span", { class: "muted" }, ` ${who.role}${who.active ? "" : " · deactivated"}`) : null,
        h("span", { class: "count", "aria-label": `${conversations.length} open conversations` }, String(conversations.length))),
      conversations.length ? h("ul", { class: "plain" }, conversations.map((c) => conversationRow(state, c, staff))) : h("p", { class: "muted" }, "No open conversations."));
  }

  return {
    el,
    update(state) {
      if (!state.snapshot) return;
      const open = Object.values(state.known).filter((c) => OPEN.has(c.status));
      const next = JSON.stringify([open, state.snapshot.team, state.me.role, state.snapshot.labels]);
      if (next === version) return;
      assignment.update(state);
      version = next;
      const staff = state.me.role !== "agent";
      const cards = state.snapshot.team.filter((m) => m.active).map((m) =>
        card(state, m.name, m, open.filter((c) => c.assignee_id === m.user_id), staff));
      cards.push(card(state, "Unassigned", null, open.filter((c) => c.assignee_id == null), staff));
      replace(body, cards);
    },
  };
}
