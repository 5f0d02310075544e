/* Plan editor (templates/planning/plan_edit.html): running totals while the officer types,
 * "add row" / "remove row" buttons, and a warning before leaving with unsaved changes.
 *
 * The page works without this file: blank rows are there to fill, the "Xóa dòng" boxes remove
 * rows, and the server validates and totals everything on save. Amounts are counted here in
 * thousandths of a million VND (whole numbers), so sums are exact.
 */
(function () {
  "use strict";

  var form = document.getElementById("plan-editor");
  if (!form) {
    return;
  }
  var DECIMAL = form.dataset.decimalSeparator || ",";
  var THOUSAND = form.dataset.thousandSeparator || ".";
  /* The funding sources of the plan's period, in column order, as the page lists them (four in
   * 2021-2025, seven in 2026-2030): this file names none. Each line's amount for a source is the
   * input named "<prefix>-amount_<code>" (planning.forms.AMOUNT_PREFIX). */
  var SOURCES = (form.dataset.sources || "").split(/\s+/).filter(Boolean);
  var AMOUNT_PREFIX = "amount_";
  var SCALE = 1000;
  var linesTable = document.getElementById("lines-table");
  var dirty = form.dataset.unsaved === "true";

  /* "1.200,5" → 1200500 (thousandths); "" → 0; anything else → null.
   * Same reading as the server (django.utils.formats.sanitize_separators, then
   * planning.services.parse_amount): a lone "." followed by other than three digits is a
   * decimal point even in Vietnamese ("1200.5"). */
  function parseAmount(raw) {
    var text = String(raw).replace(/\s+/g, "");
    if (text === "") {
      return 0;
    }
    var whole = text;
    var fraction = "";
    var at = text.indexOf(DECIMAL);
    if (at >= 0) {
      whole = text.slice(0, at);
      fraction = text.slice(at + 1);
    }
    var groups = whole.split(THOUSAND);
    if (THOUSAND === "." && at < 0 && groups.length === 2 && groups[1].length !== 3) {
      whole = groups[0];
      fraction = groups[1];
    } else {
      whole = groups.join("");
    }
    if (!/^\d*$/.test(whole) || !/^\d{0,3}$/.test(fraction) || whole + fraction === "") {
      return null;
    }
    return parseInt(whole || "0", 10) * SCALE + parseInt((fraction + "000").slice(0, 3), 10);
  }

  /* 1200500 → "1.200,5" in Vietnamese, "1,200.5" in English. */
  function formatAmount(thousandths, blankZero) {
    if (thousandths === 0 && blankZero) {
      return "";
    }
    var whole = String(Math.floor(thousandths / SCALE)).replace(/\B(?=(\d{3})+(?!\d))/g, THOUSAND);
    var fraction = String(thousandths % SCALE).padStart(3, "0").replace(/0+$/, "");
    return fraction ? whole + DECIMAL + fraction : whole;
  }

  function zeros() {
    var sums = {};
    SOURCES.forEach(function (source) {
      sums[source] = 0;
    });
    return sums;
  }

  function recalc() {
    if (!linesTable) {
      return;
    }
    var sources = zeros();
    var projects = {};
    linesTable.querySelectorAll("tbody[data-row]").forEach(function (row) {
      var removed = row.classList.contains("is-removed");
      var item = row.querySelector("select[name$='-item']");
      /* The top-level item: the part of the value before the first "." ("C1" for "C1.02.01",
       * "2021-2025:1" for a continuing "2021-2025:1.1"), as planning.views._typed_totals groups. */
      var project = item && item.value ? item.value.split(".")[0] : "";
      if (project && !projects[project]) {
        projects[project] = zeros();
      }
      var lineTotal = 0;
      SOURCES.forEach(function (source) {
        var input = row.querySelector("input[name$='-" + AMOUNT_PREFIX + source + "']");
        if (!input) {
          return;
        }
        var value = parseAmount(input.value);
        input.classList.toggle("is-invalid", value === null);
        if (value === null || removed) {
          return;
        }
        lineTotal += value;
        sources[source] += value;
        if (project) {
          projects[project][source] += value;
        }
      });
      row.querySelector("[data-line-total]").textContent = removed ? "" : formatAmount(lineTotal, true);
    });
    document.querySelectorAll("#editor-totals tr[data-project]").forEach(function (tr) {
      var code = tr.dataset.project;
      var sums = code ? projects[code] || zeros() : sources;
      var total = 0;
      SOURCES.forEach(function (source) {
        var cell = tr.querySelector("[data-source='" + source + "']");
        if (cell) {
          cell.textContent = formatAmount(sums[source], code !== "");
        }
        total += sums[source];
      });
      tr.querySelector("[data-source='total']").textContent = formatAmount(total, false);
    });
  }

  /* The "Xóa dòng" button ticks the row's hidden DELETE box; pressed again, it restores the row. */
  function enhanceRow(row) {
    var button = row.querySelector("button.remove-row");
    var box = row.querySelector("input[name$='-DELETE']");
    if (!button || !box) {
      return;
    }
    var labels = { remove: button.textContent.trim(), restore: form.dataset.labelRestore || "↺" };
    function show() {
      row.classList.toggle("is-removed", box.checked);
      button.textContent = box.checked ? labels.restore : labels.remove;
      button.setAttribute("aria-pressed", box.checked ? "true" : "false");
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      box.checked = !box.checked;
      show();
      dirty = true;
      recalc();
    });
    show();
  }

  function addRow(prefix) {
    var total = form.querySelector("input[name='" + prefix + "-TOTAL_FORMS']");
    var template = document.getElementById(prefix + "-empty");
    var table = document.getElementById(prefix + "-table");
    if (!total || !template || !table) {
      return;
    }
    var index = parseInt(total.value, 10);
    table.insertAdjacentHTML("beforeend", template.innerHTML.replace(/__prefix__/g, String(index)));
    total.value = String(index + 1);
    var row = table.lastElementChild;
    enhanceRow(row);
    var first = row.querySelector("select, input:not([type='hidden']):not([type='checkbox']), textarea");
    if (first) {
      first.focus();
    }
    recalc();
  }

  form.classList.add("js-ready");
  form.querySelectorAll("tbody[data-row]").forEach(enhanceRow);
  form.querySelectorAll("button.add-row").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      addRow(button.dataset.formset);
    });
  });
  form.addEventListener("input", function (event) {
    dirty = true;
    if (linesTable && linesTable.contains(event.target)) {
      recalc();
    }
  });
  form.addEventListener("change", function (event) {
    dirty = true;
    if (linesTable && linesTable.contains(event.target)) {
      recalc();
    }
  });
  form.addEventListener("submit", function () {
    dirty = false;
  });
  window.addEventListener("beforeunload", function (event) {
    if (dirty) {
      event.preventDefault();
      event.returnValue = "";
    }
  });
  recalc();
})();
