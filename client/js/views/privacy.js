// Data (Admin › Data): an admin exports the workspace, or one contact (from the contact's
// conversation), follows each export's progress live (export.updated) and downloads it
// through a link that expires (docs/export.md). Supervisors see why they cannot.

import { h, replace, toast } from "../dom.js";
import { byteSize, contactName, fullTime } from "../format.js";
import * as S from "../store.js";

const STATUS = { queued: "Waiting to start", running: "Exporting", done: "Ready", failed: "Failed", expired: "Link expired" };

// ctx: {api, store}; body: the element the admin view shows its tab in.
export function createDataTab(ctx, body) {
  let version = "";
  const asked = new Set(); // done jobs whose link was asked for

  async function show() {
    version = "";
    if (ctx.store.state.me.role !== "admin") {
      replace(body, h("p", { class: "notice" }, "Only admins can export the workspace's data (the privacy policy has admins run the privacy features)."));
      return;
    }
    replace(body, h("p", {}, "Loading…"));
    try {
      const page = await ctx.api.exports();
      ctx.store.update(S.mergeExports, page.items);
    } catch (error) {
      replace(body, h("p", { class: "notice error", role: "alert" }, `Couldn't load the exports: ${error.message}`));
      return;
    }
    update(ctx.store.state);
  }

  function update(state) {
    if (state.me.role !== "admin") return;
    const jobs = Object.values(state.exports).sort((a, b) => b.id - a.id);
    const next = JSON.stringify(jobs);
    if (next === version) return;
    version = next;
    for (const job of jobs) if (job.status === "done" && !job.download_path && !asked.has(job.id)) fetchLink(job.id);
    replace(body,
      h("p", { class: "hint" }, "An export is a zip of JSON Lines files with a manifest: every conversation, message, contact and setting of this workspace (never a password or an access token). Its download link works for a limited time, then the file is deleted. To export one person's data, open their conversation and choose “Export contact data”."),
      h("button", { type: "button", class: "primary", onclick: requestWorkspace }, "Export the workspace"),
      jobs.length ? h("ul", { class: "plain exports", "aria-label": "Exports" }, jobs.map((job) => item(state, job))) : h("p", {}, "No export yet."));
  }

  function item(state, job) {
    const what = job.kind === "workspace" ? "Whole workspace" : `Contact: ${contactLabel(state, job.contact_id)}`;
    const active = job.status === "queued" || job.status === "running";
    const percent = job.rows_total ? Math.floor((100 * job.rows_done) / job.rows_total) : 0;
    return h("li", { class: `card export export-${job.status}`, dataset: { exportId: job.id } },
      h("strong", {}, what), " ", h("span", { class: `tag tag-export-${job.status}` }, STATUS[job.status] || job.status),
      h("p", { class: "muted" }, `#${job.id} · requested by ${job.requested_label || "someone"} · ${fullTime(job.created_at)}`),
      active ? h("p", {}, h("progress", { max: job.rows_total || 1, value: job.rows_done, "aria-label": `Progress of export ${job.id}` }), ` ${job.rows_done} of ${job.rows_total || "?"} rows (${percent} %)`) : null,
      job.status_reason ? h("p", { class: job.status === "failed" ? "error" : "muted" }, job.status_reason) : null,
      job.status === "done" ? h("p", {},
        job.download_path ? h("a", { class: "download", href: job.download_path, download: "" }, `Download (${byteSize(job.file_size)})`) : "Preparing the link…",
        job.expires_at ? h("span", { class: "muted" }, ` · the link expires ${fullTime(job.expires_at)}`) : null) : null);
  }

  function contactLabel(state, contactId) {
    const conversation = Object.values(state.known).find((c) => c.contact.id === contactId);
    return conversation ? contactName(conversation.contact) : `#${contactId}`;
  }

  async function fetchLink(id) {
    asked.add(id);
    try {
      ctx.store.update(S.mergeExports, [await ctx.api.exportJob(id)]);
    } catch (error) {
      asked.delete(id);
      if (error.status !== 401) toast(`Couldn't get the download link: ${error.message}`, "error");
    }
  }

  async function requestWorkspace() {
    try {
      const job = await ctx.api.requestExport({});
      ctx.store.update(S.mergeExports, [job]);
      toast("Export requested: it shows its progress below.");
    } catch (error) {
      toast(error.message, "error");
    }
  }

  return { show, update };
}

// The conversation header's button (admins): export everything about this contact, then
// follow it in Admin › Data.
export function contactExportButton(ctx, contact) {
  return h("button", { type: "button", onclick: async () => {
    try {
      const job = await ctx.api.requestExport({ contact_id: contact.id });
      ctx.store.update(S.mergeExports, [job]);
      toast(`Exporting ${contactName(contact)}'s data: follow it in Admin › Data.`);
      location.hash = "#/admin/data";
    } catch (error) {
      toast(error.message, "error");
    }
  } }, "Export contact data");
}
