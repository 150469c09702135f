// One item of a conversation, rendered the way Instagram shows it: text, media, shares,
// stories (with a placeholder once the media is gone), hearts, replies with the quoted
// message, edits, unsends, reactions, and the system items (postbacks, referrals, opt-ins).

import { h } from "../dom.js";
import { fullTime, preview, shortTime, STATUS_TEXT } from "../format.js";
import { safeUrl } from "../urls.js";

const SYSTEM_KINDS = new Set(["postback", "referral", "optin", "handover", "unknown"]);

// ctx: {byMid(mid) -> message|null, authorName(id), onRetry(m), onReact(m, emoji|null),
//       canReact(m), myReaction(m)}
export function renderMessage(message, ctx) {
  if (SYSTEM_KINDS.has(message.kind)) return renderSystem(message);
  const ours = message.direction === "out";
  const item = h("li", {
    class: `msg ${ours ? "msg-out" : "msg-in"}${message.deleted ? " msg-deleted" : ""}`,
    "aria-label": `${ours ? "Sent" : "Received"} ${fullTime(message.sent_at)}`,
  });
  const bubble = h("div", { class: "bubble" });
  if (ours && message.author_id && ctx.authorName) {
    bubble.append(h("div", { class: "author" }, ctx.authorName(message.author_id)));
  } else if (ours && message.source === "instagram_app") {
    bubble.append(h("div", { class: "author" }, "Sent from the Instagram app"));
  }
  if (message.referral) bubble.append(renderAd(message.referral));
  if (message.reply_to_story) bubble.append(renderStory(message.reply_to_story, "Replied to your story"));
  if (message.reply_to_mid) bubble.append(renderQuote(message.reply_to_mid, ctx));
  if (message.deleted) {
    bubble.append(h("p", { class: "unsent" }, ours ? "Message unsent" : "The customer unsent this message"));
  } else {
    bubble.append(...renderAttachments(message));
    if (message.text) bubble.append(h("p", { class: "text" }, message.text));
    if (message.unsupported && !message.text && !(message.attachments || []).some((a) => a.supported !== false)) {
      bubble.append(h("p", { class: "unsupported" }, "This message type isn't supported here yet. Open Instagram to see it."));
    }
  }
  if (message.quick_reply_payload) bubble.append(h("div", { class: "chip" }, `Quick reply: ${message.quick_reply_payload}`));
  item.append(bubble);
  if (message.reactions?.length) item.append(renderReactions(message.reactions));
  const meta = renderMeta(message, ctx);
  if (!ours && !message.deleted && ctx.canReact?.(message)) meta.append(renderReactButton(message, ctx));
  item.append(meta);
  return item;
}

function renderMeta(message, ctx) {
  const meta = h("div", { class: "meta" }, h("time", { datetime: message.sent_at, title: fullTime(message.sent_at) }, shortTime(message.sent_at)));
  if (message.edit_count > 0 && !message.deleted) meta.append(renderEdits(message));
  if (message.standby) meta.append(h("span", { class: "chip", title: "Received while another app held the conversation" }, "standby"));
  if (message.direction === "out") meta.append(renderStatus(message, ctx));
  return meta;
}

function renderEdits(message) {
  // "Edited" opens the earlier versions on demand (a native disclosure: keyboard and
  // screen readers work as they should).
  const earlier = (message.edits || []).map((edit) => h("li", {}, edit.text ?? "(no text)"));
  return h("details", { class: "edits" }, h("summary", {}, "Edited"), earlier.length ? h("ol", { "aria-label": "Earlier versions" }, earlier) : h("p", {}, "Earlier versions are not available."));
}

const TICKS = { pending: "🕓", sending: "🕓", sent: "✓", delivered: "✓✓", read: "✓✓", failed: "!", unknown: "?" };

export function renderStatus(message, ctx) {
  const status = message.status || "pending";
  const wrap = h("span", { class: `status status-${status}`, "data-status": status });
  wrap.append(h("span", { class: "tick", "aria-hidden": "true", title: STATUS_TEXT[status] || status }, TICKS[status] || ""));
  if (status === "failed") {
    wrap.append(h("span", { class: "reason", role: "alert" }, `Not sent: ${message.status_reason || "unknown reason"}`));
    wrap.append(h("button", { type: "button", class: "link retry", onclick: () => ctx.onRetry?.(message) }, "Retry"));
  } else if (status === "unknown") {
    wrap.append(h("span", { class: "reason" }, STATUS_TEXT.unknown));
  } else if (status === "pending" && message.status_reason) {
    // Why it waits: "held: reconnect required ...", or a retry after Meta's throttling.
    wrap.append(h("span", { class: "reason waiting" }, message.status_reason));
  } else {
    wrap.append(h("span", { class: "visually-hidden" }, STATUS_TEXT[status] || status));
  }
  return wrap;
}

function renderReactions(reactions) {
  return h("ul", { class: "reactions", "aria-label": "Reactions" }, reactions.map((r) => h("li", { title: r.reactor_kind === "user" ? "Our reaction" : "Customer's reaction" }, r.emoji || (r.reaction === "love" ? "❤️" : r.reaction))));
}

function renderReactButton(message, ctx) {
  const mine = ctx.myReaction?.(message);
  return h("button", {
    type: "button", class: "react", "aria-pressed": mine ? "true" : "false",
    "aria-label": mine ? "Remove your heart reaction" : "React with a heart",
    onclick: () => ctx.onReact?.(message, mine ? null : "❤️"),
  }, mine ? "💔" : "❤️");
}

function renderQuote(mid, ctx) {
  const quoted = ctx.byMid?.(mid);
  return h("blockquote", { class: "quote" }, quoted ? preview(quoted) : "Replying to an earlier message");
}

function mediaGone(event) {
  const img = event.target;
  img.replaceWith(h("div", { class: "media-gone" }, img.dataset.gone || "Media no longer available"));
}

function unavailable(text) {
  return h("div", { class: "media-gone" }, text);
}

// Every src and href below goes through safeUrl: an unsafe URL renders as "unavailable".
function image(url, alt, gone) {
  const src = safeUrl(url);
  if (!src) return unavailable(gone);
  return h("img", { src, alt, loading: "lazy", "data-gone": gone, onerror: mediaGone, referrerpolicy: "no-referrer" });
}

function renderStory(story, label) {
  return h("figure", { class: "story" }, h("figcaption", {}, label),
    image(story.url, "The story", "Story no longer available"));
}

function renderAd(referral) {
  const ads = referral.ads_context_data || {};
  return h("div", { class: "ad" },
    h("div", { class: "ad-label" }, referral.source === "ADS" || referral.ad_id ? "From an ad" : "From a link"),
    ads.photo_url ? image(ads.photo_url, ads.ad_title || "The ad", "Ad image no longer available") : null,
    h("strong", {}, ads.ad_title || referral.ref || ""));
}

function renderAttachments(message) {
  const attachments = message.attachments || [];
  const images = attachments.filter((a) => a.type === "image" && safeUrl(a.url));
  const nodes = [];
  if (images.length) {
    nodes.push(h("div", { class: `gallery gallery-${Math.min(images.length, 4)}` },
      images.map((a, i) => h("a", { href: safeUrl(a.url), target: "_blank", rel: "noopener noreferrer" }, image(a.url, `Photo ${i + 1} of ${images.length}`, "Photo no longer available")))));
  }
  for (const a of attachments) {
    if (a.type === "image" && safeUrl(a.url)) continue;
    nodes.push(renderAttachment(a));
  }
  return nodes;
}

function renderAttachment(a) {
  if (a.supported === false) return h("p", { class: "unsupported" }, `Unsupported attachment (${a.type}). Open Instagram to see it.`);
  const url = safeUrl(a.url);
  switch (a.type) {
    case "image":
      return unavailable("Photo no longer available");
    case "video":
      return url ? h("video", { src: url, controls: true, preload: "metadata", class: "media" }) : unavailable("Video no longer available");
    case "audio":
      return url ? h("audio", { src: url, controls: true, preload: "none", "aria-label": "Voice message" }) : unavailable("Voice message no longer available");
    case "file":
      return url ? h("a", { class: "file", href: url, target: "_blank", rel: "noopener noreferrer" }, "📎 ", a.title || "Download the file") : unavailable(`File no longer available${a.title ? `: ${a.title}` : ""}`);
    case "like_heart":
      return h("div", { class: "heart", role: "img", "aria-label": "Heart sticker" }, "❤️");
    case "story_mention":
      return renderStory({ url: a.url }, "Mentioned you in their story");
    case "story":
    case "ig_story":
      return renderStory({ url: a.url }, "Shared a story");
    case "share":
    case "ig_post":
    case "media":
      return renderShare(a, "Shared post");
    case "ig_reel":
    case "reel":
      return renderShare(a, "Shared reel");
    default:
      return h("p", { class: "unsupported" }, `Attachment: ${a.type}`);
  }
}

function renderShare(a, label) {
  const url = safeUrl(a.url);
  const parts = [
    h("span", { class: "share-label" }, label),
    url ? image(url, a.title || label, `${label}: no longer available`) : unavailable(`${label}: no longer available`),
    a.title ? h("span", { class: "share-title" }, a.title) : null,
  ];
  return url ? h("a", { class: "share", href: url, target: "_blank", rel: "noopener noreferrer" }, parts) : h("div", { class: "share" }, parts);
}

function renderSystem(message) {
  const p = message.payload || {};
  let text;
  if (message.kind === "postback") text = `Tapped “${p.title || message.text || "a button"}”${p.payload ? ` (${p.payload})` : ""}`;
  else if (message.kind === "referral") {
    const ad = p.ads_context_data || message.referral?.ads_context_data;
    text = ad?.ad_title ? `Came from the ad “${ad.ad_title}”` : `Opened the conversation from ${p.source ? p.source.toLowerCase() : "a link"}${p.ref ? ` (ref ${p.ref})` : ""}`;
  } else if (message.kind === "optin") text = `Opted in to “${p.title || message.text || p.payload || "messages"}”`;
  else if (message.kind === "handover") text = `Conversation control ${(p.action || "changed").replaceAll("_", " ")}`;
  else text = "An event this inbox can't show yet arrived (kept for reference).";
  return h("li", { class: `msg msg-system kind-${message.kind}` },
    h("span", {}, text), " ", h("time", { datetime: message.sent_at, title: fullTime(message.sent_at) }, shortTime(message.sent_at)));
}
