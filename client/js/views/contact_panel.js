// The contact panel beside the thread: who the customer is (name, @username, picture),
// what Meta's profile says (followers, who follows whom, verified), the ad or ig.me link
// that started the conversation, the team's note about them, and their conversations with
// the workspace's accounts. The name and the note come from the store (contact.updated
// keeps them live for every agent); the rest is fetched (GET /api/v1/contacts/{id}) when
// a conversation opens. Any member corrects the name ("" goes back to Meta's) or the note.

import { h, replace } from "../dom.js";
import { contactName, fullTime, preview, shortTime } from "../format.js";
import { avatar } from "./avatar.js";

const NOTE_MAX = 2000; // a short note; the server takes up to 10,000 characters

// ctx: {api, actions, store}
export function createContactPanel(ctx) {
  let conversationId = null;
  let panel = null; // the fetched panel of conversationId's contact
  let requested = null; // the conversation whose panel was asked for (once per opening)
  let version = "";
  let editingName = false;
  const body = h("div", { class: "contact-body" });
  const noteField = h("textarea", { rows: 4, maxlength: NOTE_MAX, "aria-label": "Note about this contact", placeholder: "What the team should know about this person…", oninput: () => { noteSave.hidden = noteField.value === noteBase(); } });
  const noteSave = h("button", { type: "button", class: "primary", hidden: true, onclick: saveNote }, "Save note");
  const noteBox = h("section", { class: "contact-note" }, h("h4", {}, "Note"), noteField, noteSave);
  const el = h("aside", { class: "contact-panel", "aria-label": "Contact" }, body, noteBox);

  const contact = () => ctx.store.state.known[conversationId]?.contact || null;
  const noteBase = () => contact()?.notes || "";

  async function load(id) {
    const contactId = ctx.store.state.known[id]?.contact.id;
    if (!contactId) return;
    try {
      const fetched = await ctx.api.contactPanel(contactId);
      if (conversationId === id) {
        panel = fetched;
        version = "";
        update();
      }
    } catch (error) {
      if (error.status !== 401 && conversationId === id) replace(body, h("p", { class: "muted" }, `The contact's details could not be loaded: ${error.message}`));
    }
  }

  async function saveNote() {
    const c = contact();
    if (!c) return;
    const saved = await ctx.actions.correctContact(c.id, { notes: noteField.value }, "Note saved");
    if (saved) noteSave.hidden = true;
  }

  function nameEditor(c) {
    const field = h("input", { type: "text", maxlength: 200, value: c.display_name || c.name || "", "aria-label": "Contact name" });
    const done = () => { editingName = false; version = ""; update(); };
    const save = async () => {
      if (await ctx.actions.correctContact(c.id, { display_name: field.value.trim() }, "Name corrected")) done();
    };
    field.addEventListener("keydown", (e) => { if (e.key === "Enter") { e.preventDefault(); save(); } else if (e.key === "Escape") done(); });
    setTimeout(() => field.focus(), 0);
    return h("div", { class: "name-edit" }, field,
      h("button", { type: "button", class: "primary", onclick: save }, "Save"),
      h("button", { type: "button", onclick: done }, "Cancel"),
      h("p", { class: "hint" }, c.name ? `Empty: back to the Instagram name, ${c.name}.` : "Empty: back to what Instagram says."));
  }

  function facts(p, c) {
    const items = [];
    const f = p?.facts;
    if (f?.follower_count != null) items.push(`${f.follower_count.toLocaleString()} follower${f.follower_count === 1 ? "" : "s"}`);
    if (f?.is_verified_user) items.push("Verified account");
    if (f?.is_user_follow_business != null) items.push(f.is_user_follow_business ? "Follows you" : "Doesn't follow you");
    if (f?.is_business_follow_user) items.push("You follow them");
    if (c.profile_state === "unavailable") items.push("Instagram doesn't share this profile");
    else if (c.profile_state === "pending") items.push("Profile not fetched yet");
    if (p) items.push(`Wrote to @${p.account_username}`, `First message ${fullTime(p.first_seen_at)}`);
    return h("ul", { class: "facts" }, items.map((text) => h("li", {}, text)));
  }

  function startedBy(ref) {
    if (!ref) return null;
    const ad = ref.source === "ADS";
    const title = ref.ads_context_data?.ad_title;
    return h("section", { class: "started-by" }, h("h4", {}, "Started from"),
      h("p", {}, ad ? `Ad: ${title || "an ad"}` : `Link${ref.source ? ` (${ref.source.toLowerCase()})` : ""}`),
      ref.ref ? h("p", { class: "muted" }, `ref: ${ref.ref}`) : null,
      ad && ref.ad_id ? h("p", { class: "muted" }, `ad id: ${ref.ad_id}`) : null);
  }

  function conversations(p, state) {
    if (!p) return null;
    const rows = p.conversations.map((c) => {
      const account = state.snapshot.accounts.find((a) => a.id === c.account_id);
      const current = c.id === conversationId;
      return h("li", {},
        h("a", { href: `#/c/${c.id}`, "aria-current": current ? "true" : null },
          h("span", {}, `@${account?.username || "account"} · ${c.status}${current ? " · this one" : ""}`),
          h("span", { class: "muted" }, c.last_message ? preview(c.last_message) : ""),
          h("time", { datetime: c.last_activity_at, title: fullTime(c.last_activity_at) }, shortTime(c.last_activity_at))));
    });
    return h("section", { class: "contact-conversations" }, h("h4", {}, "Conversations"), h("ul", {}, rows));
  }

  function update() {
    const state = ctx.store.state;
    const c = contact();
    if (!c) return;
    // The note follows the store unless the agent is writing one.
    if (document.activeElement !== noteField && noteSave.hidden && noteField.value !== noteBase()) noteField.value = noteBase();
    const next = JSON.stringify([c, panel && panel.contact.id === c.id, editingName, state.snapshot.accounts.length]);
    if (next === version) return;
    version = next;
    const p = panel && panel.contact.id === c.id ? panel : null;
    const name = contactName(c);
    replace(body,
      avatar(name, c.picture_url, "xl"),
      editingName ? nameEditor(c) : h("div", { class: "contact-name" },
        h("h3", {}, name),
        h("button", { type: "button", class: "link", onclick: () => { editingName = true; version = ""; update(); }, "aria-label": "Correct the name" }, "Edit name")),
      c.username ? h("p", { class: "username" }, `@${c.username}`) : null,
      c.display_name && c.name && c.display_name !== c.name ? h("p", { class: "muted" }, `On Instagram: ${c.name}`) : null,
      facts(p, c),
      startedBy(p?.started_by),
      conversations(p, state));
  }

  return {
    el,
    open(id) {
      if (id === conversationId) return;
      conversationId = id;
      panel = null;
      version = "";
      editingName = false;
      requested = null;
      noteField.value = noteBase();
      noteSave.hidden = true;
    },
    update() {
      if (requested !== conversationId && contact()) {
        requested = conversationId;
        load(conversationId);
      }
      update();
    },
  };
}
