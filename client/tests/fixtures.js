// Small builders of views shaped like server/views.py, for the unit tests.
export function contact(id, extra = {}) {
  return { id, account_id: 1, igsid: `igsid-${id}`, name: `Contact ${id}`, username: `user${id}`, display_name: "", picture_url: null, notes: "", profile_state: "fetched", ...extra };
}

export function message(id, conversationId, extra = {}) {
  return {
    id, conversation_id: conversationId, direction: "in", kind: "message", source: "customer",
    mid: `mid-${id}`, client_id: null, author_id: null, text: `text ${id}`, attachments: [],
    reply_to_mid: null, reply_to_story: null, quick_reply_payload: null, referral: null,
    payload: null, unsupported: false, standby: false, status: "received", status_reason: "",
    edit_count: 0, edits: [], deleted: false, reactions: [], sent_at: `2026-05-01T10:00:0${id % 10}.000000Z`,
    ...extra,
  };
}

export function conversation(id, extra = {}) {
  return {
    id, account_id: 1, contact: contact(id), status: "open", snoozed_until: null, assignee_id: null,
    last_activity_at: `2026-05-01T10:00:${String(id).padStart(2, "0")}.000000Z`, last_message: null,
    unread_count: 0, window_ends_at: null, human_agent_ends_at: null, referral: null, ...extra,
  };
}

export function bootstrap(conversations = [], seq = 10) {
  return {
    seq,
    me: { user_id: 1, name: "Ann", email: "ann@x", role: "agent", active: true, presence: "online" },
    conversations,
    more_conversations: false,
    team: [
      { user_id: 1, name: "Ann", email: "ann@x", role: "agent", active: true, presence: "online" },
      { user_id: 2, name: "Bob", email: "bob@x", role: "supervisor", active: true, presence: "offline" },
    ],
    accounts: [{ id: 1, ig_id: "1784", username: "shop", name: "", picture_url: null, status: "connected", status_reason: "" }],
  };
}

export function event(seq, type, fields) {
  return { seq, workspace_id: 1, at: "2026-05-01T10:01:00Z", type, ...fields };
}
