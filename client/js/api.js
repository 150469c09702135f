// HTTP to the server: JSON in and out, the CSRF header on every unsafe request, errors as
// ApiError with the server's code and message ({"error": {"code", "message", "field"}}).
// A 401 (session ended) calls the handler the app installs, which shows the sign-in
// without discarding anything typed.

export class ApiError extends Error {
  constructor(status, code, message, field, details = null) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field;
    this.details = details; // facts for the app (a reply collision names who replied)
  }
}

const SAFE = new Set(["GET", "HEAD"]);

export function createApi({ fetch = globalThis.fetch.bind(globalThis), base = "" } = {}) {
  let csrf = null;
  let onUnauthorized = () => {};

  async function request(method, path, body, { quiet401 = false } = {}) {
    const headers = { Accept: "application/json" };
    const file = typeof Blob !== "undefined" && body instanceof Blob; // sent as it is (uploads)
    if (body !== undefined) headers["Content-Type"] = file ? body.type || "application/octet-stream" : "application/json";
    if (!SAFE.has(method) && csrf) headers["X-CSRF-Token"] = csrf;
    let response;
    try {
      response = await fetch(base + path, {
        method,
        headers,
        body: body === undefined || file ? body : JSON.stringify(body),
        credentials: "same-origin",
      });
    } catch {
      throw new ApiError(0, "network", "The server cannot be reached. Check your connection.");
    }
    if (response.status === 204) return null;
    let data = null;
    try {
      data = await response.json();
    } catch {
      data = null;
    }
    if (!response.ok) {
      const error = data?.error || {};
      const failure = new ApiError(response.status, error.code || "error", error.message || `The server answered ${response.status}.`, error.field, error.details || null);
      if (response.status === 401 && !quiet401) onUnauthorized(failure);
      throw failure;
    }
    return data;
  }

  const enc = encodeURIComponent;
  const query = (params) => {
    const pairs = Object.entries(params).filter(([, v]) => v !== undefined && v !== null && v !== "");
    return pairs.length ? "?" + pairs.map(([k, v]) => `${enc(k)}=${enc(v)}`).join("&") : "";
  };

  return {
    setCsrf(token) {
      csrf = token;
    },
    onUnauthorized(handler) {
      onUnauthorized = handler;
    },
    request,
    // Auth
    me: () => request("GET", "/api/v1/me", undefined, { quiet401: true }),
    login: (email, password, workspace) => request("POST", "/api/v1/auth/login", { email, password, ...(workspace ? { workspace } : {}) }, { quiet401: true }),
    logout: () => request("POST", "/api/v1/auth/logout", undefined, { quiet401: true }),
    changePassword: (current, next) => request("POST", "/api/v1/me/password", { current_password: current, new_password: next }),
    // {token, password?, name?}: without a password, the signed-in session accepts.
    acceptInvitation: (body) => request("POST", "/api/v1/invitations/accept", body, { quiet401: true }),
    bootstrap: () => request("GET", "/api/v1/bootstrap"),
    // Conversations
    conversations: (params) => request("GET", "/api/v1/conversations" + query(params)),
    conversation: (id) => request("GET", `/api/v1/conversations/${id}`),
    messages: (id, cursor) => request("GET", `/api/v1/conversations/${id}/messages` + query({ cursor })),
    assign: (id, userId) => request("POST", `/api/v1/conversations/${id}/assign`, { user_id: userId }),
    claim: (id) => request("POST", `/api/v1/conversations/${id}/claim`),
    unassign: (id) => request("POST", `/api/v1/conversations/${id}/unassign`),
    setStatus: (id, status, snoozedUntil) => request("POST", `/api/v1/conversations/${id}/status`, { status, ...(snoozedUntil ? { snoozed_until: snoozedUntil } : {}) }),
    markRead: (id, messageId) => request("POST", `/api/v1/conversations/${id}/read`, messageId ? { message_id: messageId } : undefined),
    contactPanel: (id) => request("GET", `/api/v1/contacts/${id}`),
    updateContact: (id, fields) => request("PATCH", `/api/v1/contacts/${id}`, fields),
    // Replies
    send: (id, body) => request("POST", `/api/v1/conversations/${id}/messages`, body),
    retry: (id, messageId) => request("POST", `/api/v1/conversations/${id}/messages/${messageId}/retry`),
    react: (id, messageId, body) => request("POST", `/api/v1/conversations/${id}/messages/${messageId}/reactions`, body),
    // Notes and mentions
    notes: (id, cursor) => request("GET", `/api/v1/conversations/${id}/notes` + query({ cursor })),
    createNote: (id, text) => request("POST", `/api/v1/conversations/${id}/notes`, { text }),
    editNote: (noteId, text) => request("PATCH", `/api/v1/notes/${noteId}`, { text }),
    deleteNote: (noteId) => request("DELETE", `/api/v1/notes/${noteId}`),
    mentions: (params = {}) => request("GET", "/api/v1/mentions" + query(params)),
    readMentions: (body = {}) => request("POST", "/api/v1/mentions/read", body),
    // Labels
    labels: () => request("GET", "/api/v1/labels"),
    createLabel: (body) => request("POST", "/api/v1/labels", body),
    updateLabel: (labelId, body) => request("PATCH", `/api/v1/labels/${labelId}`, body),
    deleteLabel: (labelId) => request("DELETE", `/api/v1/labels/${labelId}`),
    addLabel: (id, labelId) => request("POST", `/api/v1/conversations/${id}/labels`, { label_id: labelId }),
    removeLabel: (id, labelId) => request("DELETE", `/api/v1/conversations/${id}/labels/${labelId}`),
    // Canned responses
    canned: () => request("GET", "/api/v1/canned-responses"),
    createCanned: (body) => request("POST", "/api/v1/canned-responses", body),
    updateCanned: (cannedId, body) => request("PATCH", `/api/v1/canned-responses/${cannedId}`, body),
    deleteCanned: (cannedId) => request("DELETE", `/api/v1/canned-responses/${cannedId}`),
    // Auto-assignment
    assignment: () => request("GET", "/api/v1/assignment"),
    updateAssignment: (body) => request("PATCH", "/api/v1/assignment/settings", body),
    setCapacity: (userId, capacity) => request("PUT", `/api/v1/assignment/members/${userId}/capacity`, { capacity }),
    setAccountAssignment: (accountId, enabled) => request("PUT", `/api/v1/assignment/accounts/${accountId}`, { enabled }),
    // Administration
    members: (cursor) => request("GET", "/api/v1/members" + query({ cursor, limit: 200 })),
    createMember: (body) => request("POST", "/api/v1/members", body),
    setRole: (userId, role) => request("PATCH", `/api/v1/members/${userId}`, { role }),
    upload: (id, file, clientId) => request("POST", `/api/v1/conversations/${id}/attachments` + query({ client_id: clientId }), file),
    statusChanges: (id) => request("GET", `/api/v1/conversations/${id}/status-changes`),
    invitations: () => request("GET", "/api/v1/invitations"),
    cancelInvitation: (id) => request("DELETE", `/api/v1/invitations/${id}`),
    deactivate: (userId) => request("POST", `/api/v1/members/${userId}/deactivate`),
    audit: (params) => request("GET", "/api/v1/audit" + query(params)),
    renameMember: (userId, name) => request("PATCH", `/api/v1/members/${userId}`, { name }),
    // The workspace, and privacy requests
    updateWorkspace: (fields) => request("PATCH", "/api/v1/workspace", fields),
    requestDeletion: (confirm) => request("POST", "/api/v1/workspace/deletion", { confirm }),
    cancelDeletion: () => request("DELETE", "/api/v1/workspace/deletion"),
    disconnect: (accountId, deleteConversations) => request("POST", `/api/v1/accounts/${accountId}/disconnect`, { delete_conversations: deleteConversations }),
    eraseContact: (contactId) => request("POST", `/api/v1/contacts/${contactId}/erase`),
    // Reports (supervisors and admins)
    report: (params) => request("GET", "/api/v1/reports" + query(params)),
    reportSettings: () => request("GET", "/api/v1/reports/settings"),
    updateReportSettings: (body) => request("PUT", "/api/v1/reports/settings", body),
    // Data exports (admins)
    exports: () => request("GET", "/api/v1/exports"),
    exportJob: (id) => request("GET", `/api/v1/exports/${id}`),
    requestExport: (body) => request("POST", "/api/v1/exports", body),
    query,
  };
}
