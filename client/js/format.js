// Formatting shared by the views; pure functions (unit-tested in Node).

export const TEXT_LIMIT_BYTES = 1000; // Meta's limit for a text reply, in UTF-8 bytes

const encoder = new TextEncoder();
export function utf8Bytes(text) {
  return encoder.encode(text || "").length;
}

export function contactName(contact) {
  if (!contact) return "Customer";
  return contact.display_name || contact.name || (contact.username ? `@${contact.username}` : "Instagram user");
}

export function initials(name) {
  const words = (name || "?").replace(/^@/, "").split(/[\s._]+/).filter(Boolean);
  return ((words[0]?.[0] || "?") + (words[1]?.[0] || "")).toUpperCase();
}

const pad = (n) => String(n).padStart(2, "0");

// Inbox times: 14:05 today, "Yesterday", a weekday within a week, else 3 May.
export function shortTime(iso, now = new Date()) {
  if (!iso) return "";
  const date = new Date(iso);
  const day = (d) => new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
  const days = Math.round((day(now) - day(date)) / 86400000);
  if (days <= 0) return `${pad(date.getHours())}:${pad(date.getMinutes())}`;
  if (days === 1) return "Yesterday";
  if (days < 7) return date.toLocaleDateString(undefined, { weekday: "short" });
  return date.toLocaleDateString(undefined, { day: "numeric", month: "short" });
}

export function fullTime(iso) {
  return iso ? new Date(iso).toLocaleString() : "";
}

// "5 h 12 min", "12 min", "40 s": how long is left, coarse enough to stay calm.
export function duration(ms) {
  if (ms <= 0) return "0 s";
  const minutes = Math.floor(ms / 60000);
  if (minutes >= 60 * 24) return `${Math.floor(minutes / 1440)} d ${Math.floor((minutes % 1440) / 60)} h`;
  if (minutes >= 60) return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
  if (minutes >= 1) return `${minutes} min`;
  return `${Math.ceil(ms / 1000)} s`;
}

// What can be sent now in a conversation (server/actions/replies.py decides; this explains).
// -> {mode: "open"|"human_agent"|"closed"|"account"|"held", until, message}
// "held": the account needs reconnecting; a reply is still taken, and held until then.
export function replyWindow(conversation, account, now = Date.now()) {
  if (account && account.status === "disconnected") {
    return { mode: "account", message: `@${account.username} is disconnected: nothing can be sent from it.` };
  }
  if (account && account.status === "reconnect_required") {
    const window = replyWindow(conversation, null, now);
    if (window.mode === "closed") return window;
    return { mode: "held", until: window.until, message: `Reconnect required: @${account.username} lost its connection to Instagram${account.status_reason ? ` (${account.status_reason})` : ""}. Replies sent now are held until an admin reconnects it.` };
  }
  const windowEnds = conversation.window_ends_at ? Date.parse(conversation.window_ends_at) : null;
  const humanEnds = conversation.human_agent_ends_at ? Date.parse(conversation.human_agent_ends_at) : null;
  if (windowEnds !== null && windowEnds > now) {
    return { mode: "open", until: windowEnds, message: `Reply window closes in ${duration(windowEnds - now)}` };
  }
  if (windowEnds === null) {
    return { mode: "closed", message: "The customer has not written yet: Instagram lets you reply only after their message." };
  }
  if (humanEnds !== null && humanEnds > now) {
    return { mode: "human_agent", until: humanEnds, message: `The 24-hour window has closed. You can still reply personally for ${duration(humanEnds - now)} (sent with Instagram's human agent tag; no automated messages).` };
  }
  return { mode: "closed", message: "You can't reply: the customer's last message is more than 7 days old. They have to write again first." };
}

const ATTACHMENT_LABELS = {
  image: "📷 Photo", video: "🎬 Video", audio: "🎤 Voice message", file: "📎 File",
  share: "Shared a post", ig_post: "Shared a post", ig_reel: "Shared a reel", reel: "Shared a reel",
  story_mention: "Mentioned you in their story", story: "Shared a story", ig_story: "Shared a story",
  media: "Shared media", like_heart: "❤️",
};

// One line for the inbox and notifications.
export function preview(message) {
  if (!message) return "";
  if (message.deleted) return "Message unsent";
  if (message.kind === "postback") return `Tapped “${message.payload?.title || message.text || "a button"}”`;
  if (message.kind === "referral") return "Opened the conversation from a link or ad";
  if (message.kind === "optin") return `Opted in: ${message.payload?.title || message.text || ""}`;
  if (message.kind === "handover") return "Conversation control changed";
  if (message.kind === "unknown" || (message.unsupported && !message.text && !message.attachments?.length)) return "Unsupported message";
  if (message.reply_to_story && message.text) return `Replied to your story: ${message.text}`;
  if (message.text) return message.text;
  const first = message.attachments?.[0];
  if (!first) return "";
  const count = message.attachments.length;
  if (first.type === "image" && count > 1) return `📷 ${count} photos`;
  return ATTACHMENT_LABELS[first.type] || "Unsupported attachment";
}

export const STATUS_TEXT = {
  pending: "Waiting to send",
  sending: "Sending…",
  sent: "Sent",
  delivered: "Delivered",
  read: "Read",
  failed: "Not sent",
  unknown: "Outcome unknown: Instagram may or may not have received it (the connection broke mid-send). Check the conversation in Instagram before sending again.",
};

export function newClientId() {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return "c" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

// "12.4 MB": a file's size for people (decimal units, as file managers show them).
export function byteSize(bytes) {
  if (bytes == null) return "";
  if (bytes < 1000) return `${bytes} B`;
  const units = ["kB", "MB", "GB", "TB"];
  let value = bytes / 1000;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}
