// Keyboard shortcuts, ignored while typing in a field (Escape leaves the field first).
//   j / k: next / previous conversation    a: assign to me    e: resolve
//   /: search                              r: reply

export function installShortcuts(handlers) {
  function onKey(event) {
    const target = event.target;
    const typing = target instanceof HTMLElement && (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName));
    if (event.key === "Escape" && typing) {
      target.blur();
      return;
    }
    if (typing || event.ctrlKey || event.metaKey || event.altKey) return;
    const action = { j: () => handlers.next(1), k: () => handlers.next(-1), a: handlers.assignToMe, e: handlers.resolve, "/": handlers.search, r: handlers.reply }[event.key];
    if (action) {
      event.preventDefault();
      action();
    }
  }
  document.addEventListener("keydown", onKey);
  return () => document.removeEventListener("keydown", onKey);
}
