// The workspace tab of the administration: its name, how long messages are kept, and its
// deletion (typed confirmation, a grace period, cancellable until then). Rendered from the
// snapshot's `workspace`, which workspace.updated keeps current for every member.

import { h, replace, toast } from "../dom.js";
import { fullTime } from "../format.js";

// ctx: {api}
export function createWorkspaceSettings(ctx) {
  const el = h("div", { class: "workspace-settings" });
  let version = "";

  async function save(call, done) {
    try {
      await call();
      toast(done);
    } catch (error) {
      toast(error.message, "error");
    }
  }

  function nameForm(ws, isAdmin) {
    const input = h("input", { name: "name", value: ws.name, required: true, maxlength: 200, disabled: !isAdmin });
    return h("form", { class: "card form", "aria-labelledby": "ws-name-title", onsubmit: (e) => {
      e.preventDefault();
      save(() => ctx.api.updateWorkspace({ name: input.value }), "Workspace renamed");
    } },
    h("h2", { id: "ws-name-title" }, "Name"),
    h("label", {}, "Workspace name ", input),
    h("p", { class: "muted" }, `Sign-in name (slug): ${ws.slug}`),
    isAdmin ? h("button", { type: "submit", class: "primary" }, "Save name") : null);
  }

  function retentionForm(ws, isAdmin) {
    const days = h("input", { name: "days", type: "number", min: 1, max: 36500, value: ws.message_retention_days ?? "", placeholder: "days", disabled: !isAdmin, "aria-label": "Days to keep messages" });
    return h("form", { class: "card form", "aria-labelledby": "ws-retention-title", onsubmit: (e) => {
      e.preventDefault();
      const value = days.value.trim() === "" ? null : Number(days.value);
      save(() => ctx.api.updateWorkspace({ message_retention_days: value }), value == null ? "Messages are kept while the workspace exists" : `Messages older than ${value} days will be deleted`);
    } },
    h("h2", { id: "ws-retention-title" }, "Message retention"),
    h("p", {}, ws.message_retention_days == null ? "Messages are kept while the workspace exists." : `Messages older than ${ws.message_retention_days} days are deleted automatically.`),
    h("label", {}, "Delete messages older than (empty: keep them) ", days),
    isAdmin ? h("button", { type: "submit" }, "Save retention") : null);
  }

  function deletionCard(ws, isAdmin) {
    if (ws.deletion_due_at) {
      return h("section", { class: "card danger-zone", "aria-labelledby": "ws-delete-title" },
        h("h2", { id: "ws-delete-title" }, "Deletion scheduled"),
        h("p", {}, `Requested ${fullTime(ws.deletion_requested_at)}. Everything in this workspace will be permanently deleted on ${fullTime(ws.deletion_due_at)}.`),
        isAdmin ? h("button", { type: "button", class: "primary", onclick: () => save(() => ctx.api.cancelDeletion(), "Deletion cancelled") }, "Cancel the deletion") : null);
    }
    if (!isAdmin) return null;
    const confirmInput = h("input", { name: "confirm", autocomplete: "off", "aria-describedby": "ws-delete-help" });
    const button = h("button", { type: "submit", class: "danger", disabled: true }, "Delete this workspace");
    confirmInput.addEventListener("input", () => (button.disabled = confirmInput.value.trim() !== ws.slug));
    return h("form", { class: "card form danger-zone", "aria-labelledby": "ws-delete-title", onsubmit: (e) => {
      e.preventDefault();
      save(() => ctx.api.requestDeletion(confirmInput.value.trim()), "Deletion scheduled");
    } },
    h("h2", { id: "ws-delete-title" }, "Delete this workspace"),
    h("p", { id: "ws-delete-help" }, "Every conversation, message, contact, member and connected account of this workspace will be permanently deleted after a grace period (7 days unless the server says otherwise), during which an admin can cancel. Type the sign-in name ", h("code", {}, ws.slug), " to confirm."),
    h("label", {}, "Sign-in name ", confirmInput), button);
  }

  return {
    el,
    update(state) {
      const ws = state.snapshot?.workspace;
      if (!ws) return;
      const isAdmin = state.me.role === "admin";
      const next = JSON.stringify([ws, isAdmin]);
      if (next === version) return;
      version = next;
      replace(el, nameForm(ws, isAdmin), retentionForm(ws, isAdmin), deletionCard(ws, isAdmin));
    },
    reset() {
      version = "";
    },
  };
}
