// The API reference page (/schema): renders /schema/openapi.json with the app's own DOM
// helper, so it works offline and under the app's Content Security Policy (no inline
// script or style, nothing from a CDN). Text from the schema only ever becomes text nodes.

import { h, replace } from "/js/dom.js";
import { contents, groupByTag, notes, properties, refName, resolve, typeParts } from "./openapi.js";

const SCHEMA_URL = "/schema/openapi.json";

function anchor(kind, name) {
  return `${kind}-${name.replace(/[^A-Za-z0-9_-]+/g, "-")}`;
}

function typeNode(schema) {
  return h("code", { class: "type" }, typeParts(schema).map((part) => (typeof part === "string" ? part : h("a", { href: `#${anchor("schema", part.ref)}` }, part.ref))));
}

function propertyTable(schema) {
  const rows = properties(schema);
  if (!rows.length) return null;
  return h("table", { class: "fields" },
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Field"), h("th", { scope: "col" }, "Type"), h("th", { scope: "col" }, "Notes"))),
    h("tbody", {}, rows.map((row) => h("tr", {},
      h("td", {}, h("code", {}, row.name), row.required ? h("span", { class: "required", title: "required" }, " required") : null),
      h("td", {}, typeNode(schema.properties[row.name])),
      h("td", {}, row.notes)))));
}

// A body's schema: its type line, and the fields of the object it names or holds.
function schemaBlock(spec, schema) {
  const target = resolve(spec, schema);
  const items = target.type === "array" ? resolve(spec, target.items) : null;
  return h("div", { class: "schema" }, typeNode(schema), propertyTable(items || target));
}

function parameterTable(parameters) {
  if (!parameters.length) return null;
  return h("section", { class: "part" }, h("h4", {}, "Parameters"),
    h("table", { class: "fields" },
      h("thead", {}, h("tr", {}, ["Name", "In", "Type", "Notes"].map((label) => h("th", { scope: "col" }, label)))),
      h("tbody", {}, parameters.map((p) => h("tr", {},
        h("td", {}, h("code", {}, p.name), p.required ? h("span", { class: "required" }, " required") : null),
        h("td", {}, p.in),
        h("td", {}, typeNode(p.schema)),
        h("td", {}, [p.description, notes(p.schema)].filter(Boolean).join("; ")))))));
}

function requestBody(spec, body) {
  if (!body) return null;
  return h("section", { class: "part" }, h("h4", {}, "Request body"),
    contents(body).map(({ mediaType, schema }) => h("div", {}, h("p", { class: "media-type" }, mediaType), schemaBlock(spec, schema))));
}

function responses(spec, answers) {
  return h("section", { class: "part" }, h("h4", {}, "Responses"),
    Object.entries(answers || {}).map(([status, answer]) => h("div", { class: "response" },
      h("p", {}, h("strong", { class: `status status-${status[0]}xx` }, status), " ", answer.description || ""),
      contents(answer).map(({ mediaType, schema }) => h("div", {}, h("p", { class: "media-type" }, mediaType), schemaBlock(spec, schema))))));
}

function operationNode(spec, { method, path, operation }) {
  return h("details", { class: "operation", id: anchor("op", operation.operationId || `${method}-${path}`), "data-search": `${method} ${path} ${operation.summary || ""}`.toLowerCase() },
    h("summary", {}, h("span", { class: `method method-${method}` }, method.toUpperCase()), " ", h("code", { class: "path" }, path),
      operation.summary ? h("span", { class: "summary" }, operation.summary) : null),
    operation.description ? h("p", {}, operation.description) : null,
    parameterTable(operation.parameters),
    requestBody(spec, operation.requestBody),
    responses(spec, operation.responses));
}

function schemasSection(spec) {
  const schemas = Object.entries(spec.components?.schemas || {}).sort(([a], [b]) => a.localeCompare(b));
  return h("section", { class: "tag", id: "schemas" }, h("h2", {}, "Schemas"),
    schemas.map(([name, schema]) => h("details", { class: "schema-def", id: anchor("schema", name) },
      h("summary", {}, h("code", {}, name), schema.description ? h("span", { class: "summary" }, schema.description) : null),
      schema.properties ? propertyTable(schema) : h("div", { class: "schema" }, typeNode(schema)))));
}

function filterBox(root) {
  return h("input", {
    type: "search", class: "filter", placeholder: "Filter by path or method", "aria-label": "Filter operations",
    oninput: (event) => {
      const query = event.target.value.trim().toLowerCase();
      for (const node of root.querySelectorAll(".operation")) node.hidden = Boolean(query) && !node.dataset.search.includes(query);
    },
  });
}

// #schema-X links open the schema they point at.
function openTarget() {
  const target = location.hash && document.getElementById(location.hash.slice(1));
  if (target instanceof HTMLDetailsElement) target.open = true;
}

function render(root, spec) {
  const groups = groupByTag(spec);
  const content = h("div", { class: "content" });
  replace(root,
    h("header", { class: "top" },
      h("h1", {}, `${spec.info?.title || "API"} API`, h("span", { class: "version" }, ` ${spec.info?.version || ""}`)),
      h("p", {}, "Every operation of the HTTP API, from ", h("a", { href: SCHEMA_URL }, "openapi.json"), ". Authenticate with the session cookie (plus X-CSRF-Token on changes) or Authorization: Bearer <API token>."),
      filterBox(content)),
    h("nav", { class: "toc", "aria-label": "Tags" }, h("ul", {},
      groups.map(({ tag, operations }) => h("li", {}, h("a", { href: `#${anchor("tag", tag)}` }, tag), h("span", { class: "count" }, ` ${operations.length}`))),
      h("li", {}, h("a", { href: "#schemas" }, "Schemas")))),
    content);
  content.append(
    ...groups.map(({ tag, operations }) => h("section", { class: "tag", id: anchor("tag", tag) }, h("h2", {}, tag), operations.map((op) => operationNode(spec, op)))),
    schemasSection(spec));
  window.addEventListener("hashchange", openTarget);
  openTarget();
}

async function main() {
  const root = document.getElementById("docs");
  try {
    const response = await fetch(SCHEMA_URL, { headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error(`${SCHEMA_URL} answered ${response.status}`);
    render(root, await response.json());
  } catch (error) {
    replace(root, h("p", { class: "error", role: "alert" }, `The API reference could not be loaded: ${error.message}`));
  }
}

main();
