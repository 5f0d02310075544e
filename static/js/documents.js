/*
 * The plan page's issued documents: while a document is being rendered and signed, poll its
 * status every two seconds and reload the page when it is done. No inline script (CSP).
 */
(function () {
  "use strict";

  const rows = document.querySelectorAll("[data-status-url]");
  if (!rows.length) return;

  function poll(row) {
    fetch(row.dataset.statusUrl, { credentials: "same-origin" })
      .then((response) => (response.ok ? response.json() : Promise.reject(response.status)))
      .then((data) => {
        if (data.done) {
          window.location.reload();
          return;
        }
        const label = row.querySelector(".document-status");
        const bar = row.querySelector("progress");
        if (label) label.textContent = data.label;
        if (bar) bar.value = data.progress;
        window.setTimeout(() => poll(row), 2000);
      })
      .catch(() => window.setTimeout(() => poll(row), 5000));
  }

  rows.forEach((row) => window.setTimeout(() => poll(row), 2000));
})();
