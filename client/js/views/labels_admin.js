// Administration › Labels: admins create, rename, recolour and delete labels (live: the
// snapshot's labels); supervisors see them. Deleting one removes it from every
// conversation.

import { h, replace, toast } from "../dom.js";
import { sortedLabels } from "../store.js";
import { LABEL_COLORS, labelChip } from "./labels.js";

function colorSelect(value, label, onchange = null) {
  return h("select", { name: "color", "aria-label": label, onchange },
    LABEL_COLORS.map((c) => h("option", { value: c, selected: c === value }, c)));
}

// ctx: {api, store}
export function createLabelsAdmin(ctx) {
  const body = h("div", { class: "labels-admin" });
  let version = "";

  async function change(call, done) {
    try {
      await call();
      if (done) toast(done);
    } catch (error) {
      toast(error.message, "error");
    }
  }

  function row(label, isAdmin) {
    if (!isAdmin) return h("li", { class: "label-row" }, labelChip(label));
    const name = h("input", { value: label.name, "aria-label": `Name of ${label.name}`, maxlength: 40 });
    return h("li", { class: "label-row" }, labelChip(label),
      h("form", { class: "inline", onsubmit: (e) => { e.preventDefault(); change(() => ctx.api.updateLabel(label.id, { name: name.value }), "Renamed"); } },
        name, h("button", { type: "submit" }, "Rename")),
      colorSelect(label.color, `Colour of ${label.name}`, (e) => change(() => ctx.api.updateLabel(label.id, { color: e.target.value }))),
      h("button", { type: "button", class: "danger", onclick: () => confirm(`Delete the label ${label.name}? It is removed from every conversation.`) && change(() => ctx.api.deleteLabel(label.id), `${label.name} deleted`) }, "Delete"));
  }

  function createForm() {
    const name = h("input", { name: "name", required: true, maxlength: 40, autocomplete: "off" });
    const color = colorSelect("blue", "Colour");
    const form = h("form", { class: "card form", onsubmit: async (e) => {
      e.preventDefault();
      await change(() => ctx.api.createLabel({ name: name.value, color: color.value }), `Label ${name.value} created`);
      form.reset();
    } }, h("h2", {}, "New label"), h("label", {}, "Name ", name), h("label", {}, "Colour ", color),
    h("button", { type: "submit", class: "primary" }, "Create label"));
    return form;
  }

  return {
    el: body,
    update(state) {
      const isAdmin = state.me.role === "admin";
      const labels = sortedLabels(state);
      const next = JSON.stringify([labels, isAdmin]);
      if (next === version) return;
      version = next;
      replace(body,
        h("p", { class: "hint" }, isAdmin ? "Anyone applies labels to conversations; admins manage them here." : "Only admins manage labels."),
        labels.length ? h("ul", { class: "plain" }, labels.map((l) => row(l, isAdmin))) : h("p", {}, "No labels yet."),
        isAdmin ? createForm() : null);
    },
    reset() {
      version = "";
    },
  };
}
