// Sign-in. After an expired session it says so; drafts are in localStorage and the route
// is kept, so signing in again goes back to the same conversation with the text intact.

import { h } from "../dom.js";

// onSubmit(email, password, workspace) -> Promise (throws ApiError)
// notice, email, workspace: after joining a workspace, say so and fill in what is known.
export function createLogin({ expired, onSubmit, notice, email, workspace }) {
  const error = h("p", { class: "error", role: "alert", id: "login-error" });
  const workspaceField = h("label", { hidden: !workspace }, "Workspace ", h("input", { name: "workspace", autocomplete: "organization", value: workspace }));
  const form = h("form", { class: "login card", "aria-labelledby": "login-title", onsubmit: submit },
    h("h1", { id: "login-title" }, "Sign in to Wazify"),
    expired ? h("p", { class: "notice" }, "Your session ended. Sign in again: your drafts are kept.") : null,
    notice ? h("p", { class: "notice", role: "status" }, notice) : null,
    h("label", {}, "Email ", h("input", { name: "email", type: "email", required: true, autocomplete: "username", autofocus: !email, value: email })),
    h("label", {}, "Password ", h("input", { name: "password", type: "password", required: true, autocomplete: "current-password", autofocus: Boolean(email) })),
    workspaceField, error,
    h("button", { type: "submit", class: "primary" }, "Sign in"));

  async function submit(event) {
    event.preventDefault();
    const data = Object.fromEntries(new FormData(form));
    const button = form.querySelector("button");
    button.disabled = true;
    error.textContent = "";
    try {
      await onSubmit(data.email, data.password, data.workspace || undefined);
    } catch (failure) {
      // Several workspaces: the server asks which one.
      if (failure.field === "workspace") workspaceField.hidden = false;
      error.textContent = failure.message;
      button.disabled = false;
    }
  }

  return h("main", { class: "login-page" }, form);
}
