/* Small touches for every page; the pages work without them. */
(function () {
  "use strict";

  // Cached catalog pages carry an empty CSRF token for a first-time visitor (no session yet):
  // fetch one just before such a form is sent. Without JavaScript the cart asks to confirm.
  function withToken(form, send) {
    var input = form.querySelector("input[name=csrf_token]");
    if (!input || input.value) { send(); return; }
    fetch("/cart/token", {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.ok ? r.json() : {}; })
      .then(function (data) { if (data.csrf_token) { input.value = data.csrf_token; } })
      .catch(function () { /* the server asks to confirm instead */ })
      .then(send);
  }

  // A select marked data-autosubmit sends its form when a choice is made (the admin's
  // center picker); without JavaScript a button does it.
  document.addEventListener("change", function (event) {
    var select = event.target;
    if (select && select.matches && select.matches("select[data-autosubmit]") && select.form) {
      select.form.submit();
    }
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form || !form.getAttribute) { return; }
    // Forms with data-confirm ask before they go (cancel an order, ...).
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
      return;
    }
    var input = form.querySelector("input[name=csrf_token]");
    var method = (form.getAttribute("method") || "get").toLowerCase();
    if (input && !input.value && method === "post") {
      event.preventDefault();
      withToken(form, function () { HTMLFormElement.prototype.submit.call(form); });
    }
  });
})();
