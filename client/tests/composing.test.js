import assert from "node:assert/strict";
import { test } from "node:test";

import {
  fillPlaceholders, matchCanned, matchMembers, mentionTokens, noteParts, notePlainText,
  placeholderValues, splice, triggerAt, unfilledPlaceholders,
} from "../js/composing.js";

const ME = { user: { id: 1, name: "Alex Morgan", email: "alex@shop.example" }, workspace: { id: 1, name: "Linen Studio" } };
const TEAM = [
  { user_id: 1, name: "Alex Morgan", email: "alex@shop.example", active: true },
  { user_id: 2, name: "Bea", email: "bea@shop.example", active: true },
  { user_id: 3, name: "Bea Lopez", email: "bl@shop.example", active: true },
  { user_id: 4, name: "Gone", email: "gone@shop.example", active: false },
];

test("a trigger counts at the start of the text or of a word, up to the caret", () => {
  assert.deepEqual(triggerAt("/than", 5, "/"), { start: 0, query: "than" });
  assert.deepEqual(triggerAt("hello @be", 9, "@"), { start: 6, query: "be" });
  assert.deepEqual(triggerAt("hello @", 7, "@"), { start: 6, query: "" });
  assert.equal(triggerAt("mail me@x", 9, "@"), null); // inside a word
  assert.equal(triggerAt("and/or", 6, "/"), null);
  assert.equal(triggerAt("@bea hi", 7, "@"), null); // a space ended the word
  assert.deepEqual(triggerAt("/than and more", 5, "/"), { start: 0, query: "than" });
  assert.deepEqual(splice("say /th now", 4, 7, "Hello"), { text: "say Hello now", caret: 9 });
});

test("placeholders are filled, with fallbacks, and unknown ones are left and listed", () => {
  const values = placeholderValues({ contact: { name: "Alice Martin", username: "alice.m", display_name: "" }, me: ME });
  const text = "Hi {{contact.first_name}} ({{ contact.username }}), {{agent.first_name}} from {{workspace.name}} here. {{order.id}}";
  assert.deepEqual(fillPlaceholders(text, values), {
    text: "Hi Alice (alice.m), Alex from Linen Studio here. {{order.id}}",
    unfilled: ["{{order.id}}"],
  });
  const nameless = placeholderValues({ contact: { name: "", username: "", display_name: "" }, me: ME });
  const filled = fillPlaceholders("Hi {{contact.first_name}}, {{contact.name}} @{{contact.username}}", nameless);
  assert.deepEqual(filled, { text: "Hi there, there @{{contact.username}}", unfilled: ["{{contact.username}}"] });
  const onlyUsername = placeholderValues({ contact: { name: "", username: "bruno.c", display_name: "" }, me: ME });
  assert.equal(fillPlaceholders("{{contact.first_name}} / {{contact.name}}", onlyUsername).text, "bruno.c / @bruno.c");
  const renamed = placeholderValues({ contact: { name: "Alice Martin", username: "a", display_name: "Dr Alice" }, me: ME });
  assert.equal(fillPlaceholders("{{contact.name}}", renamed).text, "Dr Alice"); // the team's name wins
  assert.deepEqual(unfilledPlaceholders("a {{x}} b {{ y.z }}"), ["{{x}}", "{{ y.z }}"]);
});

test("canned responses match by shortcut prefix first, then anywhere", () => {
  const responses = [
    { id: 1, shortcut: "thanks", text: "Thank you!" },
    { id: 2, shortcut: "shipping", text: "We ship in 3 days" },
    { id: 3, shortcut: "hours", text: "Open 9 to 5; thanks for asking" },
  ];
  assert.deepEqual(matchCanned(responses, "sh").map((r) => r.id), [2]);
  assert.deepEqual(matchCanned(responses, "thank").map((r) => r.id), [1, 3]);
  assert.deepEqual(matchCanned(responses, "").map((r) => r.id), [3, 2, 1]);
  assert.deepEqual(matchCanned(responses, "zzz"), []);
});

test("mentions: active members other than me, turned into tokens for the server", () => {
  assert.deepEqual(matchMembers(TEAM, "be", 1).map((m) => m.user_id), [2, 3]);
  assert.deepEqual(matchMembers(TEAM, "lo", 1).map((m) => m.user_id), [3]); // a later word
  assert.deepEqual(matchMembers(TEAM, "go", 1), []); // deactivated
  const picked = [["@Bea Lopez", 3]];
  assert.equal(mentionTokens("@Bea Lopez and @Bea, cc @Alex Morgan.", picked, TEAM), "<@3> and <@2>, cc <@1>.");
  assert.equal(mentionTokens("@Beatrice is not Bea", [], TEAM), "@Beatrice is not Bea");
  assert.deepEqual(noteParts("hi <@2>, see <@3>"), ["hi ", { userId: 2 }, ", see ", { userId: 3 }]);
  assert.equal(notePlainText("<@2> look", (id) => ({ 2: "Bea" })[id]), "@Bea look");
});
