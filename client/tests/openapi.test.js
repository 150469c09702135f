import assert from "node:assert/strict";
import { test } from "node:test";

import { contents, groupByTag, notes, properties, refName, resolve, typeParts } from "../api-docs/openapi.js";

const spec = {
  paths: {
    "/api/v1/me": { get: { tags: ["auth"], operationId: "Me", responses: {} } },
    "/api/v1/conversations/{conversation_id}": {
      parameters: [{ name: "conversation_id", in: "path", required: true, schema: { type: "integer" } }],
      patch: { tags: ["conversations"], operationId: "Update", responses: {} },
      get: { tags: ["conversations"], operationId: "Get", parameters: [{ name: "x", in: "query", schema: { type: "string" } }], responses: {} },
    },
    "/healthz": { get: { operationId: "Health", responses: {} } },
  },
  components: { schemas: { MessageView: { type: "object", required: ["id"], properties: { id: { type: "integer" }, text: { type: ["null", "string"], maxLength: 1000 } } } } },
};

test("operations are grouped by tag, untagged last, path-level parameters kept", () => {
  const groups = groupByTag(spec);
  assert.deepEqual(groups.map((g) => g.tag), ["auth", "conversations", "other"]);
  const conversations = groups[1].operations;
  assert.deepEqual(conversations.map((o) => o.method), ["get", "patch"]);
  assert.deepEqual(conversations[0].operation.parameters.map((p) => p.name), ["conversation_id", "x"]);
  assert.deepEqual(conversations[1].operation.parameters.map((p) => p.name), ["conversation_id"]);
});

test("types read the way a client author thinks of them", () => {
  assert.deepEqual(typeParts({ $ref: "#/components/schemas/MessageView" }), [{ ref: "MessageView" }]);
  assert.deepEqual(typeParts({ type: ["null", "string"] }).join(""), "string | null");
  assert.deepEqual(typeParts({ oneOf: [{ type: "string" }, { type: "null" }] }).join(""), "string | null");
  assert.deepEqual(typeParts({ type: "array", items: { $ref: "#/components/schemas/MessageView" } }), ["array of ", { ref: "MessageView" }]);
  assert.equal(typeParts({ type: "string", format: "date-time" }).join(""), "string (date-time)");
  assert.equal(typeParts({ enum: ["open", "pending"] }).join(""), '"open" | "pending"');
  assert.equal(typeParts({ type: "object", additionalProperties: { type: "integer" } }).join(""), "map of integer");
  assert.equal(typeParts(undefined).join(""), "any");
});

test("object schemas become field rows with their constraints", () => {
  const message = resolve(spec, { $ref: "#/components/schemas/MessageView" });
  const rows = properties(message);
  assert.deepEqual(rows.map((r) => [r.name, r.type.join(""), r.required, r.notes]), [
    ["id", "integer", true, ""],
    ["text", "string | null", false, "max length 1000"],
  ]);
  assert.equal(notes({ type: "integer", default: 50, description: "page size" }), "page size; default 50");
  assert.equal(refName({ $ref: "http://elsewhere/x" }), null);
  assert.deepEqual(contents({ content: { "application/json": { schema: { type: "string" } } } }), [{ mediaType: "application/json", schema: { type: "string" } }]);
});
