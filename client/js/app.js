// The app: signs in, loads the snapshot, runs the live stream into the store, routes
// (#/inbox, #/c/<id>, #/team, #/reports, #/admin/<tab>, #/account) and renders the views from the
// store. An invitation link (#/invite/<secret>) is answered before anything else.

import { createActions } from "./actions.js";
import { createApi } from "./api.js";
import { h, replace, toast } from "./dom.js";
import { notifyIfMine, notifyMention, updateTitle } from "./notify.js";
import { installShortcuts } from "./shortcuts.js";
import { LiveSocket } from "./socket.js";
import * as S from "./store.js";
import { createAccountView } from "./views/account.js";
import { loadNotes, loadStatusChanges } from "./thread.js";
import { createAdminView } from "./views/admin.js";
import { presenceDot } from "./views/avatar.js";
import { createCannedView } from "./views/canned.js";
import { createConversationView } from "./views/conversation.js";
import { createInbox } from "./views/inbox.js";
import { createInvite } from "./views/invite.js";
import { createLogin } from "./views/login.js";
import { createMentionsView } from "./views/mentions.js";
import { createReportsView } from "./views/reports.js";
import { createTeamView } from "./views/team.js";

const api = createApi();
const store = S.createStore();
const root = document.getElementById("app");
let live = null;
let ui = null;

api.onUnauthorized(() => signedOut(true));

async function start() {
  const me = await api.me().catch(() => null);
  const token = inviteToken();
  if (token) return showInvite(token, me);
  try {
    if (me) return await enter(me);
  } catch {
    // fall through to the sign-in
  }
  showLogin(false);
}

function inviteToken() {
  return location.hash.match(/^#\/invite\/([A-Za-z0-9_-]+)$/)?.[1] || null;
}

// options: {notice, email, workspace} to prefill after joining a workspace.
function showLogin(expired, options = {}) {
  ui?.destroy();
  ui = null;
  replace(root, createLogin({
    expired,
    ...options,
    onSubmit: async (email, password, workspace) => enter(await api.login(email, password, workspace)),
  }));
}

function showInvite(token, me) {
  live?.stop();
  live = null;
  ui?.destroy();
  ui = null;
  if (me) api.setCsrf(me.csrf_token); // a signed-in acceptance is a cookie request
  replace(root, createInvite({
    api, token, me,
    onJoined: (joined) => {
      history.replaceState(null, "", "#/inbox"); // the used secret leaves the address bar
      showLogin(false, {
        notice: `You joined ${joined.workspace.name}. Sign in to it to start.`,
        email: joined.email,
        workspace: joined.workspace.slug,
      });
    },
  }));
}

function signedOut(expired) {
  if (!ui) return;
  live?.stop();
  live = null;
  store.update((s) => ({ ...S.initialState(), me: null, connection: s.connection }));
  showLogin(expired);
}

async function enter(me) {
  api.setCsrf(me.csrf_token);
  store.update((s) => ({ ...S.initialState(), me: me }));
  const boot = await api.bootstrap();
  store.update(S.loadBootstrap, boot);
  ui = createShell(me);
  replace(root, ui.el);
  live = new LiveSocket({
    url: (since) => `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/api/v1/ws?since=${since}`,
    cursor: () => store.state.cursor,
    onEvent: (event) => {
      store.update(S.applyEvent, event);
      notifyIfMine(store.state, event, ui?.openId());
      notifyMention(store.state, event, ui?.openId());
      ui?.afterEvent(event);
    },
    onFrame: (frame) => store.update(S.applyFrame, frame),
    onResync: async () => store.update(S.loadBootstrap, await api.bootstrap()),
    onUnauthorized: () => signedOut(true),
    onState: (state) => {
      store.update((s) => ({ ...s, connection: state }));
      if (state === "live") ui?.announceSelf();
    },
    probe: async () => {
      try {
        await api.me();
        return true;
      } catch (error) {
        return error.status !== 401;
      }
    },
  });
  live.start();
  route();
}

// Everything after sign-in: top bar, connection banner, the routed page.
function createShell(me) {
  const staff = me.role === "admin" || me.role === "supervisor";
  const banner = h("div", { class: "banner", role: "status", hidden: true });
  const deletionBanner = h("div", { class: "deletion-notice", role: "alert", hidden: true });
  const workspaceName = h("span", { class: "muted" }, ` · ${me.workspace.name}`);
  const mePresence = h("span", { class: "me-presence" });
  const mentionsBadge = h("span", { class: "nav-badge", hidden: true });
  const nav = h("nav", { class: "main-nav", "aria-label": "Main" },
    h("a", { href: "#/inbox", "data-route": "inbox" }, "Inbox"),
    h("a", { href: "#/mentions", "data-route": "mentions" }, "Mentions", mentionsBadge),
    h("a", { href: "#/canned", "data-route": "canned" }, "Canned responses"),
    staff ? h("a", { href: "#/team", "data-route": "team" }, "Team") : null,
    staff ? h("a", { href: "#/reports", "data-route": "reports" }, "Reports") : null,
    staff ? h("a", { href: "#/admin/members", "data-route": "admin" }, "Admin") : null);
  const notifyButton = h("button", { type: "button", class: "link", onclick: askNotifications }, "Notify me");
  const top = h("header", { class: "topbar" },
    h("a", { class: "brand", href: "#/inbox" }, "Wazify"), nav,
    h("div", { class: "me" }, mePresence,
      h("a", { class: "me-name", href: "#/account", "data-route": "account", title: "Your account and password" }, me.user.name || me.user.email),
      workspaceName, notifyButton,
      h("button", { type: "button", class: "link", onclick: logout }, "Sign out")));
  const main = h("main", { id: "main" });
  const el = h("div", { class: "shell" }, h("a", { class: "skip", href: "#main" }, "Skip to content"), top, banner, deletionBanner, main);

  const ctx = {
    store, api,
    me: () => store.state.me,
    mergeConversations: (list) => store.update(S.mergeConversations, list),
    selectedId: () => (page === "conversation" ? conversation.id : null),
    actions: createActions({ store, api, live: () => live }),
  };
  const inbox = createInbox(ctx);
  const conversation = createConversationView(ctx);
  const team = createTeamView(ctx);
  const admin = createAdminView(ctx);
  const account = createAccountView(ctx);
  const mentions = createMentionsView(ctx);
  const canned = createCannedView(ctx);
  const reports = createReportsView(ctx);
  const split = h("div", { class: "split" }, inbox.el, h("div", { class: "pane", id: "pane" }, conversation.el));
  const placeholder = h("div", { class: "placeholder" }, h("p", {}, "Select a conversation."), h("p", { class: "muted" }, "Shortcuts: J / K next and previous, A assign to me, E resolve, / search."));
  let page = "inbox";

  function renderBanner(state) {
    const text = {
      connecting: "Connecting…",
      reconnecting: "Reconnecting…",
      offline: "Disconnected. Reconnecting automatically; nothing you missed will be lost.",
      resyncing: "You were away for long: reloading the inbox…",
      refused: "The live connection was refused by the server. Reload the page.",
    }[state.connection];
    banner.hidden = !text || (state.connection === "connecting" && !state.snapshot);
    banner.className = `banner banner-${state.connection}`;
    replace(banner, text || "", state.connection === "offline" ? h("button", { type: "button", class: "link", onclick: () => live?.reconnectNow() }, "Retry now") : null);
  }

  // A scheduled deletion of the workspace: every member sees when; admins may cancel it.
  let deletionVersion = "";
  function renderWorkspace(state) {
    const ws = state.snapshot.workspace;
    if (!ws) return;
    const version = JSON.stringify([ws.name, ws.deletion_due_at, state.me.role]);
    if (version === deletionVersion) return;
    deletionVersion = version;
    workspaceName.textContent = ` · ${ws.name}`;
    deletionBanner.hidden = !ws.deletion_due_at;
    if (!ws.deletion_due_at) return replace(deletionBanner);
    replace(deletionBanner, `This workspace will be permanently deleted on ${new Date(ws.deletion_due_at).toLocaleString()}, with all its conversations and data. `,
      state.me.role === "admin" ? h("button", { type: "button", class: "link", onclick: () => api.cancelDeletion().then(() => toast("Deletion cancelled"), (error) => toast(error.message, "error")) }, "Cancel the deletion") : "Ask an admin to cancel it.");
  }

  let frame = 0;
  function render() {
    frame = 0;
    const state = store.state;
    if (!state.snapshot) return;
    renderBanner(state);
    renderWorkspace(state);
    const mine = state.snapshot.team.find((m) => m.user_id === me.user.id);
    replace(mePresence, presenceDot(mine?.presence || "offline"));
    const unreadMentions = state.snapshot.mentions_unread || 0;
    mentionsBadge.hidden = !unreadMentions;
    mentionsBadge.textContent = String(unreadMentions);
    mentionsBadge.setAttribute("aria-label", `${unreadMentions} unread`);
    if (page === "inbox" || page === "conversation") {
      inbox.update(state);
      if (page === "conversation") conversation.update(state);
    } else if (page === "team") team.update(state);
    else if (page === "admin") admin.update(state);
    else if (page === "mentions") mentions.update(state);
    else if (page === "canned") canned.update(state);
    updateTitle(state);
  }
  const unsubscribe = store.subscribe(() => {
    if (!frame) frame = requestAnimationFrame(render);
  });
  const typingSweep = setInterval(() => store.state.typing && Object.keys(store.state.typing).length && render(), 2000);
  const uninstall = installShortcuts({
    next: (step) => {
      const ids = inbox.visibleIds();
      if (!ids.length) return;
      const at = ids.indexOf(conversation.id);
      const target = ids[Math.max(0, Math.min(ids.length - 1, at === -1 ? 0 : at + step))];
      location.hash = `#/c/${target}`;
    },
    assignToMe: () => page === "conversation" && ctx.actions.assignToMe(store.state.known[conversation.id]),
    resolve: () => page === "conversation" && ctx.actions.setStatus(conversation.id, "resolved"),
    search: () => inbox.focusSearch(),
    reply: () => page === "conversation" && conversation.composer.focus(),
  });

  function onVisibility() {
    live?.send({ type: "presence", state: document.hidden ? "away" : "online" });
    if (!document.hidden && page === "conversation") markReadSoon(conversation.id);
  }
  document.addEventListener("visibilitychange", onVisibility);

  return {
    el,
    openId: () => (page === "conversation" && !document.hidden ? conversation.id : null),
    show(next, param) {
      const previous = page === "conversation" ? conversation.id : null;
      page = next;
      for (const a of nav.querySelectorAll("a")) a.setAttribute("aria-current", a.dataset.route === (next === "conversation" ? "inbox" : next) ? "page" : "false");
      if (next === "inbox" || next === "conversation") {
        replace(main, split);
        split.classList.toggle("has-conversation", next === "conversation");
        const pane = split.querySelector("#pane");
        if (next === "conversation") {
          conversation.open(param);
          replace(pane, conversation.el);
          openConversation(param);
        } else replace(pane, placeholder);
      } else if (next === "team") replace(main, team.el);
      else if (next === "mentions") {
        replace(main, mentions.el);
        mentions.show();
      } else if (next === "canned") {
        replace(main, canned.el);
        canned.show();
      } else if (next === "reports") {
        replace(main, reports.el);
        reports.show();
      }
      else if (next === "admin") {
        replace(main, admin.el);
        admin.show(param);
      } else if (next === "account") {
        replace(main, account.el);
        account.show();
      }
      const now = next === "conversation" ? param : null;
      if (now !== previous) live?.send({ type: "viewing", conversation_id: now });
      render();
    },
    // After a (re)connect the server knows nothing of this tab: say what it shows.
    announceSelf() {
      live?.send({ type: "viewing", conversation_id: page === "conversation" ? conversation.id : null });
      if (document.hidden) live?.send({ type: "presence", state: "away" });
      if (page === "conversation") openConversation(conversation.id);
    },
    afterEvent(event) {
      const erased = event.type === "contact.erased" || event.type === "account.erased";
      if (erased && page === "conversation" && !store.state.known[conversation.id]) {
        toast("This conversation was erased.");
        location.hash = "#/inbox";
        return;
      }
      if (page === "conversation" && event.type === "message.created" && event.message.conversation_id === conversation.id && event.message.direction === "in") markReadSoon(conversation.id);
      // A note mentioning me in the conversation I am looking at: read as it arrives.
      // (The mention was committed with the note: it can be read at once.)
      if (page === "conversation" && event.type === "note.created" && event.note.conversation_id === conversation.id && event.note.mentions.includes(me.user.id) && event.note.author_id !== me.user.id && !document.hidden) api.readMentions({ note_ids: [event.note.id] }).catch(() => {});
      if (page === "mentions") mentions.afterEvent(event);
    },
    destroy() {
      unsubscribe();
      uninstall();
      clearInterval(typingSweep);
      conversation.destroy();
      document.removeEventListener("visibilitychange", onVisibility);
    },
  };
}

// Load what an opened conversation needs; mark it read when the agent is looking.
async function openConversation(id) {
  try {
    if (!store.state.known[id]) store.update(S.mergeConversations, [await api.conversation(id)]);
    if (!store.state.histories[id]) store.update(S.addHistoryPage, id, await api.messages(id));
    await loadNotes(store, api, id);
    await loadStatusChanges(store, api, id);
    markReadSoon(id);
    readMentionsIn(id);
  } catch (error) {
    if (error.status === 404) {
      toast("That conversation does not exist in this workspace.", "error");
      location.hash = "#/inbox";
    } else if (error.status !== 401) toast(`Couldn't load the conversation: ${error.message}`, "error");
  }
}

// Opening a conversation reads the notes there that mention me.
function readMentionsIn(id) {
  if (store.state.snapshot?.mentions_unread > 0) api.readMentions({ conversation_id: id }).catch(() => {});
}

let readTimer = null;
function markReadSoon(id) {
  clearTimeout(readTimer);
  readTimer = setTimeout(() => {
    const c = store.state.known[id];
    if (!document.hidden && c && c.unread_count > 0 && ui?.openId() === id) api.markRead(id).catch(() => {});
  }, 400);
}

function askNotifications() {
  if (!("Notification" in window)) return toast("This browser has no desktop notifications.");
  Notification.requestPermission().then((answer) => toast(answer === "granted" ? "You'll be notified of new messages in your conversations and of notes that mention you." : "Notifications stay off."));
}

async function logout() {
  try {
    await api.logout();
  } finally {
    live?.stop();
    live = null;
    ui?.destroy();
    ui = null;
    showLogin(false);
  }
}

function route() {
  const token = inviteToken();
  if (token) return api.me().catch(() => null).then((me) => showInvite(token, me));
  if (!ui) return;
  const parts = location.hash.replace(/^#\/?/, "").split("/");
  if (parts[0] === "c" && /^\d+$/.test(parts[1] || "")) ui.show("conversation", Number(parts[1]));
  else if (parts[0] === "team") ui.show("team");
  else if (parts[0] === "mentions") ui.show("mentions");
  else if (parts[0] === "canned") ui.show("canned");
  else if (parts[0] === "reports") ui.show("reports");
  else if (parts[0] === "admin") ui.show("admin", parts[1] || "members");
  else if (parts[0] === "account") ui.show("account");
  else ui.show("inbox");
}

window.addEventListener("hashchange", route);
window.addEventListener("online", () => live?.reconnectNow());
start();
