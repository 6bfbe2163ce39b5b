// creditmemo's own script (no inline script anywhere, so a Content-Security-Policy of script-src 'self' holds).
//
// Confirmation before an irreversible action: a form, or the button that submits it, with a data-confirm
// message opens a modal dialog saying what will change; only "confirm" sends the form. {name} in the message
// is replaced by the form's field of that name as typed (a select by its option's text), so a refund says
// the amount about to leave; {selected_count} and {selected_total} are the ticked boxes of the form and their
// total (bulk post). The dialog's text is set as text, never as HTML.
(function () {
  "use strict";

  function fieldText(form, name) {
    var field = form.elements.namedItem(name);
    if (!field) return "{" + name + "}";
    if (field instanceof HTMLSelectElement) {
      var option = field.options[field.selectedIndex];
      return option ? option.text : "";
    }
    return String(field.value || "").trim();
  }

  // The ticked boxes of a form (a box belongs to it by its form attribute) that carry an amount
  // (data-minor, data-currency, data-exponent): how many, and their total per currency ("1,234.50 USD").
  function selected(form) {
    var boxes = Array.prototype.filter.call(form.elements, function (el) {
      return el instanceof HTMLInputElement && el.type === "checkbox" && el.checked && el.dataset.minor;
    });
    var sums = {};
    var exponents = {};
    boxes.forEach(function (box) {
      var currency = box.dataset.currency || "";
      sums[currency] = (sums[currency] || 0) + Number(box.dataset.minor);
      exponents[currency] = Number(box.dataset.exponent || 0);
    });
    var totals = Object.keys(sums).sort().map(function (currency) {
      var places = exponents[currency];
      var amount = sums[currency] / Math.pow(10, places);
      var text = amount.toLocaleString(form.dataset.locale || "en-US", {
        minimumFractionDigits: places,
        maximumFractionDigits: places,
      });
      return text + " " + currency;
    });
    return { count: String(boxes.length), total: totals.length ? totals.join(" + ") : "nothing" };
  }

  function fill(message, form) {
    var picked = null;
    return message.replace(/\{([a-z_]+)\}/g, function (_, name) {
      if (name === "selected_count" || name === "selected_total") {
        picked = picked || selected(form);
        return name === "selected_count" ? picked.count : picked.total;
      }
      return fieldText(form, name);
    });
  }

  function dialog() {
    var d = document.getElementById("confirm-dialog");
    if (d) return d;
    d = document.createElement("dialog");
    d.id = "confirm-dialog";
    d.className = "confirm";
    d.setAttribute("aria-labelledby", "confirm-title");
    d.setAttribute("aria-describedby", "confirm-message");
    var title = document.createElement("h2");
    title.id = "confirm-title";
    var message = document.createElement("p");
    message.id = "confirm-message";
    var actions = document.createElement("div");
    actions.className = "actions";
    var cancel = document.createElement("button");
    cancel.type = "button";
    cancel.className = "cancel";
    cancel.textContent = "Cancel";
    var ok = document.createElement("button");
    ok.type = "button";
    ok.className = "ok danger";
    actions.append(cancel, ok);
    d.append(title, message, actions);
    cancel.addEventListener("click", function () {
      d.close("cancel");
    });
    document.body.append(d);
    return d;
  }

  function ask(message, label, onConfirm) {
    var d = dialog();
    d.querySelector("#confirm-title").textContent = "Please confirm";
    d.querySelector("#confirm-message").textContent = message;
    var ok = d.querySelector("button.ok");
    var fresh = ok.cloneNode(false); // drop the listener of an earlier question
    fresh.textContent = label;
    ok.replaceWith(fresh);
    fresh.addEventListener("click", function () {
      d.close("confirm");
      onConfirm();
    }, { once: true });
    d.showModal();
    d.querySelector("button.cancel").focus(); // the safe choice has the focus
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    var submitter = event.submitter || null;
    var message = (submitter && submitter.dataset.confirm) || form.dataset.confirm;
    if (!message) return;
    if (form.dataset.confirmed === "yes") {
      delete form.dataset.confirmed;
      return;
    }
    event.preventDefault();
    var label = ((submitter && submitter.textContent) || "Confirm").trim();
    ask(fill(message, form), label, function () {
      form.dataset.confirmed = "yes";
      if (submitter) form.requestSubmit(submitter);
      else form.requestSubmit();
    });
  });
})();

// A line is credited by quantity or by amount, never both (issue 18 item 8): typing in one box clears and
// disables its partner (data-exclusive-with); emptying it enables the partner again. A disabled box is not sent,
// so the server and its live preview see exactly the one the user chose.
(function () {
  "use strict";

  function sync(input) {
    var name = input.dataset.exclusiveWith;
    var other = name && input.form ? input.form.elements.namedItem(name) : null;
    if (!(other instanceof HTMLInputElement)) return;
    var typed = input.value.trim() !== "";
    if (typed) other.value = "";
    other.disabled = typed;
  }

  document.addEventListener("input", function (event) {
    var target = event.target;
    if (target instanceof HTMLInputElement && target.dataset.exclusiveWith) sync(target);
  });

  document.addEventListener("DOMContentLoaded", function () {
    // A form shown again with an amount typed (after an error): the amount holds and its quantity stays off.
    document.querySelectorAll("input[data-exclusive-with^='qty_']").forEach(function (amount) {
      if (amount.value.trim() !== "") sync(amount);
    });
  });
})();
