// Reading an OpenAPI 3.1 document for the API reference page, without the DOM (unit-tested
// with Node): operations grouped by tag, schema references resolved, types described.

const METHODS = ["get", "put", "post", "delete", "patch", "head", "options", "trace"];

// [{tag, operations: [{method, path, operation}]}], tags in alphabetical order (untagged
// last), operations by path then method, as a reader scans a reference.
export function groupByTag(spec) {
  const groups = new Map();
  for (const [path, item] of Object.entries(spec.paths || {})) {
    for (const method of METHODS) {
      const operation = item[method];
      if (!operation) continue;
      const parameters = [...(item.parameters || []), ...(operation.parameters || [])];
      for (const tag of operation.tags?.length ? operation.tags : ["other"]) {
        if (!groups.has(tag)) groups.set(tag, []);
        groups.get(tag).push({ method, path, operation: { ...operation, parameters } });
      }
    }
  }
  const order = (a, b) => (a === "other") - (b === "other") || a.localeCompare(b);
  return [...groups.keys()].sort(order).map((tag) => ({
    tag,
    operations: groups.get(tag).sort((a, b) => a.path.localeCompare(b.path) || METHODS.indexOf(a.method) - METHODS.indexOf(b.method)),
  }));
}

// "#/components/schemas/MessageView" -> "MessageView" (null for anything else).
export function refName(schema) {
  const ref = schema?.$ref;
  return typeof ref === "string" && ref.startsWith("#/components/schemas/") ? ref.slice(21) : null;
}

export function resolve(spec, schema) {
  const name = refName(schema);
  return name ? spec.components?.schemas?.[name] || {} : schema || {};
}

// A type as parts: strings, and {ref: name} where a named schema is meant (the page links it).
// {type: ["null", "string"]} -> ["string", " | ", "null"]; arrays -> ["array of ", ...].
export function typeParts(schema) {
  if (!schema || typeof schema !== "object") return ["any"];
  const name = refName(schema);
  if (name) return [{ ref: name }];
  for (const [key, glue] of [["oneOf", " | "], ["anyOf", " | "], ["allOf", " & "]]) {
    if (Array.isArray(schema[key])) return join(schema[key].map(typeParts), glue);
  }
  if ("const" in schema) return [JSON.stringify(schema.const)];
  if (Array.isArray(schema.enum)) return [schema.enum.map((v) => JSON.stringify(v)).join(" | ")];
  const types = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];
  if (!types.length) return [schema.properties ? "object" : "any"];
  const nonNull = types.filter((t) => t !== "null");
  if (!nonNull.length) return ["null"];
  const parts = join(nonNull.map((t) => single(t, schema)), " | ");
  return nonNull.length < types.length ? [...parts, " | null"] : parts;
}

function single(type, schema) {
  if (type === "array") return ["array of ", ...typeParts(schema.items)];
  if (type === "object" && schema.additionalProperties && typeof schema.additionalProperties === "object" && Object.keys(schema.additionalProperties).length) {
    return ["map of ", ...typeParts(schema.additionalProperties)];
  }
  return [schema.format ? `${type} (${schema.format})` : type];
}

function join(lists, glue) {
  return lists.flatMap((parts, i) => (i ? [glue, ...parts] : parts));
}

// The rows of an object schema's table: [{name, type (parts), required, notes}].
export function properties(schema) {
  const required = new Set(schema?.required || []);
  return Object.entries(schema?.properties || {}).map(([name, property]) => ({
    name,
    type: typeParts(property),
    required: required.has(name),
    notes: notes(property),
  }));
}

// Description, default, limits: what a client author needs beside the type.
export function notes(schema) {
  if (!schema || typeof schema !== "object") return "";
  const found = [];
  if (schema.description) found.push(schema.description);
  if ("default" in schema) found.push(`default ${JSON.stringify(schema.default)}`);
  for (const [key, label] of [["minLength", "min length"], ["maxLength", "max length"], ["minimum", "min"], ["maximum", "max"], ["minItems", "min items"], ["maxItems", "max items"]]) {
    if (key in schema) found.push(`${label} ${schema[key]}`);
  }
  return found.join("; ");
}

// The content of a request body or response: [{mediaType, schema}].
export function contents(body) {
  return Object.entries(body?.content || {}).map(([mediaType, value]) => ({ mediaType, schema: value.schema }));
}
