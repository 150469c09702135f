// The conversation list: filters (Mine / Unassigned / All, status), search, live order.
// Open and snoozed conversations come with the snapshot and stay current through the
// stream; resolved ones, search results and older pages come from the list API and are
// kept current the same way once known.

import { h, reconcile } from "../dom.js";
import { contactName, preview, shortTime } from "../format.js";
import { inboxList, member, sortedLabels } from "../store.js";
import { avatar, presenceDot } from "./avatar.js";
import { labelChips } from "./labels.js";

const ASSIGNEES = [["mine", "Mine"], ["unassigned", "Unassigned"], ["all", "All"]];
const STATUSES = [["open", "Open"], ["pending", "Snoozed"], ["resolved", "Resolved"], ["any", "Any status"]];

// ctx: {store, api, mergeConversations(list), selectedId()}
export function createInbox(ctx) {
  const filter = { assignee: localStorage.getItem("wazify:inbox") || "all", status: "open", q: "", label: null };
  let listing = { key: "", next: null, ids: new Set(), fetched: false, loading: false, error: "" };
  let searchTimer = null;

  const tabs = h("div", { class: "segmented", role: "group", "aria-label": "Whose conversations" });
  const status = h("select", { "aria-label": "Status", onchange: (e) => setFilter({ status: e.target.value }) },
    STATUSES.map(([value, label]) => h("option", { value }, label)));
  const labelSelect = h("select", { "aria-label": "Label", class: "label-filter", onchange: (e) => setFilter({ label: e.target.value ? Number(e.target.value) : null }) });
  let labelsVersion = "";
  const search = h("input", {
    type: "search", placeholder: "Search names, texts, notes, label:name", "aria-label": "Search conversations", id: "search",
    oninput: (e) => { clearTimeout(searchTimer); searchTimer = setTimeout(() => setFilter({ q: e.target.value.trim() }), 300); },
  });
  const list = h("ul", { class: "conv-list", "aria-label": "Conversations" });
  const empty = h("p", { class: "empty", hidden: true });
  const more = h("button", { type: "button", class: "more", hidden: true, onclick: () => fetchPage() }, "Load more");
  const el = h("aside", { class: "inbox", "aria-label": "Inbox" },
    h("div", { class: "filters" }, tabs, h("div", { class: "filter-row" }, status, labelSelect, search)), list, empty, more);

  function setFilter(change) {
    Object.assign(filter, change);
    localStorage.setItem("wazify:inbox", filter.assignee);
    listing = { key: keyOf(), next: null, ids: new Set(), fetched: false, loading: false, error: "" };
    // The snapshot holds the recent open and snoozed ones; anything else needs the API.
    if (filter.q || filter.label != null || filter.status === "resolved" || filter.status === "any") fetchPage();
    update(ctx.store.state);
  }

  function keyOf() {
    return JSON.stringify(filter);
  }

  async function fetchPage() {
    if (listing.loading) return;
    const mine = listing;
    mine.loading = true;
    update(ctx.store.state);
    try {
      const page = await ctx.api.conversations({
        assignee: filter.assignee, status: filter.status === "any" ? undefined : filter.status, q: filter.q || undefined, cursor: mine.next || undefined,
        label: filter.label ?? undefined,
      });
      if (mine !== listing) return; // the filter changed meanwhile
      for (const c of page.items) mine.ids.add(c.id);
      mine.next = page.next_cursor;
      mine.fetched = true;
      mine.error = "";
      ctx.mergeConversations(page.items);
    } catch (error) {
      mine.error = error.message;
    } finally {
      mine.loading = false;
      update(ctx.store.state);
    }
  }

  function rows(state) {
    const words = filter.q ? filter.q.toLowerCase().split(/\s+/) : [];
    const base = inboxList(state, { assignee: filter.assignee, status: filter.status, label: filter.label });
    if (!words.length) return base;
    // Search: what the server found (also in message and note texts, and label: terms)
    // plus live matches on the name.
    const local = new Set(inboxList(state, { assignee: filter.assignee, status: filter.status, label: filter.label, words }).map((c) => c.id));
    return base.filter((c) => listing.ids.has(c.id) || local.has(c.id));
  }

  function row(state, c, selected) {
    const name = contactName(c.contact);
    const assignee = c.assignee_id ? member(state, c.assignee_id) : null;
    const last = c.last_message;
    const unread = c.unread_count > 0;
    return h("li", { class: `conv${selected ? " selected" : ""}${unread ? " unread" : ""}` },
      h("a", { href: `#/c/${c.id}`, "aria-current": selected ? "true" : null, "data-conversation": c.id },
        avatar(name, c.contact.picture_url),
        h("span", { class: "conv-main" },
          h("span", { class: "conv-top" },
            h("span", { class: "name" }, name),
            c.contact.username && name !== `@${c.contact.username}` ? h("span", { class: "username" }, `@${c.contact.username}`) : null,
            h("time", { datetime: c.last_activity_at }, shortTime(c.last_activity_at))),
          h("span", { class: "conv-bottom" },
            h("span", { class: "preview" }, last ? (last.direction === "out" ? "You: " : "") + preview(last) : "No messages yet"),
            unread ? h("span", { class: "badge", "aria-label": `${c.unread_count} unread` }, String(c.unread_count)) : null),
          h("span", { class: "conv-tags" },
            assignee ? h("span", { class: "assignee" }, presenceDot(assignee.presence), assignee.user_id === state.me.user.id ? "You" : assignee.name) : h("span", { class: "assignee none" }, "Unassigned"),
            c.status !== "open" ? h("span", { class: `tag tag-${c.status}` }, c.status === "pending" ? "Snoozed" : "Resolved") : null,
            c.reopened_at && c.status === "open" ? h("span", { class: "tag tag-reopened", title: "A new message from the customer reopened it" }, "Reopened") : null,
            labelChips(state, c.labels)))));
  }

  function update(state) {
    if (!state.snapshot) return;
    if (!tabs.childElementCount) {
      for (const [value, label] of ASSIGNEES) {
        tabs.append(h("button", { type: "button", "data-assignee": value, onclick: () => setFilter({ assignee: value }) }, label));
      }
    }
    for (const button of tabs.children) button.setAttribute("aria-pressed", String(button.dataset.assignee === filter.assignee));
    status.value = filter.status;
    renderLabelFilter(state);
    const selected = ctx.selectedId();
    const items = rows(state);
    reconcile(list, items, (c) => c.id, (c) => JSON.stringify([c, c.id === selected, c.assignee_id && member(state, c.assignee_id)?.presence, new Date().getDate(), labelsVersion]), (c) => row(state, c, c.id === selected));
    const serverHasMore = listing.fetched ? listing.next != null : filter.q || filter.label != null || filter.status === "resolved" || filter.status === "any" ? false : state.snapshot.more_conversations;
    more.hidden = !serverHasMore;
    more.disabled = listing.loading;
    more.textContent = listing.loading ? "Loading…" : "Load more";
    empty.hidden = items.length > 0;
    empty.textContent = listing.error ? `Couldn't load: ${listing.error}` : listing.loading ? "Loading…" : filter.q ? "No conversation matches." : "Nothing here. New conversations appear as soon as they arrive.";
  }

  // The label filter's options follow the workspace's labels (live); a deleted label
  // that was the filter is dropped.
  function renderLabelFilter(state) {
    const labels = sortedLabels(state);
    const version = JSON.stringify(labels);
    if (version === labelsVersion) return;
    labelsVersion = version;
    if (filter.label != null && !labels.some((l) => l.id === filter.label)) filter.label = null;
    labelSelect.replaceChildren(h("option", { value: "" }, "All labels"), ...labels.map((l) => h("option", { value: l.id }, l.name)));
    labelSelect.value = filter.label ?? "";
    labelSelect.hidden = !labels.length && filter.label == null;
  }

  return {
    el,
    update,
    visibleIds: () => [...list.querySelectorAll("a[data-conversation]")].map((a) => Number(a.dataset.conversation)),
    focusSearch: () => search.focus(),
  };
}
