// Label chips (colour from the fixed palette, as classes: the page's policy allows no
// inline style), and the conversation header's control to apply and remove labels.

import { h } from "../dom.js";
import { label as labelOf, sortedLabels } from "../store.js";

export const LABEL_COLORS = ["gray", "red", "orange", "yellow", "green", "teal", "blue", "indigo", "violet", "pink"];

export function labelChip(label, onRemove = null) {
  return h("span", { class: `label-chip label-${label.color}`, "data-label": label.id },
    label.name,
    onRemove ? h("button", { type: "button", class: "chip-remove", "aria-label": `Remove label ${label.name}`, title: "Remove", onclick: onRemove }, "×") : null);
}

// The chips of a conversation's labels, by name (labels deleted meanwhile skipped).
export function labelChips(state, ids, onRemove = null) {
  const labels = (ids || []).map((id) => labelOf(state, id)).filter(Boolean);
  labels.sort((a, b) => a.name.localeCompare(b.name, undefined, { sensitivity: "base" }));
  if (!labels.length) return null;
  return h("span", { class: "label-chips" }, labels.map((l) => labelChip(l, onRemove && (() => onRemove(l)))));
}

// For the conversation header: its chips (each removable) and a select adding one.
export function labelEditor(state, conversation, actions) {
  const applied = new Set(conversation.labels || []);
  const free = sortedLabels(state).filter((l) => !applied.has(l.id));
  const add = free.length ? h("select", {
    class: "label-add", "aria-label": "Add a label",
    onchange: (e) => e.target.value && actions.addLabel(conversation.id, Number(e.target.value)),
  }, h("option", { value: "" }, "Add label…"), free.map((l) => h("option", { value: l.id }, l.name))) : null;
  return h("div", { class: "label-editor" }, labelChips(state, conversation.labels, (l) => actions.removeLabel(conversation.id, l.id)), add);
}
