/*
 * The consolidation workbench: a "select all" box over the children's checkboxes (hidden until
 * this script runs, so without JavaScript the page offers only what works: the boxes one by
 * one), a count of the chosen plans, a confirmation before a bulk waive, and the sort list
 * applied as soon as it changes (its button stays for a browser without JavaScript).
 * No inline script (CSP).
 */
(function () {
  "use strict";

  const form = document.getElementById("bulk-form");
  if (!form) return;
  const all = form.querySelector("[data-select-all]");
  const boxes = () => Array.from(form.querySelectorAll("input[type=checkbox][name=plan]"));
  const count = form.querySelector("[data-selected-count]");

  function refresh() {
    const list = boxes();
    const chosen = list.filter((box) => box.checked).length;
    if (all) {
      all.checked = list.length > 0 && chosen === list.length;
      all.indeterminate = chosen > 0 && chosen < list.length;
    }
    if (count) count.textContent = chosen ? "(" + chosen + "/" + list.length + ")" : "";
  }

  if (all) {
    if (boxes().length) all.hidden = false;
    all.addEventListener("change", () => {
      for (const box of boxes()) box.checked = all.checked;
      refresh();
    });
  }
  form.addEventListener("change", (event) => {
    if (event.target !== all) refresh();
  });

  for (const button of form.querySelectorAll("button[data-confirm]")) {
    button.addEventListener("click", (event) => {
      const chosen = boxes().filter((box) => box.checked).length;
      if (chosen && !window.confirm(button.dataset.confirm + " (" + chosen + ")")) event.preventDefault();
    });
  }

  const sort = document.querySelector("select[data-autosubmit]");
  if (sort) sort.addEventListener("change", () => sort.form.submit());

  refresh();
})();
