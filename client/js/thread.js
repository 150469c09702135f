// The thread of a conversation beyond its messages: the team's notes (loaded per
// conversation, kept current by note.* events) and the two merged in time order.

import { micros } from "./reducer.js";

// Notes of a conversation: oldest first by (created_at, id), like messages.
function noteOrder(a, b) {
  const diff = micros(a.created_at) - micros(b.created_at);
  return diff !== 0 ? diff : a.id - b.id;
}

export function withNotes(state, conversationId, change) {
  const notes = state.notes[conversationId];
  if (!notes) return state;
  const items = change(notes.items.slice()).sort(noteOrder);
  return { ...state, notes: { ...state.notes, [conversationId]: { ...notes, items } } };
}

// A page of a conversation's notes (newest page first from the API), as addHistoryPage.
export function addNotesPage(state, conversationId, page) {
  const notes = state.notes[conversationId] || { items: [], older: null, loaded: false };
  const have = new Set(notes.items.map((n) => n.id));
  const items = notes.items.concat(page.items.filter((n) => !have.has(n.id))).sort(noteOrder);
  const older = notes.loaded && notes.older === null ? null : page.next_cursor;
  return { ...state, notes: { ...state.notes, [conversationId]: { items, older, loaded: true } } };
}

// A conversation's status changes (GET .../status-changes, then conversation.reopened).
export function addStatusChanges(state, conversationId, changes) {
  const have = state.statusChanges[conversationId] || [];
  const ids = new Set(have.map((c) => c.id));
  const items = have.concat(changes.filter((c) => !ids.has(c.id))).sort((a, b) => a.id - b.id);
  return { ...state, statusChanges: { ...state.statusChanges, [conversationId]: items } };
}

const RANK = { status: 0, message: 1, note: 2 };

// The thread as shown: messages and the notes written since the oldest message loaded
// (all of them once the history's beginning is reached), in time order; a customer's
// reopening is a line just before the message that reopened it.
export function timeline(state, conversationId) {
  const history = state.histories[conversationId];
  if (!history) return [];
  const notes = state.notes[conversationId]?.items || [];
  const oldest = history.messages.find((m) => !m.local);
  const from = history.older && oldest ? micros(oldest.sent_at) : -Infinity;
  const items = history.messages.map((m) => ({ kind: "message", at: m.local ? Infinity : micros(m.sent_at), id: m.id, item: m }));
  for (const n of notes) if (micros(n.created_at) >= from) items.push({ kind: "note", at: micros(n.created_at), id: n.id, item: n });
  for (const change of state.statusChanges?.[conversationId] || []) {
    const message = change.reason === "customer_message" && history.messages.find((m) => m.id === change.message_id);
    if (message) items.push({ kind: "status", at: micros(message.sent_at), id: change.id, item: change });
  }
  return items.sort((a, b) => a.at - b.at || RANK[a.kind] - RANK[b.kind]);
}

// Load a conversation's status changes once (events keep them current after).
export async function loadStatusChanges(store, api, conversationId) {
  if (store.state.statusChanges[conversationId]) return;
  const changes = await api.statusChanges(conversationId);
  store.update(addStatusChanges, conversationId, changes);
}

// Load a conversation's notes as far back as its loaded history goes (all of them once
// the history's beginning is reached): the first page, then older ones while needed.
export async function loadNotes(store, api, conversationId) {
  for (let pages = 0; pages < 50; pages++) {
    const notes = store.state.notes[conversationId];
    const history = store.state.histories[conversationId];
    if (notes && notes.older === null) return;
    if (notes && history?.older) {
      const oldestNote = notes.items[0];
      const oldestMessage = history.messages.find((m) => !m.local);
      if (!oldestNote || !oldestMessage || micros(oldestNote.created_at) < micros(oldestMessage.sent_at)) return;
    }
    const page = await api.notes(conversationId, notes?.older || undefined);
    store.update(addNotesPage, conversationId, page);
  }
}
