// What an agent does, as calls to the API with the store updated around them. Replies are
// optimistic: shown at once as pending, replaced by the server's row (matched by client_id).

import { toast } from "./dom.js";
import { newClientId } from "./format.js";
import * as S from "./store.js";
import { loadNotes, withNotes } from "./thread.js";

export function createActions({ store, api, live }) {
  const me = () => store.state.me;
  const attempt = (call, done) => call().then(() => done && toast(done)).catch((error) => error.status !== 401 && toast(error.message, "error"));
  return {
    claim: (id) => attempt(() => api.claim(id)),
    assign: (id, userId) => attempt(() => api.assign(id, userId), "Reassigned"),
    assignToMe(c) {
      if (!c) return;
      if (c.assignee_id == null) return attempt(() => api.claim(c.id), "Assigned to you");
      if (me().role !== "agent") return attempt(() => api.assign(c.id, me().user.id), "Assigned to you");
      toast("This conversation is someone else's: ask a supervisor to reassign it.", "error");
    },
    unassign: (id) => attempt(() => api.unassign(id), "Unassigned"),
    setStatus: (id, status, until) => attempt(() => api.setStatus(id, status, until), { resolved: "Resolved", pending: "Snoozed", open: "Reopened" }[status]),
    typing: (id) => live()?.send({ type: "typing", conversation_id: id }),
    back: () => (location.hash = "#/inbox"),
    loadOlder: async (id) => {
      const history = store.state.histories[id];
      if (!history?.older) return;
      try {
        store.update(S.addHistoryPage, id, await api.messages(id, history.older));
        await loadNotes(store, api, id);
      } catch (error) {
        if (error.status !== 401) toast(`Couldn't load earlier messages: ${error.message}`, "error");
      }
    },
    // An image, video or audio file from the composer: the server checks and stores it,
    // then it is a pending reply like any other (its status follows as message.updated).
    async sendFile(id, file) {
      try {
        store.update(S.acceptSentMessage, await api.upload(id, file, newClientId()));
        return "sent";
      } catch (error) {
        if (error.status !== 401) toast(`Couldn't send ${file.name}: ${error.message}`, "error");
        return "failed";
      }
    },
    // Shown at once as pending; the server's row replaces it (by client_id) when it comes.
    // Returns "restore" when the text must go back into the composer (session ended), or
    // {collision} when a teammate replied or it was reassigned since `guard.seen` (the
    // composer asks, then sends again with guard.force).
    async send(id, text, cannedId = null, guard = {}) {
      const clientId = newClientId();
      store.update(S.addLocalMessage, id, { clientId, text, authorId: me().user.id });
      try {
        const body = { text, client_id: clientId, ...(cannedId ? { canned_response_id: cannedId } : {}) };
        if (guard.seen) Object.assign(body, { seen: guard.seen, force: Boolean(guard.force) });
        store.update(S.acceptSentMessage, await api.send(id, body));
        return "sent";
      } catch (error) {
        if (error.status === 401 || error.code === "collision") {
          store.update(S.dropLocalMessage, id, clientId);
          return error.status === 401 ? "restore" : { collision: error.details?.changes || [] };
        }
        store.update(S.failLocalMessage, id, clientId, error.message);
        return "failed";
      }
    },
    async retry(message) {
      if (message.local) {
        store.update(S.dropLocalMessage, message.conversation_id, message.client_id);
        return this.send(message.conversation_id, message.text);
      }
      try {
        store.update(S.acceptSentMessage, await api.retry(message.conversation_id, message.id));
      } catch (error) {
        if (error.status !== 401) toast(`Retry failed: ${error.message}`, "error");
      }
    },
    react: (message, emoji) => attempt(() => api.react(message.conversation_id, message.id, { emoji })),
    // On the person's request: everything of theirs goes, for every agent, at once.
    eraseContact(contact, name) {
      const ok = confirm(`Erase ${name}? Their conversations, messages and contact details are permanently deleted for everyone. This cannot be undone.`);
      if (ok) return attempt(() => api.eraseContact(contact.id), `${name} was erased`);
    },
    // A note shows when the server took it (note.created, or the answer, whichever comes
    // first). Returns "sent", "restore" (session ended: keep the text) or "failed".
    async sendNote(id, text) {
      try {
        const note = await api.createNote(id, text);
        store.update((s) => withNotes(s, id, (items) => items.filter((n) => n.id !== note.id).concat([note])));
        return "sent";
      } catch (error) {
        if (error.status === 401) return "restore";
        toast(`The note was not saved: ${error.message}`, "error");
        return "failed";
      }
    },
    deleteNote: (note) => attempt(() => api.deleteNote(note.id), "Note deleted"),
    // The note as the server took it, or null.
    async editNote(note, text) {
      try {
        const edited = await api.editNote(note.id, text);
        store.update((s) => withNotes(s, note.conversation_id, (items) => items.map((n) => (n.id === edited.id ? edited : n))));
        return edited;
      } catch (error) {
        if (error.status !== 401) toast(`The note was not saved: ${error.message}`, "error");
        return null;
      }
    },
    // The contact's name as the team calls it ("" goes back to Meta's) or the note about
    // them; everyone sees it through contact.updated. Resolves to the contact or null.
    async correctContact(contactId, fields, done) {
      try {
        const contact = await api.updateContact(contactId, fields);
        if (done) toast(done);
        return contact;
      } catch (error) {
        if (error.status !== 401) toast(`Not saved: ${error.message}`, "error");
        return null;
      }
    },
    addLabel: (id, labelId) => attempt(() => api.addLabel(id, labelId)),
    removeLabel: (id, labelId) => attempt(() => api.removeLabel(id, labelId)),
    readMentions: (body) => api.readMentions(body).catch(() => {}),
  };
}
