// The team view's auto-assignment panel: the queue (how many wait, the longest wait), each
// member's load against capacity, and for admins and supervisors the settings, capacities
// and each connected account's own on/off (Follow workspace / On / Off). Live: it refetches
// shortly after any change the store sees (conversations assigned, created, resolved;
// presence) and every few seconds while shown.

import { h, replace, toast } from "../dom.js";

const STRATEGIES = [["least_loaded", "Least loaded"], ["round_robin", "Round robin"]];
const ELIGIBILITY = [["online", "Members online"], ["active", "All active members"]];
const POLL_MS = 5000;
const ACCOUNT_CHOICES = [["follow", "Follow workspace"], ["on", "On"], ["off", "Off"]];
const ACCOUNT_VALUES = { follow: null, on: true, off: false };

function waitText(seconds) {
  if (seconds < 60) return `${seconds} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min`;
  return `${Math.floor(seconds / 3600)} h ${Math.floor((seconds % 3600) / 60)} min`;
}

function waited(data) {
  const since = Date.parse(data.oldest_waiting_since);
  return Number.isNaN(since) ? data.longest_wait_seconds : Math.max(0, Math.round((Date.now() - since) / 1000));
}

function choice(name, label, options, value, onchange) {
  return h("label", {}, `${label} `, h("select", { name, "aria-label": label, onchange },
    options.map(([v, text]) => h("option", { value: v, selected: v === value }, text))));
}

// ctx: {api}
export function createAssignmentPanel(ctx) {
  const el = h("section", { class: "card assignment", "aria-labelledby": "assignment-title" });
  let data = null;
  let shown = "";
  const waitSpan = h("span", { class: "wait" });
  let staff = false;
  let timer = null;
  let poller = null;

  async function load() {
    try {
      data = await ctx.api.assignment();
      // Not while someone types in the panel, nor when nothing changed but the clock.
      if (el.contains(document.activeElement) && document.activeElement.tagName === "INPUT") return;
      const next = JSON.stringify([{ ...data, longest_wait_seconds: 0 }, staff]);
      if (next === shown) return;
      shown = next;
      render();
    } catch (error) {
      toast(error.message, "error");
    }
  }

  async function change(call) {
    try {
      await call();
      document.activeElement?.blur?.();
      await load();
    } catch (error) {
      toast(error.message, "error");
    }
  }

  function settingsForm(settings) {
    const offline = h("input", { type: "number", name: "offline_return_minutes", min: 0, max: 1440, value: settings.offline_return_minutes ?? "", placeholder: "never", "aria-label": "Minutes offline before unanswered conversations return to the queue" });
    const capacity = h("input", { type: "number", name: "default_capacity", min: 0, max: 1000, value: settings.default_capacity, "aria-label": "Default capacity" });
    return h("div", { class: "assignment-settings" },
      h("label", {}, h("input", { type: "checkbox", name: "enabled", checked: settings.enabled, onchange: (e) => change(() => ctx.api.updateAssignment({ enabled: e.target.checked })) }), " Assign new conversations automatically"),
      choice("strategy", "Strategy", STRATEGIES, settings.strategy, (e) => change(() => ctx.api.updateAssignment({ strategy: e.target.value }))),
      choice("eligibility", "Eligible", ELIGIBILITY, settings.eligibility, (e) => change(() => ctx.api.updateAssignment({ eligibility: e.target.value }))),
      h("form", { class: "inline", onsubmit: (e) => { e.preventDefault(); change(() => ctx.api.updateAssignment({ default_capacity: Number(capacity.value) })); } },
        h("label", {}, "Default capacity ", capacity), h("button", { type: "submit" }, "Save")),
      settings.eligibility === "online" ? h("form", { class: "inline", onsubmit: (e) => { e.preventDefault(); change(() => ctx.api.updateAssignment({ offline_return_minutes: Number(offline.value || 0) })); } },
        h("label", {}, "Return unanswered conversations after ", offline, " min offline"), h("button", { type: "submit" }, "Save")) : null);
  }

  function accountRows(accounts) {
    if (!accounts.length) return null;
    return h("div", { class: "assignment-accounts" }, h("h3", {}, "Per connected account"), h("ul", { class: "plain" },
      accounts.map((a) => h("li", { "data-account": a.account_id },
        h("label", {}, `@${a.username} `, h("select", {
          name: "account_enabled", "aria-label": `Auto-assignment for @${a.username}`,
          onchange: (e) => change(() => ctx.api.setAccountAssignment(a.account_id, ACCOUNT_VALUES[e.target.value])),
        }, ACCOUNT_CHOICES.map(([v, text]) => h("option", { value: v, selected: v === (a.enabled == null ? "follow" : a.enabled ? "on" : "off") }, text))))))));
  }

  function memberRow(m) {
    const full = m.load >= m.capacity;
    const cells = [h("td", {}, m.name), h("td", {}, m.online ? "online" : "offline"),
      h("td", { class: full ? "full" : null, "data-load": `${m.load}/${m.capacity}` }, `${m.load} / ${m.capacity}`)];
    if (staff) {
      const input = h("input", { type: "number", min: 0, max: 1000, value: m.own_capacity ?? "", placeholder: "default", "aria-label": `Capacity of ${m.name}` });
      cells.push(h("td", {}, h("form", { class: "inline", onsubmit: (e) => {
        e.preventDefault();
        change(() => ctx.api.setCapacity(m.user_id, input.value === "" ? null : Number(input.value)));
      } }, input, h("button", { type: "submit" }, "Set"))));
    }
    return h("tr", { "data-user": m.user_id }, cells);
  }

  function tick() {
    if (data) waitSpan.textContent = data.waiting ? ` · longest wait ${waitText(waited(data))}` : " · nobody waits";
  }

  function render() {
    if (!data) return;
    const { settings } = data;
    const queue = settings.enabled || (data.accounts || []).some((a) => a.enabled)
      ? h("p", { class: "queue", "aria-live": "polite" }, h("strong", { "data-waiting": data.waiting }, `${data.waiting} waiting`),
        waitSpan)
      : h("p", { class: "muted queue" }, "Auto-assignment is off: conversations wait in Unassigned until someone claims them.");
    tick();
    replace(el, h("h2", { id: "assignment-title" }, "Auto-assignment"), queue,
      staff ? settingsForm(settings) : null,
      staff ? accountRows(data.accounts || []) : null,
      h("table", { class: "loads" }, h("thead", {}, h("tr", {}, h("th", {}, "Member"), h("th", {}, "Presence"), h("th", {}, "Load / capacity"), staff ? h("th", {}, "Own capacity") : null)),
        h("tbody", {}, data.members.map(memberRow))));
  }

  return {
    el,
    update(state) {
      staff = state.me.role !== "agent";
      clearTimeout(timer);
      timer = setTimeout(load, data ? 300 : 0);
      if (!poller) poller = setInterval(() => { if (el.isConnected) { tick(); load(); } }, POLL_MS);
    },
  };
}
