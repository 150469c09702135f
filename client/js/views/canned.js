// "Canned responses": the shared ones (admins and supervisors manage them) and my own, with
// how often each was used; live (canned_response.* events). Typed "/" in the composer
// picks one; placeholders are filled in there.

import { PLACEHOLDERS } from "../composing.js";
import { h, replace, toast } from "../dom.js";

// ctx: {api, store}
export function createCannedView(ctx) {
  const table = h("tbody");
  const formTitle = h("h2", {}, "New canned response");
  const shortcut = h("input", { name: "shortcut", required: true, maxlength: 40, pattern: "[A-Za-z0-9][A-Za-z0-9_\\-]*", autocomplete: "off", "aria-describedby": "shortcut-hint" });
  const text = h("textarea", { name: "text", required: true, rows: 4 });
  const shared = h("input", { type: "checkbox", name: "shared" });
  const sharedLabel = h("label", { class: "check" }, shared, " Shared with the team");
  const result = h("p", { "aria-live": "polite" });
  const save = h("button", { type: "submit", class: "primary" }, "Create");
  const cancel = h("button", { type: "button", hidden: true, onclick: () => edit(null) }, "Cancel");
  const form = h("form", { class: "card form canned-form", onsubmit: submit },
    formTitle,
    h("label", {}, "Shortcut (typed after /) ", shortcut),
    h("span", { id: "shortcut-hint", class: "hint" }, "Letters, digits, - and _; for example thanks or shipping-times."),
    h("label", {}, "Text ", text),
    h("p", { class: "hint" }, "Placeholders: ", PLACEHOLDERS.map(([name, what], i) => [i ? ", " : "", h("code", {}, `{{${name}}}`), ` ${what}`])),
    sharedLabel, h("div", { class: "actions" }, save, cancel), result);
  const el = h("section", { class: "page canned", "aria-labelledby": "canned-title" },
    h("h1", { id: "canned-title" }, "Canned responses"),
    h("p", { class: "hint" }, "Type / in a reply to insert one. Shared ones are for everyone; personal ones are yours alone."),
    h("table", { class: "table" }, h("caption", { class: "visually-hidden" }, "Canned responses"),
      h("thead", {}, h("tr", {}, ["Shortcut", "Text", "For", "Used", ""].map((t) => h("th", { scope: "col" }, t)))), table),
    form);
  let editing = null;
  let version = "";

  function staff() {
    return ["admin", "supervisor"].includes(ctx.store.state.me.role);
  }

  function mayManage(item) {
    return item.owner_id != null || staff();
  }

  function edit(item) {
    editing = item;
    formTitle.textContent = item ? `Edit /${item.shortcut}` : "New canned response";
    shortcut.value = item?.shortcut || "";
    text.value = item?.text || "";
    shared.checked = item ? item.owner_id == null : false;
    sharedLabel.hidden = item != null || !staff(); // a response's scope is fixed
    save.textContent = item ? "Save" : "Create";
    cancel.hidden = !item;
    result.textContent = "";
    if (item) shortcut.focus();
  }

  async function submit(event) {
    event.preventDefault();
    const body = { shortcut: shortcut.value.trim(), text: text.value };
    try {
      if (editing) await ctx.api.updateCanned(editing.id, body);
      else await ctx.api.createCanned({ ...body, shared: shared.checked });
      toast(editing ? "Saved" : `/${body.shortcut} created`);
      edit(null);
    } catch (error) {
      replace(result, h("span", { class: "error" }, error.message));
    }
  }

  async function remove(item) {
    if (!confirm(`Delete /${item.shortcut}?`)) return;
    try {
      await ctx.api.deleteCanned(item.id);
      toast(`/${item.shortcut} deleted`);
    } catch (error) {
      toast(error.message, "error");
    }
  }

  return {
    el,
    show() {
      version = "";
      edit(null);
    },
    update(state) {
      const items = [...(state.snapshot.canned_responses || [])].sort((a, b) => a.shortcut.localeCompare(b.shortcut));
      const next = JSON.stringify([items, state.me.role]);
      if (next === version) return;
      version = next;
      replace(table, items.length ? items.map((item) => h("tr", { "data-canned": item.id },
        h("td", {}, h("code", {}, `/${item.shortcut}`)),
        h("td", { class: "canned-text" }, item.text),
        h("td", {}, item.owner_id == null ? "Team" : "Me"),
        h("td", {}, String(item.usage_count)),
        h("td", {}, mayManage(item) ? [
          h("button", { type: "button", class: "link", onclick: () => edit(item) }, "Edit"),
          h("button", { type: "button", class: "link danger", onclick: () => remove(item) }, "Delete")] : ""))) : h("tr", {}, h("td", { colspan: 5, class: "muted" }, "No canned responses yet.")));
      if (!editing) sharedLabel.hidden = !staff();
    },
  };
}
