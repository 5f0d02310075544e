/*
 * Runs static/js/notifications.js against a minimal fake DOM and WebSocket (no browser or npm
 * package needed: `node tests/notifications/js/notifications.test.js`; test_js.py runs it).
 * Checks the client half of the protocol: hello with the rendered cursor, catch-up and live
 * items, badge updates, the "notification" DOM event, prepending to the list, and reconnecting
 * with the last id seen.
 */
"use strict";

const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");
const vm = require("node:vm");

class FakeElement {
  constructor(name, parts = {}) {
    this.name = name;
    this.parts = parts;
    this.dataset = {};
    this.children = [];
    this.parent = null;
    this.textContent = "";
    this.hidden = false;
    this.action = "";
    this.dateTime = "";
    this.classes = new Set();
    this.classList = {
      add: (c) => this.classes.add(c),
      toggle: (c, on) => (on ? this.classes.add(c) : this.classes.delete(c)),
    };
  }
  querySelector(selector) {
    const byId = selector.match(/^\[data-notif-id="(\d+)"\]$/);
    if (byId) return this.children.find((c) => c.dataset.notifId === byId[1]) || null;
    if (selector === "[data-notif-empty]") return this.children.find((c) => c.name === "empty") || null;
    return this.parts[selector] || null;
  }
  append(child) { child.parent = this; this.children.push(child); }
  prepend(child) { child.parent = this; this.children.unshift(child); }
  remove() {
    if (this.parent) this.parent.children = this.parent.children.filter((c) => c !== this);
    for (const [key, part] of Object.entries(this.owner ? this.owner.parts : {})) {
      if (part === this) delete this.owner.parts[key];
    }
  }
  cloneNode() {
    const parts = {};
    const copy = new FakeElement(this.name, parts);
    for (const [key, part] of Object.entries(this.parts)) {
      parts[key] = part.cloneNode();
      parts[key].owner = copy;
    }
    copy.classes = new Set(this.classes);
    return copy;
  }
}

class FakeWebSocket {
  constructor(url) {
    this.url = url;
    this.readyState = FakeWebSocket.CONNECTING;
    this.sent = [];
    this.listeners = {};
    sockets.push(this);
  }
  addEventListener(type, listener) { (this.listeners[type] ||= []).push(listener); }
  send(data) { this.sent.push(JSON.parse(data)); }
  emit(type, event) { (this.listeners[type] || []).forEach((listener) => listener(event)); }
  serverOpens() { this.readyState = FakeWebSocket.OPEN; this.emit("open", {}); }
  serverSends(message) { this.emit("message", { data: JSON.stringify(message) }); }
  drops() { this.readyState = FakeWebSocket.CLOSED; this.emit("close", { code: 1006 }); }
}
Object.assign(FakeWebSocket, { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 });

const sockets = [];
const timeouts = [];

// --- the page: a bell (cursor 5, 2 unread) and the notification centre's first page ---------
const badge = new FakeElement("badge");
badge.hidden = false;
const bell = new FakeElement("bell", { "[data-notif-count]": badge });
Object.assign(bell.dataset, { lastId: "5", unread: "2", wsPath: "/ws/notifications/" });

const list = new FakeElement("list");
Object.assign(list.dataset, { live: "1", openUrl: "/notifications/0/open/", readUrl: "/notifications/0/read/" });
list.append(new FakeElement("empty"));

const skeleton = new FakeElement("item", {
  "[data-notif-text]": new FakeElement("text"),
  "[data-notif-kind]": new FakeElement("kind"),
  "[data-notif-time]": new FakeElement("time"),
  "form.notif-open": new FakeElement("open-form"),
  "[data-notif-read]": new FakeElement("read-form"),
});
for (const part of Object.values(skeleton.parts)) part.owner = skeleton;
const template = { content: { firstElementChild: skeleton } };

const document = new EventTarget();
document.documentElement = { lang: "vi" };
document.visibilityState = "visible";
document.querySelector = (selector) =>
  ({ "[data-notif-bell]": bell, "[data-notif-list]": list, "template[data-notif-template]": template })[selector] || null;

const events = [];
document.addEventListener("notification", (event) => events.push(event.detail));

const window = {
  location: { protocol: "https:", host: "gnbv.example.gov.vn" },
  addEventListener() {},
  WebSocket: FakeWebSocket,
};
const context = vm.createContext({
  window,
  document,
  WebSocket: FakeWebSocket,
  CustomEvent,
  JSON,
  Math,
  Number,
  Date,
  Set,
  String,
  parseInt,
  setTimeout: (fn) => { timeouts.push(fn); return timeouts.length; },
  clearTimeout() {},
  setInterval: () => 1,
  clearInterval() {},
});

const source = fs.readFileSync(path.join(__dirname, "../../../static/js/notifications.js"), "utf8");
vm.runInContext(source, context);

function notification(id, extra = {}) {
  return {
    id,
    kind: "task",
    kind_label: "Việc cần xử lý",
    text: `Việc ${id}`,
    texts: { vi: `Việc ${id}`, en: `Task ${id}` },
    link: `/plans/${id}/`,
    plan_id: null,
    created_at: "2026-03-10T09:00:00+07:00",
    read: false,
    ...extra,
  };
}

// Connect and say hello with the cursor the page was rendered with.
assert.equal(sockets.length, 1);
assert.equal(sockets[0].url, "wss://gnbv.example.gov.vn/ws/notifications/");
sockets[0].serverOpens();
assert.deepEqual(sockets[0].sent, [{ type: "hello", last_id: 5 }]);

// Catch-up item, then the sync with the authoritative count.
sockets[0].serverSends({ type: "notification", notification: notification(6) });
assert.deepEqual(events.map((n) => n.id), [6]);
assert.equal(list.children[0].dataset.notifId, "6");
assert.equal(list.children[0].parts["[data-notif-text]"].textContent, "Việc 6");
assert.equal(list.children[0].parts["form.notif-open"].action, "/notifications/6/open/");
assert.equal(list.children[0].parts["[data-notif-read]"].action, "/notifications/6/read/");
assert.equal(list.querySelector("[data-notif-empty]"), null, "the 'no notifications' line goes");
sockets[0].serverSends({ type: "sync", last_id: 6, unread: 3 });
assert.equal(badge.textContent, "3");
assert.equal(badge.hidden, false);

// A live one carries the count; a duplicate is ignored.
sockets[0].serverSends({ type: "notification", notification: notification(7), unread: 4 });
sockets[0].serverSends({ type: "notification", notification: notification(7), unread: 4 });
assert.deepEqual(events.map((n) => n.id), [6, 7]);
assert.deepEqual(list.children.map((c) => c.dataset.notifId), ["7", "6"]);
assert.equal(badge.textContent, "4");

// An already-read one has no "mark read" form.
sockets[0].serverSends({ type: "notification", notification: notification(8, { read: true }), unread: 4 });
assert.equal(list.children[0].parts["[data-notif-read]"], undefined);

// Reading elsewhere empties the badge.
sockets[0].serverSends({ type: "unread", unread: 0 });
assert.equal(badge.hidden, true);

// The connection drops: a reconnect is scheduled and says hello with the last id seen.
sockets[0].drops();
assert.equal(timeouts.length, 1);
timeouts.shift()();
assert.equal(sockets.length, 2);
sockets[1].serverOpens();
assert.deepEqual(sockets[1].sent, [{ type: "hello", last_id: 8 }]);

// A hundred unread shows as 99+.
sockets[1].serverSends({ type: "unread", unread: 120 });
assert.equal(badge.textContent, "99+");

// Garbage is ignored.
sockets[1].emit("message", { data: "{not json" });

// The session ended (4401): no reconnect, not even when the network comes back.
sockets[1].readyState = FakeWebSocket.CLOSED;
sockets[1].emit("close", { code: 4401 });
assert.equal(timeouts.length, 0);
assert.equal(sockets.length, 2);

console.log("notifications.js: ok");
