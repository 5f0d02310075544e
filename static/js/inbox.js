/*
 * The inbox updates itself when a notification arrives (notifications.js dispatches a
 * "notification" event on document): it re-reads this same page and swaps in the fresh task
 * table and counts, so a new task appears without a reload. No inline script (CSP).
 */
(function () {
  "use strict";

  const table = document.querySelector("[data-testid=inbox]");
  if (!table) return;
  let pending = null;

  function refresh() {
    pending = null;
    fetch(window.location.href, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then((response) => (response.ok ? response.text() : Promise.reject(response.status)))
      .then((html) => {
        const fresh = new DOMParser().parseFromString(html, "text/html");
        for (const selector of ["[data-testid=inbox]", "[data-testid=inbox-count]", ".filters"]) {
          const now = document.querySelector(selector);
          const next = fresh.querySelector(selector);
          if (now && next) now.replaceWith(next);
        }
      })
      .catch(() => {});
  }

  document.addEventListener("notification", () => {
    // Several notifications in a burst cost one refresh.
    if (pending === null) pending = window.setTimeout(refresh, 150);
  });
})();
