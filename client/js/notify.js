// The title badge (unread conversations assigned to me) and, when allowed, a desktop
// notification for a new customer message in one of my conversations.

import { contactName, preview } from "./format.js";
import { myUnread } from "./store.js";

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
