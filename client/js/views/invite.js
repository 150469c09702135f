// Accepting an invitation: the link an admin sends (#/invite/<secret>; in the fragment, so
// the secret never reaches a server log or a Referer). Someone new chooses a password.
// Someone who already has an account on this server proves it is theirs: with its password,
// or, signed in as that account, with one click. Nothing else can attach an account to
// another workspace.

import { h, replace } from "../dom.js";

// token: the link's secret; me: GET /api/v1/me when signed in, else null;
// onJoined(accepted): the member and the workspace joined (POST .../invitations/accept).
export function createInvite({ api, token, me, onJoined }) {
  const error = h("p", { class: "error", role: "alert" });
  const card = h("section", { class: "login card invite", "aria-labelledby": "invite-title" });

  async function accept(body, button) {
    button.disabled = true;
    error.textContent = "";
    try {
      onJoined(await api.acceptInvitation({ token, ...body }));
    } catch (failure) {
      error.textContent = failure.message;
      button.disabled = false;
    }
  }

  const form = h("form", { class: "form", onsubmit: (event) => {
    event.preventDefault();
    const data = Object.fromEntries(new FormData(form));
    accept({ password: data.password, ...(data.name ? { name: data.name } : {}) }, form.querySelector("button"));
  } },
  h("label", {}, "Your name ", h("input", { name: "name", autocomplete: "name" })),
  h("label", {}, "Password ", h("input", { name: "password", type: "password", required: true, autocomplete: "current-password" })),
  h("p", { class: "hint" }, "New to Wazify? Choose a password (at least 12 characters). Already have an account on this server? Enter its password: it stays as it is."),
  h("button", { type: "submit", class: "primary" }, "Join"));

  const signedIn = me ? h("div", { class: "signed-in" },
    h("p", {}, "You are signed in as ", h("strong", {}, me.user.email), "."),
    h("button", { type: "button", class: "primary", onclick: (event) => accept({}, event.target) }, `Join as ${me.user.email}`),
    h("p", { class: "hint" }, "Invited under another email? Enter that account's password, or a new one, below.")) : null;

  replace(card, h("h1", { id: "invite-title" }, "Join a workspace"), signedIn, form, error);
  return h("main", { class: "login-page" }, card);
}
