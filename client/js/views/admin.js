// Administration: members and roles, connected accounts, the workspace itself (name,
// retention, deletion), quarantined webhooks, the audit log, data exports (views/privacy.js).
// Each tab loads its list when shown; accounts and the workspace are live (account.updated,
// workspace.updated events), accounts with their history import or resync
// (import_job.updated events) and a Resync button.

import { h, replace, toast } from "../dom.js";
import { fullTime } from "../format.js";
import * as S from "../store.js";
import { createLabelsAdmin } from "./labels_admin.js";
import { createDataTab } from "./privacy.js";
import { createWorkspaceSettings } from "./workspace.js";

const TABS = [["members", "Members"], ["accounts", "Accounts"], ["labels", "Labels"], ["workspace", "Workspace"], ["webhooks", "Webhooks"], ["audit", "Audit log"], ["data", "Data"]];
const ROLES = ["agent", "supervisor", "admin"];

// ctx: {api, store}
export function createAdminView(ctx) {
  let tab = "members";
  const nav = h("nav", { class: "tabs", "aria-label": "Administration" });
  const body = h("div", { class: "admin-body" });
  const el = h("section", { class: "page admin", "aria-labelledby": "admin-title" }, h("h1", { id: "admin-title" }, "Administration"), nav, body);
  let accountsVersion = "";
  const workspace = createWorkspaceSettings(ctx);
  const data = createDataTab(ctx, body);
  const labelsAdmin = createLabelsAdmin(ctx);
  const invitationsEl = h("section", { class: "invitations", "aria-labelledby": "invitations-title" });
  let invitationsVersion = "";

  function failure(error, what) {
    if (error.status === 404 || error.status === 405) return h("p", { class: "notice" }, `This server does not offer ${what} yet.`);
    return h("p", { class: "notice error", role: "alert" }, `Couldn't load ${what}: ${error.message}`);
  }

  async function members() {
    replace(body, h("p", {}, "Loading…"));
    const isAdmin = ctx.store.state.me.role === "admin";
    let page;
    try {
      page = await ctx.api.members();
    } catch (error) {
      return replace(body, failure(error, "the member list"));
    }
    const rows = page.items.map((m) => h("tr", {},
      h("td", {}, m.name || "—"), h("td", {}, m.email),
      h("td", {}, isAdmin && m.active ? h("select", { "aria-label": `Role of ${m.email}`, onchange: (e) => change(() => ctx.api.setRole(m.user_id, e.target.value), `Role of ${m.email} changed`) },
        ROLES.map((r) => h("option", { value: r, selected: r === m.role }, r))) : m.role),
      h("td", {}, m.active ? "active" : "deactivated"),
      h("td", {}, isAdmin ? h("button", { type: "button", onclick: () => rename(m) }, "Rename") : null, " ",
        isAdmin && m.active ? h("button", { type: "button", class: "danger", onclick: () => confirm(`Deactivate ${m.email}? Their sessions end now.`) && change(() => ctx.api.deactivate(m.user_id), `${m.email} deactivated`) }, "Deactivate") : "")));
    const table = h("table", { class: "table" }, h("caption", { class: "visually-hidden" }, "Members"),
      h("thead", {}, h("tr", {}, ["Name", "Email", "Role", "State", ""].map((t) => h("th", { scope: "col" }, t)))), h("tbody", {}, rows));
    invitationsVersion = "";
    replace(body, table, isAdmin ? invitationsEl : null, isAdmin ? inviteForm() : null);
    if (isAdmin) loadInvitations();
  }

  async function loadInvitations() {
    try {
      ctx.store.update(S.setInvitations, await ctx.api.invitations());
    } catch (error) {
      replace(invitationsEl, failure(error, "the pending invitations"));
    }
  }

  // Pending invitations, live: invitation.created and invitation.removed keep the list.
  function invitations(state) {
    const items = Object.values(state.invitations).sort((a, b) => b.id - a.id);
    const version = JSON.stringify(items);
    if (version === invitationsVersion) return;
    invitationsVersion = version;
    replace(invitationsEl, h("h2", { id: "invitations-title" }, "Pending invitations"),
      items.length ? h("ul", { class: "plain invitation-list" }, items.map((i) => h("li", { class: "invitation", "data-invitation": i.id },
        h("span", { class: "invitation-email" }, i.email), h("span", { class: "muted" }, `${i.role} · expires ${fullTime(i.expires_at)}`),
        h("button", { type: "button", class: "danger", onclick: () => confirm(`Cancel the invitation of ${i.email}? Its link stops working.`) && change(() => ctx.api.cancelInvitation(i.id), `Invitation of ${i.email} cancelled`, false) }, "Cancel invitation"))))
        : h("p", { class: "muted" }, "No pending invitation."));
  }

  function rename(m) {
    const name = prompt(`Display name of ${m.email}`, m.name || "");
    if (name && name.trim() && name.trim() !== m.name) change(() => ctx.api.renameMember(m.user_id, name.trim()), `${m.email} is now ${name.trim()}`);
  }

  function inviteForm() {
    const result = h("p", { "aria-live": "polite" });
    const form = h("form", { class: "card form", onsubmit: async (e) => {
      e.preventDefault();
      const data = Object.fromEntries(new FormData(form));
      const bodyData = { email: data.email, role: data.role, name: data.name };
      if (data.password) bodyData.password = data.password;
      try {
        const created = await ctx.api.createMember(bodyData);
        // With a password, an email that already has an account on this server gets an
        // invitation all the same: its holder joins with their own password or session.
        const existing = created.invite_url && bodyData.password ? "This email already has an account on this server, so the password you typed was not used: they join with their own. " : "";
        if (created.invite_url) replace(result, existing, "Send this one-time link to them: ", h("code", {}, created.invite_url));
        else { toast(`${data.email} added`); members(); }
      } catch (error) {
        replace(result, h("span", { class: "error" }, error.message));
      }
    } },
    h("h2", {}, "Add a member"),
    h("label", {}, "Email ", h("input", { name: "email", type: "email", required: true, autocomplete: "off" })),
    h("label", {}, "Name ", h("input", { name: "name" })),
    h("label", {}, "Role ", h("select", { name: "role" }, ROLES.map((r) => h("option", { value: r }, r)))),
    h("label", {}, "Password for a new account (leave empty to get an invitation link) ", h("input", { name: "password", type: "password", autocomplete: "new-password" })),
    h("button", { type: "submit", class: "primary" }, "Add"), result);
    return form;
  }

  async function change(call, done, reload = true) {
    try {
      await call();
      toast(done);
      if (tab === "members" && reload) members();
    } catch (error) {
      toast(error.message, "error");
    }
  }

  function accounts(state) {
    const isAdmin = state.me.role === "admin";
    const list = state.snapshot.accounts;
    const jobs = state.snapshot.import_jobs || [];
    const version = JSON.stringify([list, jobs, isAdmin]);
    if (version === accountsVersion) return;
    accountsVersion = version;
    const label = { connected: "Connected", reconnect_required: "Reconnect required", disconnected: "Disconnected" };
    const rows = list.map((a) => h("li", { class: `card account account-${a.status}` },
      h("strong", {}, `@${a.username}`), a.name ? ` ${a.name}` : "", " ",
      h("span", { class: `tag tag-${a.status}` }, label[a.status] || a.status),
      a.status_reason ? h("p", { class: "muted" }, a.status_reason) : null,
      importStatus(jobs.find((j) => j.account_id === a.id)),
      isAdmin ? h("div", { class: "actions" },
        a.status !== "connected" ? h("button", { type: "button", class: "primary", onclick: () => connect() }, "Reconnect") : null,
        a.status === "connected" ? h("button", { type: "button", "data-resync": a.id, onclick: () => change(() => ctx.api.request("POST", `/api/v1/accounts/${a.id}/resync`), `Resync of @${a.username} queued`) }, "Resync") : null,
        a.status !== "disconnected" ? h("button", { type: "button", class: "danger", onclick: () => confirm(`Disconnect @${a.username}? Nothing can be sent from it afterwards.`) && change(() => ctx.api.disconnect(a.id, false), `@${a.username} disconnected`) }, "Disconnect") : null,
        h("button", { type: "button", class: "danger", onclick: () => confirm(`Disconnect @${a.username} and permanently delete its conversations, contacts and messages? This cannot be undone.`) && change(() => ctx.api.disconnect(a.id, true), `@${a.username} disconnected; its conversations are being deleted`) }, "Disconnect and delete its conversations")) : null));
    replace(body,
      list.length ? h("ul", { class: "plain accounts" }, rows) : h("p", {}, "No Instagram account is connected yet."),
      isAdmin ? h("button", { type: "button", class: "primary", onclick: () => connect() }, "Connect an Instagram account") : null,
      isAdmin ? h("button", { type: "button", onclick: () => pasteToken() }, "Paste a long-lived token") : null);
  }

  // The account's latest import (on connect) or resync, as it moves on.
  function importStatus(job) {
    if (!job) return null;
    const what = job.trigger === "connect" ? "History import" : "Resync";
    const counts = `${job.conversations_done} conversation${job.conversations_done === 1 ? "" : "s"}, ${job.messages_imported} new message${job.messages_imported === 1 ? "" : "s"}`;
    const text = {
      queued: job.reason ? `${what} waiting: ${job.reason}` : `${what} queued`,
      running: `${what} running: ${counts} so far`,
      done: `${what} done ${fullTime(job.finished_at)}: ${counts}`,
      failed: `${what} failed: ${job.reason} (${counts} before it stopped)`,
    }[job.state];
    return h("p", { class: `import-status import-${job.state}`, "data-import-state": job.state, "aria-live": "polite" }, text);
  }

  // For setups where the OAuth redirect cannot reach this server: an admin pastes a token
  // generated in the App Dashboard; the server identifies the account with it.
  async function pasteToken() {
    const token = prompt("Long-lived Instagram access token");
    if (!token) return;
    await change(() => ctx.api.request("POST", "/api/v1/accounts/token", { token: token.trim() }), "Account connected");
  }

  // Instagram Login: the server answers with Meta's authorisation URL; the browser goes there
  // and comes back to the server's callback.
  async function connect() {
    try {
      const answer = await ctx.api.request("POST", "/api/v1/accounts/connect");
      const target = answer?.authorize_url || answer?.url;
      if (target) location.assign(target);
    } catch (error) {
      toast(error.status === 404 ? "Connecting accounts from the browser is not available on this server yet: use `wazify instagram` on the server." : error.message, "error");
    }
  }

  async function webhooks() {
    replace(body, h("p", {}, "Loading…"));
    let page;
    try {
      page = await ctx.api.request("GET", "/api/v1/webhooks/receipts?state=quarantined");
    } catch (error) {
      return replace(body, failure(error, "quarantined webhooks"));
    }
    const items = page.items || [];
    replace(body, h("p", { class: "hint" }, "Deliveries that could not be processed are kept here with the reason; replay one after a fix."),
      items.length ? h("ul", { class: "plain" }, items.map((r) => h("li", { class: "card" },
        h("strong", {}, `#${r.id}`), " ", h("time", {}, fullTime(r.received_at || r.created_at)), h("p", {}, r.reason || ""),
        h("button", { type: "button", onclick: () => change(() => ctx.api.request("POST", `/api/v1/webhooks/receipts/${r.id}/replay`), `Receipt ${r.id} queued again`).then(webhooks) }, "Replay")))) : h("p", {}, "No quarantined webhook. All deliveries were processed."));
  }

  async function audit(cursor, table) {
    if (!table) replace(body, h("p", {}, "Loading…"));
    let page;
    try {
      page = await ctx.api.audit({ cursor, limit: 50 });
    } catch (error) {
      return replace(body, failure(error, "the audit log"));
    }
    const tbody = table ? table.tBodies[0] : h("tbody");
    for (const e of page.items) {
      tbody.append(h("tr", {}, h("td", {}, fullTime(e.created_at)), h("td", {}, e.actor_label), h("td", {}, h("code", {}, e.action)),
        h("td", {}, `${e.target_type} ${e.target_id}`), h("td", { class: "muted" }, e.after ? JSON.stringify(e.after) : "")));
    }
    if (!table) {
      table = h("table", { class: "table" }, h("thead", {}, h("tr", {}, ["When", "Who", "Action", "Target", "Details"].map((t) => h("th", { scope: "col" }, t)))), tbody);
      replace(body, table);
    }
    body.querySelector(".more")?.remove();
    if (page.next_cursor) body.append(h("button", { type: "button", class: "more", onclick: () => audit(page.next_cursor, table) }, "Older entries"));
  }

  function show(name) {
    tab = TABS.some(([t]) => t === name) ? name : "members";
    accountsVersion = "";
    replace(nav, TABS.map(([t, label]) => h("a", { href: `#/admin/${t}`, "aria-current": t === tab ? "page" : null }, label)));
    if (tab === "members") members();
    else if (tab === "workspace") {
      workspace.reset();
      replace(body, workspace.el);
      workspace.update(ctx.store.state);
    } else if (tab === "webhooks") webhooks();
    else if (tab === "audit") audit();
    else if (tab === "data") data.show();
    else if (tab === "labels") {
      labelsAdmin.reset();
      replace(body, labelsAdmin.el);
      labelsAdmin.update(ctx.store.state);
    } else accounts(ctx.store.state);
  }

  return {
    el,
    show,
    update(state) {
      if (tab === "members" && state.me?.role === "admin") invitations(state);
      if (tab === "accounts" && state.snapshot) accounts(state);
      if (tab === "workspace" && state.snapshot) workspace.update(state);
      if (tab === "data" && state.snapshot) data.update(state);
      if (tab === "labels" && state.snapshot) labelsAdmin.update(state);
    },
  };
}
