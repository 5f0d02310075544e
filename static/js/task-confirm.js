// The task page's confirmation step: a decision form opens a <dialog> naming what will happen
// and to whom (the form's data-confirm, written by the server); "Xác nhận" submits the form,
// "Quay lại" closes the dialog. Without this script (or <dialog>) the form posts directly.
(function () {
  "use strict";
  var dialog = document.getElementById("confirm-dialog");
  if (!dialog || typeof dialog.showModal !== "function") return;
  var title = dialog.querySelector("[data-confirm-title]");
  var text = dialog.querySelector("[data-confirm-text]");
  var yes = dialog.querySelector("[data-testid=confirm-action]");
  var pending = null;
  document.querySelectorAll("form.action[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (form.dataset.confirmed === "1") return;
      event.preventDefault();
      pending = form;
      title.textContent = form.dataset.label || "";
      text.textContent = form.dataset.confirm || "";
      yes.className = "btn btn-" + (form.dataset.style || "primary");
      dialog.returnValue = "";
      dialog.showModal();
      yes.focus();
    });
  });
  dialog.addEventListener("close", function () {
    var form = pending;
    pending = null;
    if (form && dialog.returnValue === "confirm") {
      form.dataset.confirmed = "1";
      form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
      form.submit();
    }
  });
})();
