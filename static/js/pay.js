// The Payment Element: Stripe.js comes from Stripe (its requirement). When it cannot be
// loaded (blocked, offline, too slow), the page says so and offers the offline methods.
(function () {
  "use strict";
  var root = document.getElementById("pay");
  if (!root || !root.dataset.clientSecret || !root.dataset.publishableKey) return;
  var loading = root.querySelector("[data-pay-loading]");
  var form = document.getElementById("payment-form");
  var unavailable = root.querySelector("[data-pay-unavailable]");
  var message = document.getElementById("payment-message");
  var button = document.getElementById("payment-submit");
  var settled = false;

  function unavailableNow() {
    if (settled) return;
    settled = true;
    if (loading) loading.hidden = true;
    if (form) form.hidden = true;
    unavailable.hidden = false;
  }

  var timer = window.setTimeout(unavailableNow, 10000);

  function start() {
    window.clearTimeout(timer);
    if (settled) return;
    if (typeof window.Stripe !== "function") return unavailableNow();
    var stripe, elements;
    try {
      stripe = window.Stripe(root.dataset.publishableKey, { locale: root.dataset.locale });
      elements = stripe.elements({ clientSecret: root.dataset.clientSecret });
      elements.create("payment").mount("#payment-element");
    } catch (err) {
      return unavailableNow();
    }
    settled = true;
    loading.hidden = true;
    form.hidden = false;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      button.disabled = true;
      message.textContent = "";
      stripe.confirmPayment({ elements: elements,
                              confirmParams: { return_url: root.dataset.returnUrl } })
        .then(function (result) {
          if (result && result.error) {
            message.textContent = result.error.message || "";
            button.disabled = false;
          }
        }, function () { button.disabled = false; unavailableNow(); });
    });
  }

  var script = document.createElement("script");
  script.src = root.dataset.stripeJs;
  script.async = true;
  script.onload = start;
  script.onerror = function () { window.clearTimeout(timer); unavailableNow(); };
  document.head.appendChild(script);
})();
