/*
 * Live notifications (templates/notifications/bell.html loads this on every signed-in page).
 *
 * Opens the websocket /ws/notifications/, says {"type": "hello", "last_id": N} after every
 * (re)connect and receives everything after N, then live notifications. For each new one it
 *   - updates the bell's badge (the server sends the authoritative unread count),
 *   - prepends it to the notification centre's list when that page (first page) is open,
 *   - dispatches  document → CustomEvent("notification", {detail: notification})
 *     so other pages (the inbox, …) can react:
 *       document.addEventListener("notification", (e) => console.log(e.detail.id, e.detail.text));
 * The unread count is also announced as CustomEvent("notification-unread", {detail: {unread}}).
 *
 * The socket is a hint: N starts at the newest id the page was rendered with and follows every
 * id received, so reconnecting (backoff with jitter, at once when the network comes back)
 * misses nothing. A close with code 4401 (session ended) stops reconnecting. No inline script, so the CSP (script-src 'self') holds.
 */
(function () {
  "use strict";

  const bell = document.querySelector("[data-notif-bell]");
  if (!bell || !("WebSocket" in window)) return;

  const badge = bell.querySelector("[data-notif-count]");
  const pageLang = (document.documentElement.lang || "vi").slice(0, 2);
  const seen = new Set();
  const PING_MS = 25000;
  const MAX_BACKOFF_MS = 30000;
  const SIGNED_OUT = 4401;

  let lastId = parseInt(bell.dataset.lastId || "0", 10) || 0;
  let unread = parseInt(bell.dataset.unread || "0", 10) || 0;
  let socket = null;
  let attempts = 0;
  let reconnectTimer = null;
  let pingTimer = null;
  let signedOut = false;

  function socketUrl() {
    const scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    return scheme + window.location.host + (bell.dataset.wsPath || "/ws/notifications/");
  }

  function setUnread(count) {
    if (typeof count !== "number" || count < 0) return;
    unread = count;
    bell.dataset.unread = String(count);
    if (badge) {
      badge.textContent = count > 99 ? "99+" : String(count);
      badge.hidden = count === 0;
    }
    document.dispatchEvent(new CustomEvent("notification-unread", { detail: { unread: count } }));
  }

  function send(message) {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
  }

  function formatTime(iso) {
    const date = new Date(iso);
    if (Number.isNaN(date.getTime())) return "";
    return date.toLocaleString(pageLang === "en" ? "en-GB" : "vi-VN", {
      day: "2-digit", month: "2-digit", year: "numeric", hour: "2-digit", minute: "2-digit",
    });
  }

  function prependToList(n) {
    const list = document.querySelector("[data-notif-list]");
    const template = document.querySelector("template[data-notif-template]");
    if (!list || !template || list.dataset.live !== "1") return;
    if (list.querySelector('[data-notif-id="' + n.id + '"]')) return;
    const item = template.content.firstElementChild.cloneNode(true);
    item.dataset.notifId = String(n.id);
    item.classList.toggle("unread", !n.read);
    item.classList.add("notif-new");
    // textContent only: notification text is data, never markup.
    item.querySelector("[data-notif-text]").textContent = (n.texts && n.texts[pageLang]) || n.text;
    item.querySelector("[data-notif-kind]").textContent = n.kind_label || n.kind;
    const time = item.querySelector("[data-notif-time]");
    time.dateTime = n.created_at;
    time.textContent = formatTime(n.created_at);
    const openUrl = (list.dataset.openUrl || "").replace("/0/", "/" + n.id + "/");
    item.querySelector("form.notif-open").action = openUrl;
    const readForm = item.querySelector("[data-notif-read]");
    if (n.read) readForm.remove();
    else readForm.action = (list.dataset.readUrl || "").replace("/0/", "/" + n.id + "/");
    const empty = list.querySelector("[data-notif-empty]");
    if (empty) empty.remove();
    list.prepend(item);
  }

  function receive(n, count) {
    if (!n || typeof n.id !== "number") return;
    if (n.id > lastId) lastId = n.id;
    if (seen.has(n.id)) return;
    seen.add(n.id);
    // Live pushes carry the count; catch-up items are followed by a "sync" that does.
    if (typeof count === "number") setUnread(count);
    prependToList(n);
    document.dispatchEvent(new CustomEvent("notification", { detail: n }));
  }

  function onMessage(event) {
    let message;
    try {
      message = JSON.parse(event.data);
    } catch (_error) {
      return;
    }
    switch (message.type) {
      case "notification":
        receive(message.notification, message.unread);
        break;
      case "sync":
        if (typeof message.last_id === "number" && message.last_id > lastId) lastId = message.last_id;
        setUnread(message.unread);
        bell.dataset.connected = "true"; // caught up: live from here (pages and tests can wait on it)
        break;
      case "unread":
        setUnread(message.unread);
        break;
      default:
        break; // pong, error: nothing to do
    }
  }

  function scheduleReconnect() {
    clearTimeout(reconnectTimer);
    const ceiling = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** attempts);
    attempts += 1;
    reconnectTimer = setTimeout(connect, ceiling / 2 + Math.random() * (ceiling / 2));
  }

  function connect() {
    clearTimeout(reconnectTimer);
    if (signedOut) return;
    if (socket && (socket.readyState === WebSocket.OPEN || socket.readyState === WebSocket.CONNECTING)) return;
    const ws = new WebSocket(socketUrl());
    socket = ws;
    ws.addEventListener("open", function () {
      attempts = 0;
      send({ type: "hello", last_id: lastId });
      clearInterval(pingTimer);
      pingTimer = setInterval(function () { send({ type: "ping" }); }, PING_MS);
    });
    ws.addEventListener("message", onMessage);
    ws.addEventListener("close", function (event) {
      clearInterval(pingTimer);
      bell.dataset.connected = "false";
      if (socket === ws) socket = null;
      // 4401: the session ended (logout, expiry). Reconnecting would be refused; stop until
      // the officer signs in again (a new page load).
      if (event && event.code === SIGNED_OUT) {
        signedOut = true;
        return;
      }
      scheduleReconnect();
    });
  }

  window.addEventListener("online", function () {
    attempts = 0;
    connect();
  });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible" && !socket) {
      attempts = 0;
      connect();
    }
  });

  // Read-only view for other scripts (e.g. the inbox showing "3 new").
  window.notificationsLive = {
    get lastId() { return lastId; },
    get unread() { return unread; },
  };

  connect();
})();
