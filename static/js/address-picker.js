/* The address picker: province -> city -> district from the national divisions
   (/api/v1/divisions), three lists above the typed fields. Choosing fills the fields with
   the divisions' names (a "change" event, so the delivery quote follows); the fields can
   still be typed, and without JavaScript they are all there is. */
(function () {
  "use strict";
  var LEVELS = ["province", "city", "district"];

  function bare(name) {
    return (name || "").replace(/\s+/g, "").replace(/(省|市|区|县|自治区|特别行政区)$/, "");
  }

  document.querySelectorAll("[data-address-picker]").forEach(function (grid) {
    var url = grid.getAttribute("data-url");
    var inputs = {}, selects = {};
    var ok = LEVELS.every(function (level) {
      inputs[level] = grid.querySelector("input[name=" + level + "]");
      return !!inputs[level];
    });
    if (!ok || !url) { return; }
    // a row of three lists above the typed fields; the fields stay (typing still works,
    // read tolerantly by the server: "上海 / 徐汇" is 上海市 / 徐汇区)
    var row = document.createElement("div");
    row.className = "picker-row";
    row.setAttribute("data-testid", "address-picker");
    LEVELS.forEach(function (level) {
      var select = document.createElement("select");
      select.setAttribute("data-testid", "pick-" + level);
      select.setAttribute("aria-label", grid.getAttribute("data-label-" + level) || level);
      row.appendChild(select);
      selects[level] = select;
    });
    var firstField = inputs.province.closest(".field") || inputs.province;
    firstField.parentNode.insertBefore(row, firstField);

    function fill(level, items, wanted) {
      var select = selects[level];
      select.textContent = "";
      var first = document.createElement("option");
      first.value = "";
      first.textContent = grid.getAttribute("data-choose") || "—";
      select.appendChild(first);
      var chosen = null;
      items.forEach(function (item) {
        var option = document.createElement("option");
        option.value = item.code;
        option.textContent = item.name;
        select.appendChild(option);
        if (wanted && (item.name === wanted || bare(item.name) === bare(wanted))) { chosen = item; }
      });
      if (!chosen && items.length === 1 && level === "city") { chosen = items[0]; }
      select.value = chosen ? chosen.code : "";
      select.disabled = items.length === 0;
      return chosen;
    }
    function load(query) {
      return fetch(url + (query ? "?" + query : ""), {headers: {Accept: "application/json"}})
        .then(function (r) { return r.ok ? r.json() : {items: []}; })
        .then(function (body) { return body.items || []; });
    }
    function set(level, name) {
      if (inputs[level].value !== name) {
        inputs[level].value = name;
        inputs[level].dispatchEvent(new Event("change", {bubbles: true}));
      }
    }
    function nameOf(level) {
      var select = selects[level];
      return select.value ? select.options[select.selectedIndex].textContent : "";
    }
    function loadDistricts(cityCode, wanted) {
      if (!cityCode) { fill("district", [], null); set("district", ""); return Promise.resolve(); }
      return load("city=" + cityCode).then(function (items) {
        var chosen = fill("district", items, wanted);
        set("district", chosen ? chosen.name : "");
      });
    }
    function loadCities(provinceCode, wantedCity, wantedDistrict) {
      if (!provinceCode) { fill("city", [], null); fill("district", [], null); set("city", ""); set("district", ""); return Promise.resolve(); }
      return load("province=" + provinceCode).then(function (items) {
        var chosen = fill("city", items, wantedCity);
        set("city", chosen ? chosen.name : "");
        return loadDistricts(chosen ? chosen.code : "", wantedDistrict);
      });
    }
    selects.province.addEventListener("change", function () {
      set("province", nameOf("province"));
      loadCities(selects.province.value, null, null);
    });
    selects.city.addEventListener("change", function () {
      set("city", nameOf("city"));
      loadDistricts(selects.city.value, null);
    });
    selects.district.addEventListener("change", function () { set("district", nameOf("district")); });

    var start = {province: inputs.province.value, city: inputs.city.value, district: inputs.district.value};
    load("").then(function (items) {
      var chosen = fill("province", items, start.province);
      if (chosen) {
        set("province", chosen.name);
        return loadCities(chosen.code, start.city, start.district);
      }
      fill("city", [], null);
      fill("district", [], null);
    }).catch(function () { row.hidden = true; });
  });
})();
