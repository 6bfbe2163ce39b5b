// The new invoice form (issue 16 item 6): add and remove line rows in the browser, and fill the currency in
// from the chosen customer. A static file (no inline script: the Content-Security-Policy forbids it). A new row is
// the page's <template> with a fresh six-hex-digit key; each change tells htmx ("lines-changed") to preview again.
(function () {
  "use strict";

  function newKey() {
    var bytes = new Uint8Array(3);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function changed(form) {
    if (form) form.dispatchEvent(new CustomEvent("lines-changed", { bubbles: true }));
  }

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!(target instanceof HTMLElement)) return;
    var add = target.closest("[data-add-line]");
    if (add) {
      var body = document.getElementById(add.getAttribute("data-add-line"));
      var template = document.getElementById("invoice-line-template");
      if (!body || !(template instanceof HTMLTemplateElement)) return;
      var html = template.innerHTML.replace(/__key__/g, newKey());
      body.insertAdjacentHTML("beforeend", html);
      var rows = body.querySelectorAll("tr[data-line]");
      var first = rows[rows.length - 1].querySelector("input:not([type=hidden])");
      if (first) first.focus();
      changed(add.closest("form"));
      return;
    }
    var remove = target.closest("[data-remove-line]");
    if (remove) {
      var row = remove.closest("tr");
      var form = remove.closest("form");
      if (row) row.remove();
      changed(form);
    }
  });

  function fillCurrency(select, onlyIfEmpty) {
    var option = select.options[select.selectedIndex];
    var into = select.form ? select.form.elements.namedItem(select.dataset.currencyInto) : null;
    if (!option || !option.dataset.currency || !(into instanceof HTMLInputElement)) return;
    if (!onlyIfEmpty || into.value.trim() === "") into.value = option.dataset.currency;
  }

  document.addEventListener("change", function (event) {
    var select = event.target;
    if (select instanceof HTMLSelectElement && select.dataset.currencyInto) fillCurrency(select, false);
  });

  document.addEventListener("DOMContentLoaded", function () {
    // a customer chosen before this script ran (or kept after an error): its currency if none is typed
    document.querySelectorAll("select[data-currency-into]").forEach(function (select) { fillCurrency(select, true); });
  });
})();
