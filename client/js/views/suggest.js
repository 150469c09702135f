// A list of suggestions under a text field (the composer's "@" members and "/" canned
// responses): arrows move, Enter or Tab picks, Escape closes; a click picks too. The field
// keeps the focus and says which option is active (aria-activedescendant).

import { h, replace } from "../dom.js";

// options: {id, label, field (the textarea), onPick(item)}
export function createSuggest({ id, label, field, onPick }) {
  const list = h("ul", { class: "suggest", role: "listbox", id, "aria-label": label, hidden: true });
  let items = [];
  let active = 0;

  function optionId(index) {
    return `${id}-${index}`;
  }

  function mark() {
    [...list.children].forEach((li, i) => li.setAttribute("aria-selected", String(i === active)));
    if (items.length) field.setAttribute("aria-activedescendant", optionId(active));
    list.children[active]?.scrollIntoView?.({ block: "nearest" });
  }

  // render(item) -> the option's content; `empty`: shown when nothing matches (or null).
  function show(next, render, empty = null) {
    items = next;
    active = 0;
    if (!items.length && !empty) return hide();
    replace(list, items.length
      ? items.map((item, i) => h("li", {
        role: "option", id: optionId(i), class: "suggest-item",
        onmousedown: (event) => { event.preventDefault(); pick(i); },
      }, render(item)))
      : h("li", { class: "suggest-empty", role: "presentation" }, empty));
    list.hidden = false;
    // (A textarea takes no combobox role, so no aria-expanded: the active option is named
    // through aria-activedescendant, which a textbox supports.)
    field.setAttribute("aria-controls", id);
    mark();
  }

  function hide() {
    items = [];
    list.hidden = true;
    field.removeAttribute("aria-activedescendant");
  }

  function pick(index) {
    const item = items[index];
    hide();
    if (item !== undefined) onPick(item);
  }

  // The field's keydown while the list is open; true when the key was the list's.
  function onKey(event) {
    if (list.hidden) return false;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (items.length) {
        active = (active + (event.key === "ArrowDown" ? 1 : -1) + items.length) % items.length;
        mark();
      }
    } else if ((event.key === "Enter" || event.key === "Tab") && !event.shiftKey) {
      if (!items.length) return false;
      pick(active);
    } else if (event.key === "Escape") {
      hide();
    } else {
      return false;
    }
    event.preventDefault();
    event.stopPropagation();
    return true;
  }

  return { el: list, show, hide, onKey, get open() { return !list.hidden; } };
}
