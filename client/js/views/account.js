// Your account: who you are in this workspace, and changing your password. The change ends
// every other session of yours, in every workspace; this one stays signed in.

import { h, replace, toast } from "../dom.js";

// ctx: {api, me: () => me}
export function createAccountView(ctx) {
  const el = h("section", { class: "page account", "aria-labelledby": "account-title" });

  function passwordForm() {
    const result = h("p", { class: "error", role: "alert" });
    const field = (name, label, autocomplete) =>
      h("label", {}, label, " ", h("input", { name, type: "password", required: true, autocomplete }));
    const form = h("form", { class: "card form", "aria-labelledby": "password-title", onsubmit: submit },
      h("h2", { id: "password-title" }, "Change password"),
      field("current_password", "Current password", "current-password"),
      field("new_password", "New password (at least 12 characters)", "new-password"),
      field("repeat", "Repeat the new password", "new-password"),
      result,
      h("button", { type: "submit", class: "primary" }, "Change password"));

    async function submit(event) {
      event.preventDefault();
      const data = Object.fromEntries(new FormData(form));
      result.textContent = "";
      if (data.new_password !== data.repeat) {
        result.textContent = "The two new passwords differ.";
        form.elements.repeat.focus();
        return;
      }
      const button = form.querySelector("button[type=submit]");
      button.disabled = true;
      try {
        await ctx.api.changePassword(data.current_password, data.new_password);
        form.reset();
        toast("Password changed. Your other sessions were signed out.");
      } catch (error) {
        result.textContent = error.message;
        form.elements[error.field]?.focus();
      } finally {
        button.disabled = false;
      }
    }
    return form;
  }

  return {
    el,
    show() {
      const me = ctx.me();
      replace(el, h("h1", { id: "account-title" }, "Your account"),
        h("p", {}, h("strong", {}, me.user.name || me.user.email), " ", h("span", { class: "muted" }, `${me.user.email} · ${me.role} in ${me.workspace.name}`)),
        passwordForm());
    },
  };
}
