// The title badge (unread conversations assigned to me) and, when allowed, a desktop
// notification for a new customer message in one of my conversations, or for a note that
// mentions me.

import { notePlainText } from "./composing.js";
import { contactName, preview } from "./format.js";
import { member, myUnread } from "./store.js";

export function updateTitle(state) {
  const count = myUnread(state);
  const title = count ? `(${count}) Wazify` : "Wazify";
  if (document.title !== title) document.title = title;
}

export function notifyIfMine(state, event, openId) {
  if (event.type !== "message.created" || event.message.direction !== "in") return;
  const conversation = event.conversation;
  if (!state.me || conversation.assignee_id !== state.me.user.id) return;
  if (openId === conversation.id) return; // already looking at it
  if (!("Notification" in globalThis) || Notification.permission !== "granted") return;
  const note = new Notification(contactName(conversation.contact), { body: preview(event.message), tag: `conversation-${conversation.id}` });
  note.onclick = () => {
    window.focus();
    location.hash = `#/c/${conversation.id}`;
    note.close();
  };
}

export function notifyMention(state, event, openId) {
  if (event.type !== "note.created" || !state.me) return;
  const note = event.note;
  const me = state.me.user.id;
  if (!note.mentions.includes(me) || note.author_id === me) return;
  if (openId === note.conversation_id) return; // already looking at it
  if (!("Notification" in globalThis) || Notification.permission !== "granted") return;
  const name = (uid) => member(state, uid)?.name || "someone";
  const where = state.known[note.conversation_id];
  const title = `${name(note.author_id)} mentioned you${where ? ` about ${contactName(where.contact)}` : ""}`;
  const alert = new Notification(title, { body: notePlainText(note.text, name), tag: `note-${note.id}` });
  alert.onclick = () => {
    window.focus();
    location.hash = `#/c/${note.conversation_id}`;
    alert.close();
  };
}
