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
      el.hidden = el.getAttribute("data-method").split(" ").indexOf(method) < 0;
    });
    var payment = form.querySelector("[data-method~='" + method + "'] input[name=payment_method]");
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

  // Pickup slots: only the chosen store's show; a slot of another store is let go.
  function applyCenter() {
    var center = form.querySelector("input[name=center_id]:checked");
    var id = center ? center.value : "";
    form.querySelectorAll("[data-slots-for]").forEach(function (group) {
      var mine = group.getAttribute("data-slots-for") === id;
      group.hidden = !mine;
      if (!mine) {
        group.querySelectorAll("input[name=slot_id]:checked").forEach(function (input) {
          input.checked = false;
          var any = form.querySelector("[data-any-slot=pickup]");
          if (any) { any.checked = true; }
        });
      }
    });
  }
  form.querySelectorAll("input[name=center_id]").forEach(function (input) {
    input.addEventListener("change", applyCenter);
  });
  form.querySelectorAll("input[data-method-choice]").forEach(function (input) {
    input.addEventListener("change", function () {
      var any = form.querySelector("[data-any-slot='" + chosenMethod() + "']");
      if (any) { any.checked = true; }
      showTotal();
    });
  });
  applyCenter();

  // Delivery: the fee and the times for the address, asked of the quote API as it is typed.
  var box = document.getElementById("delivery-quote");
  var feeNow = 0;
  function money(amount) {
    var locale = box.getAttribute("data-locale") || "zh-CN";
    return new Intl.NumberFormat(locale, {style: "currency", currency: "CNY", currencyDisplay: "narrowSymbol"}).format(amount / 100);
  }
  function showTotal() {
    var total = form.querySelector("[data-summary-total]");
    var fee = form.querySelector("[data-summary-fee]");
    if (!total || !box) { return; }
    var subtotal = parseInt(box.getAttribute("data-subtotal"), 10) || 0;
    if (fee) { fee.textContent = money(feeNow); }
    var courierFee = parseInt(box.getAttribute("data-courier-fee"), 10) || 0;
    var method = chosenMethod();
    var discount = parseInt(total.getAttribute("data-discount"), 10) || 0;
    total.textContent = money(Math.max(0, subtotal - discount + (method === "delivery" ? feeNow
                                          : method === "courier" ? courierFee : 0)));
    var sticky = form.querySelector("[data-sticky-total]");
    if (sticky) { sticky.textContent = total.textContent; }
  }
  function text(name, values) {
    var t = box.getAttribute("data-text-" + name) || "";
    Object.keys(values || {}).forEach(function (k) { t = t.replace("{" + k + "}", values[k]); });
    return t;
  }
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    (children || []).forEach(function (c) {
      node.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return node;
  }
  function slotChoice(value, label, checked) {
    var input = el("input", {type: "radio", name: "slot_id", value: value});
    input.checked = checked;
    return el("label", {"class": "choice", "data-testid": "slot-option"}, [input, " ", el("span", {}, [label])]);
  }
  // The delivery time the shopper chose: kept through every new quote (a field losing
  // focus asks again), and chosen again when the new quote still offers it.
  var chosenSlot = "";
  form.addEventListener("change", function (event) {
    var input = event.target;
    if (input.name === "slot_id" && box && box.contains(input) && input.checked) {
      chosenSlot = input.value;
    }
  });
  function render(body, status) {
    var current = box.querySelector("input[name=slot_id]:checked");
    if (current) { chosenSlot = current.value; }
    box.textContent = "";
    if (status !== 200) {
      feeNow = 0;
      box.appendChild(el("p", {"class": "help"}, [text(status === 409 ? "stock" : "none")]));
      showTotal();
      return;
    }
    var subtotal = parseInt(box.getAttribute("data-subtotal"), 10) || 0;
    var free = body.free_over && subtotal >= body.free_over.amount;
    feeNow = free ? 0 : body.fee.amount;
    box.appendChild(el("p", {"data-quote-center": ""}, [text("by", {center: body.center_name})]));
    var line = el("p", {}, [el("strong", {"data-quote-fee": ""},
      [feeNow ? text("fee") + " " + money(feeNow) : text("free")])]);
    if (body.free_over) {
      line.appendChild(el("span", {"class": "muted"}, [" · " + text("free-over", {amount: money(body.free_over.amount)})]));
    }
    box.appendChild(line);
    var kept = chosenSlot && body.slots.some(function (slot) { return String(slot.id) === chosenSlot; });
    if (chosenSlot && !kept) {
      box.appendChild(el("p", {"class": "flash warning", "role": "status", "data-testid": "slot-gone"}, [text("slot-gone")]));
      chosenSlot = "";
    }
    if (body.slots.length) {
      box.appendChild(el("h3", {}, [text("times")]));
      var list = el("div", {"class": "options slot-list", "data-delivery-slots": ""});
      var any = slotChoice("", text("any"), !kept);
      any.querySelector("input").setAttribute("data-any-slot", "delivery");
      list.appendChild(any);
      var when = new Intl.DateTimeFormat(box.getAttribute("data-locale") || "zh-CN",
        {weekday: "short", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", timeZone: "Asia/Shanghai"});
      var until = new Intl.DateTimeFormat(box.getAttribute("data-locale") || "zh-CN",
        {hour: "2-digit", minute: "2-digit", timeZone: "Asia/Shanghai"});
      body.slots.forEach(function (slot) {
        var label = when.format(new Date(slot.starts_at)) + "–" + until.format(new Date(slot.ends_at)) +
          " · " + text("left", {n: slot.left});
        list.appendChild(slotChoice(String(slot.id), label, kept && String(slot.id) === chosenSlot));
      });
      box.appendChild(list);
    }
    showTotal();
  }
  // The address asked about: the saved one chosen (its own position, else the page's, as
  // the server routes it), or the one typed.
  function savedAddress() {
    var chosen = form.querySelector("input[name=address_id]:checked");
    return chosen && chosen.value ? chosen : null;
  }
  function place() {
    var get = function (name) { var f = form.querySelector("[name=" + name + "]"); return f ? f.value.trim() : ""; };
    var saved = savedAddress();
    var where = {};
    ["province", "city", "district"].forEach(function (name) {
      where[name] = saved ? (saved.getAttribute("data-" + name) || "") : get(name);
    });
    var own = saved && saved.hasAttribute("data-lat");
    where.lat = own ? saved.getAttribute("data-lat") : get("lat");
    where.lng = own ? saved.getAttribute("data-lng") : get("lng");
    return where;
  }
  // Only a changed address is asked about again, and only the latest answer is drawn.
  var asked = null, asking = 0;
  function ask() {
    var where = place();
    if (!where.province || !where.city || !where.district) { asked = null; return false; }
    var params = new URLSearchParams({province: where.province, city: where.city, district: where.district});
    var skus = JSON.parse(box.getAttribute("data-lines") || "[]");
    var quantities = JSON.parse(box.getAttribute("data-quantities") || "[]");
    skus.forEach(function (sku, i) { params.append("sku", sku); params.append("quantity", quantities[i]); });
    if (where.lat && where.lng) { params.set("lat", where.lat); params.set("lng", where.lng); }
    var query = params.toString();
    if (query === asked) { return true; }
    asked = query;
    var mine = ++asking;
    fetch(box.getAttribute("data-url") + "?" + query, {headers: {Accept: "application/json"}})
      .then(function (r) {
        return r.json().then(function (b) { if (mine === asking) { render(b, r.status); } });
      })
      .catch(function () { asked = null; /* offline: the order page still says the fee */ });
    return true;
  }
  if (box) {
    var timer = null;
    ["province", "city", "district"].forEach(function (name) {
      var field = form.querySelector("[name=" + name + "]");
      if (field) {
        field.addEventListener("change", ask);
        field.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(ask, 500); });
      }
    });
    feeNow = parseInt(box.getAttribute("data-fee"), 10) || 0;
  }

  // Saved addresses: one chosen hides the fields of a new one; either way the quote follows.
  function applyAddress() {
    var typed = form.querySelector("[data-new-address]");
    if (typed) { typed.hidden = !!savedAddress(); }
  }
  form.querySelectorAll("input[name=address_id]").forEach(function (input) {
    input.addEventListener("change", function () {
      applyAddress();
      if (box && !ask()) {  // a new address not typed yet: no fee, no times
        feeNow = 0;
        box.textContent = "";
        box.appendChild(el("p", {"class": "help"}, [text("enter")]));
        showTotal();
      }
    });
  });
  if (form.querySelector("input[name=address_id]")) { applyAddress(); }

  // Choices made fold away (on a phone, where CSS hides the others): the chosen one stays
  // with a button to change it; choosing again folds the list again.
  form.querySelectorAll("[data-collapsible]").forEach(function (list) {
    var button = list.parentNode.querySelector("[data-expand]");
    function fold() {
      var chosen = list.querySelector("input[type=radio]:checked");
      var many = list.querySelectorAll("input[type=radio]:not([disabled])").length > 1;
      if (chosen && many) { list.setAttribute("data-collapsed", ""); } else { list.removeAttribute("data-collapsed"); }
      if (button) { button.hidden = !list.hasAttribute("data-collapsed"); }
    }
    list.addEventListener("change", fold);
    if (button) {
      button.addEventListener("click", function () {
        list.removeAttribute("data-collapsed");
        button.hidden = true;
      });
    }
    fold();
  });

  // Distance: ask once per visit, and offer a button to ask again.
  var button = document.querySelector("[data-geolocate]");
  if (!button || !("geolocation" in navigator)) { return; }
  var params = new URLSearchParams(window.location.search);
  function locate() {
    navigator.geolocation.getCurrentPosition(function (pos) {
      params.set("lat", pos.coords.latitude.toFixed(5));
      params.set("lng", pos.coords.longitude.toFixed(5));
      ["lat", "lng"].forEach(function (name) {
        var hidden = form.querySelector("input[data-geo=" + name + "]");
        if (hidden) { hidden.value = params.get(name); }
      });
      if (box) { ask(); }
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
