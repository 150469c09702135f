// Reports (supervisors and admins): response times and volumes for a period, drawn with
// plain SVG (no library): the reply-time distribution, customer messages by hour of the
// week, and a table per member (or account, label, day, hour) with medians and 90th
// percentiles; the same figures as a CSV download. Figures come from GET /api/v1/reports
// (docs/reports.md).

import { h, replace, toast } from "../dom.js";

const SVG = "http://www.w3.org/2000/svg";
const DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const BIN_LABELS = ["<1m", "<5m", "<15m", "<30m", "<1h", "<4h", "<8h", "<24h", "≥24h"];

// An SVG element: attributes set one by one, text as a text node (never parsed).
function s(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return node;
}

// 200 -> "3m 20s"; null -> "–".
export function duration(seconds) {
  if (seconds === null || seconds === undefined) return "–";
  const total = Math.round(seconds);
  const d = Math.floor(total / 86400), hr = Math.floor((total % 86400) / 3600);
  const m = Math.floor((total % 3600) / 60), sec = total % 60;
  if (d) return `${d}d ${hr}h`;
  if (hr) return `${hr}h ${m}m`;
  if (m) return sec ? `${m}m ${sec}s` : `${m}m`;
  return `${sec}s`;
}

function isoDate(date) {
  return date.toISOString().slice(0, 10);
}

export function histogramChart(bins) {
  const width = 460, height = 180, pad = 24, barW = (width - pad) / bins.length;
  const max = Math.max(1, ...bins.map((b) => b.count));
  const svg = s("svg", { viewBox: `0 0 ${width} ${height + pad}`, class: "chart histogram", role: "img", "aria-label": "Reply times: " + bins.map((b, i) => `${BIN_LABELS[i]} ${b.count}`).join(", ") });
  bins.forEach((bin, i) => {
    const barH = Math.round((bin.count / max) * (height - 20));
    const x = pad + i * barW;
    const bar = s("rect", { x: x + 3, y: height - barH, width: barW - 6, height: barH, class: "bar" }, s("title", {}, `${BIN_LABELS[i]}: ${bin.count}`));
    svg.append(bar, s("text", { x: x + barW / 2, y: height + 16, "text-anchor": "middle", class: "axis" }, BIN_LABELS[i]));
    if (bin.count) svg.append(s("text", { x: x + barW / 2, y: height - barH - 4, "text-anchor": "middle", class: "value" }, bin.count));
  });
  return svg;
}

export function heatmapChart(grid) {
  const cell = 18, left = 34, top = 16;
  const max = Math.max(1, ...grid.flat());
  const svg = s("svg", { viewBox: `0 0 ${left + 24 * cell} ${top + 7 * cell}`, class: "chart heatmap", role: "img", "aria-label": "Customer messages by hour of the week" });
  for (let hour = 0; hour < 24; hour += 3) svg.append(s("text", { x: left + hour * cell, y: 11, class: "axis" }, `${hour}h`));
  grid.forEach((row, day) => {
    svg.append(s("text", { x: 0, y: top + day * cell + 13, class: "axis" }, DAYS[day]));
    row.forEach((count, hour) => {
      // fill-opacity is an attribute, not a style: the CSP allows no inline styles.
      svg.append(s("rect", { x: left + hour * cell, y: top + day * cell, width: cell - 2, height: cell - 2, class: "heat", "fill-opacity": count ? (0.15 + 0.85 * count / max).toFixed(2) : 0.04, "data-count": count },
        s("title", {}, `${DAYS[day]} ${hour}:00: ${count}`)));
    });
  });
  return svg;
}

function timeCells(figure) {
  return [h("td", {}, figure.count), h("td", {}, duration(figure.median)), h("td", {}, duration(figure.p90))];
}

const GROUPINGS = { member: "Member", account: "Account", label: "Label", day: "Day", hour: "Hour" };

export function groupTable(report) {
  const title = GROUPINGS[report.group_by] || "Group";
  const head = h("tr", {}, h("th", { scope: "col" }, title),
    ["First responses", "Replies", "Resolutions"].map((t) => [h("th", { scope: "col" }, t), h("th", { scope: "col" }, "median"), h("th", { scope: "col" }, "p90")]),
    h("th", { scope: "col" }, "Resolved"), h("th", { scope: "col" }, "Sent"));
  const row = (r, total = false) => h("tr", { class: total ? "total" : null },
    h(total ? "th" : "td", total ? { scope: "row" } : {}, r.name),
    timeCells(r.first_response), timeCells(r.reply), timeCells(r.resolution), h("td", {}, r.resolved), h("td", {}, r.messages_out));
  return h("table", { class: "report-table", "aria-label": `Per ${title.toLowerCase()}` }, h("thead", {}, head),
    h("tbody", {}, report.groups.map((r) => row(r)), row(report.total, true)));
}

const DAY_KEYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

// "09:00-12:00, 13:00-17:00" <-> [["09:00", "12:00"], ["13:00", "17:00"]]
export function parseSpans(text) {
  return text.split(",").map((part) => part.trim()).filter(Boolean).map((part) => part.split("-").map((t) => t.trim()));
}

export function spansText(spans) {
  return (spans || []).map(([a, b]) => `${a}-${b}`).join(", ");
}

// The report time zone and business hours: admins change them, supervisors read them.
function settingsForm(ctx, settings, isAdmin, onSaved) {
  const zone = h("input", { name: "timezone", value: settings.timezone, maxlength: 64, "aria-label": "Time zone", disabled: !isAdmin });
  const days = DAY_KEYS.map((d) => h("input", { name: d, value: spansText(settings.business_hours?.[d]), placeholder: "closed", "aria-label": `Business hours on ${d}`, disabled: !isAdmin }));
  const enabled = h("input", { type: "checkbox", name: "enabled", checked: settings.business_hours !== null, disabled: !isAdmin });
  const form = h("form", { class: "card form report-settings", onsubmit: async (e) => {
    e.preventDefault();
    const hours = enabled.checked ? Object.fromEntries(DAY_KEYS.map((d, i) => [d, parseSpans(days[i].value)])) : null;
    try {
      onSaved(await ctx.api.updateReportSettings({ timezone: zone.value.trim(), business_hours: hours }));
      toast("Report settings saved");
    } catch (error) {
      toast(error.message, "error");
    }
  } },
  h("h2", {}, "Time zone and business hours"),
  h("p", { class: "hint" }, "Spans like 09:00-12:00, 13:00-17:00 in local time; empty: closed that day."),
  h("label", {}, "Time zone ", zone),
  h("label", { class: "check" }, enabled, "Measure business hours"),
  h("div", { class: "report-days" }, DAY_KEYS.map((d, i) => h("label", {}, `${DAYS[i]} `, days[i]))),
  isAdmin ? h("button", { type: "submit" }, "Save") : h("p", { class: "hint" }, "Only admins change these."));
  return form;
}

// ctx: {api, me}
export function createReportsView(ctx) {
  const today = new Date();
  const from = h("input", { type: "date", name: "from", value: isoDate(new Date(today.getTime() - 6 * 86400000)), "aria-label": "From" });
  const to = h("input", { type: "date", name: "to", value: isoDate(new Date(today.getTime() + 86400000)), "aria-label": "To (exclusive)" });
  const groupBy = h("select", { name: "group_by", "aria-label": "Group by", onchange: () => load() },
    Object.entries(GROUPINGS).map(([value, label]) => h("option", { value }, label)));
  const hours = h("select", { name: "hours", "aria-label": "Measure in" }, h("option", { value: "all" }, "All hours"), h("option", { value: "business" }, "Business hours"));
  const csv = h("a", { class: "button", download: "", href: "#" }, "Download CSV");
  const body = h("div", { class: "reports-body" }, h("p", { class: "muted" }, "Loading…"));
  const form = h("form", { class: "report-filters", onsubmit: (e) => { e.preventDefault(); load(); } },
    h("label", {}, "From ", from), h("label", {}, "To ", to), h("label", {}, "Measure in ", hours), h("label", {}, "Per ", groupBy),
    h("button", { type: "submit", class: "primary" }, "Show"), csv);
  const settingsSlot = h("details", { class: "report-settings-slot" }, h("summary", {}, "Time zone and business hours"));
  const el = h("section", { class: "page reports", "aria-labelledby": "reports-title" },
    h("h1", { id: "reports-title" }, "Reports"),
    h("p", { class: "hint" }, "Reply time: from a customer's first unanswered message to the next reply. Days and hours are in the workspace's report time zone."),
    form, body, settingsSlot);

  function showSettings(settings) {
    hours.querySelector("option[value=business]").disabled = settings.business_hours === null;
    if (settings.business_hours === null) hours.value = "all";
    const isAdmin = ctx.me().role === "admin";
    replace(settingsSlot, h("summary", {}, "Time zone and business hours"), settingsForm(ctx, settings, isAdmin, (saved) => {
      showSettings(saved);
      load();
    }));
  }

  function params(groupBy) {
    return { from: from.value, to: to.value, group_by: groupBy, hours: hours.value };
  }

  async function load() {
    csv.href = "/api/v1/reports.csv" + ctx.api.query(params(groupBy.value));
    try {
      const report = await ctx.api.report(params(groupBy.value));
      const t = report.total;
      replace(body,
        h("dl", { class: "report-totals" },
          [["Opened", t.opened], ["Reopened", t.reopened], ["Resolved", t.resolved], ["Messages in", t.messages_in], ["Messages out", t.messages_out],
            ["First response (median)", duration(t.first_response.median)], ["Reply (median)", duration(t.reply.median)], ["Reply (p90)", duration(t.reply.p90)], ["Resolution (median)", duration(t.resolution.median)]]
            .map(([k, v]) => h("div", {}, h("dt", {}, k), h("dd", {}, v)))),
        h("div", { class: "report-charts" },
          h("figure", { class: "card" }, h("figcaption", {}, "Reply-time distribution"), histogramChart(report.histogram)),
          h("figure", { class: "card" }, h("figcaption", {}, `Customer messages by hour of the week (${report.timezone})`), heatmapChart(report.heatmap))),
        h("h2", {}, `Per ${(GROUPINGS[report.group_by] || "group").toLowerCase()}`), groupTable(report));
    } catch (error) {
      replace(body, h("p", { class: "error", role: "alert" }, error.message));
      if (error.status !== 401) toast(error.message, "error");
    }
  }

  async function show() {
    try {
      showSettings(await ctx.api.reportSettings());
    } catch (error) {
      if (error.status !== 401) toast(error.message, "error");
    }
    await load();
  }

  return { el, show };
}
