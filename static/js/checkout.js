/* Checkout: show the part of the form that fits pickup or delivery, and sort the stores by
   distance when the browser shares its location (the page reloads with ?lat=&lng=).
   Without JavaScript both parts show and the store list is in a fixed order. */
(function () {
  "use strict";
  var form = document.getElementById("checkout-form");
  if (!form) { return; }

  function chosenMethod() {
    var checked = form.querySelector("input[name=method]:checked");
    return checked ? checked.value : "pickup";
  }

  function applyMethod() {
    var method = chosenMethod();
    form.querySelectorAll("[data-method]").forEach(function (el) {
      el.hidden = el.getAttribute("data-method") !== method;
    });
    var payment = form.querySelector("[data-method='" + method + "'] input[name=payment_method]");
    var online = form.querySelector("input[name=payment_method][value=stripe]:checked");
    if (payment && !online) { payment.checked = true; }
  }

  form.querySelectorAll("input[data-method-choice]").forEach(function (input) {
    input.addEventListener("change", applyMethod);
  });
  document.querySelectorAll("[data-choose-method]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      var radio = form.querySelector("input[name=method][value='" + link.getAttribute("data-choose-method") + "']");
      if (radio) {
        event.preventDefault();
        radio.checked = true;
        applyMethod();
        radio.scrollIntoView({behavior: "smooth", block: "center"});
      }
    });
  });
  applyMethod();

  // Distance: ask once per visit, and offer a button to ask again.
  var button = document.querySelector("[data-geolocate]");
  if (!button || !("geolocation" in navigator)) { return; }
  var params = new URLSearchParams(window.location.search);
  function locate() {
    navigator.geolocation.getCurrentPosition(function (pos) {
      params.set("lat", pos.coords.latitude.toFixed(5));
      params.set("lng", pos.coords.longitude.toFixed(5));
      params.set("method", chosenMethod());
      window.location.search = params.toString();
    }, function () {
      button.hidden = true;
    }, {timeout: 8000, maximumAge: 600000});
  }
  if (!params.has("lat")) {
    button.hidden = false;
    button.addEventListener("click", locate);
    var asked = false;
    try { asked = window.sessionStorage.getItem("shop.geo.asked") === "1"; } catch (e) { asked = true; }
    if (!asked && form.getAttribute("data-fresh") === "1") {
      try { window.sessionStorage.setItem("shop.geo.asked", "1"); } catch (e) { /* private mode */ }
      locate();
    }
  }
})();
