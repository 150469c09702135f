// The composer's two pickers. In a reply, "/" at the start of the text or of a word lists
// the canned responses matching what follows; picking one puts its text in, placeholders
// filled for this customer and this agent (those with no value stay, and the composer
// flags them). In a note, "@" lists the team; picking a member writes "@Name", sent to the
// server as <@id> so the note shows whatever name they have later.

import { h } from "../dom.js";
import {
  fillPlaceholders, matchCanned, matchMembers, mentionLabel, mentionTokens, placeholderValues,
  splice, triggerAt,
} from "../composing.js";
import { createSuggest } from "./suggest.js";

// options: {input, ctx: {me, state()}, mode() -> "reply"|"note", conversation(), onChange()}
export function attachPickers({ input, ctx, mode, conversation, onChange }) {
  const picked = new Map(); // "@Name" -> user id, for this note
  let cannedId = null; // the canned response put in this reply
  let trigger = null; // {start, query, kind}
  const suggest = createSuggest({ id: "composer-suggest", label: "Suggestions", field: input, onPick: pick });

  function current() {
    const caret = input.selectionStart ?? input.value.length;
    if (mode() === "note") {
      const found = triggerAt(input.value, caret, "@");
      return found && { ...found, caret, kind: "member" };
    }
    const found = triggerAt(input.value, caret, "/");
    return found && { ...found, caret, kind: "canned" };
  }

  function refresh() {
    if (!input.value.trim()) cannedId = null;
    trigger = current();
    const state = ctx.state();
    if (!trigger || !state?.snapshot) return suggest.hide();
    if (trigger.kind === "canned") {
      const all = state.snapshot.canned_responses || [];
      const empty = all.length ? `No canned response matches “/${trigger.query}”` : "No canned responses yet: add them under Canned responses.";
      const values = placeholderValues({ contact: conversation()?.contact, me: ctx.me });
      suggest.show(matchCanned(all, trigger.query), (r) => [
        h("span", { class: "suggest-key" }, `/${r.shortcut}`),
        h("span", { class: "suggest-text" }, fillPlaceholders(r.text, values).text),
        h("span", { class: "suggest-tag" }, r.owner_id == null ? "shared" : "personal"),
      ], empty);
    } else {
      suggest.show(matchMembers(state.snapshot.team, trigger.query, ctx.me.user.id), (m) => [
        h("span", { class: "suggest-key" }, mentionLabel(m)),
        h("span", { class: "suggest-text" }, m.email),
      ], `No teammate matches “@${trigger.query}”`);
    }
  }

  function put(text) {
    const { text: next, caret } = splice(input.value, trigger.start, trigger.caret, text);
    input.value = next;
    input.setSelectionRange(caret, caret);
    input.focus();
    trigger = null;
    onChange();
  }

  function pick(item) {
    if (!trigger) return;
    if (trigger.kind === "canned") {
      const values = placeholderValues({ contact: conversation()?.contact, me: ctx.me });
      cannedId = item.id;
      put(fillPlaceholders(item.text, values).text);
    } else {
      const label = mentionLabel(item);
      picked.set(label, item.user_id);
      put(`${label} `);
    }
  }

  return {
    el: h("div", { class: "suggest-anchor" }, suggest.el),
    refresh,
    hide: () => suggest.hide(),
    onKey: (event) => suggest.onKey(event),
    get open() {
      return suggest.open;
    },
    reset() {
      picked.clear();
      cannedId = null;
      suggest.hide();
    },
    // What to send for the text written: mentions as tokens (a note); the canned response
    // used (a reply). Then starts afresh.
    take(text) {
      const team = ctx.state()?.snapshot?.team || [];
      const taken = mode() === "note" ? { text: mentionTokens(text, picked, team), cannedId: null } : { text, cannedId };
      picked.clear();
      cannedId = null;
      return taken;
    },
  };
}
