// Contact pictures (Instagram's CDN URLs expire: fall back to initials) and presence dots.
import { h } from "../dom.js";
import { initials } from "../format.js";
import { safeUrl } from "../urls.js";

export function avatar(name, url, size = "md") {
  const fallback = h("span", { class: `avatar avatar-${size}`, "aria-hidden": "true" }, initials(name));
  const src = safeUrl(url);
  if (!src) return fallback;
  return h("img", {
    class: `avatar avatar-${size}`, src, alt: "", loading: "lazy", referrerpolicy: "no-referrer",
    onerror: (e) => e.target.replaceWith(fallback),
  });
}

export function presenceDot(state) {
  const label = { online: "online", away: "away", offline: "offline" }[state] || "offline";
  return h("span", { class: `dot dot-${label}`, role: "img", "aria-label": label, title: label });
}
