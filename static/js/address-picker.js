/* The address picker: province -> city -> district from the national divisions
   (/api/v1/divisions), named in the page's language (English names are the pinyin:
   Shanghai, Xuhui District). With it the picker is the way in: the typed fields become
   hidden fields it fills with the divisions' Chinese names (what a courier reads), and the
   hidden *_code fields with their codes; a "change" event follows, so the delivery quote
   does too. A field's error moves under its list. Without JavaScript, or when the lists
   cannot be loaded, the typed fields are all there is (the server reads Chinese or English
   names tolerantly). */
(function () {
  "use strict";
  var D = window.DivisionLists;
  if (!D) { return; }
  var LEVELS = D.LEVELS;

  function bare(name) {
    return (name || "").replace(/\s+/g, "").replace(/(省|市|区|县|自治区|特别行政区)$/, "");
  }
  function latin(name) {
    return (name || "").toLowerCase().replace(/[\s'’.\-]+/g, "")
      .replace(/(district|county|city|newarea|prefecture)$/, "");
  }
  function names(item, wanted) {
    if (!wanted) { return false; }
    return item.code === wanted || item.name === wanted || bare(item.name) === bare(wanted) ||
      (!!item.name_en && latin(item.name_en) === latin(wanted));
  }

  document.querySelectorAll("[data-address-picker]").forEach(function (grid) {
    var url = grid.getAttribute("data-url");
    var english = grid.getAttribute("data-lang") === "en";
    var inputs = {}, codes = {}, selects = {}, wrappers = {};
    var ok = LEVELS.every(function (level) {
      inputs[level] = grid.querySelector("input[name=" + level + "]");
      codes[level] = grid.querySelector("input[name=" + level + "_code]");
      return !!inputs[level] && !!codes[level];
    });
    if (!ok || !url) { return; }
    var built = D.row(function (level) { return grid.getAttribute("data-label-" + level); },
                      function (level) { return "pick-" + level + "-" + (inputs[level].id || level); });
    var row = built.row;
    row.setAttribute("data-testid", "address-picker");
    row.setAttribute("role", "group");
    selects = built.selects;
    LEVELS.forEach(function (level) {
      wrappers[level] = inputs[level].closest(".field") || inputs[level];
    });
    wrappers.province.parentNode.insertBefore(row, wrappers.province);

    // the typed fields become hidden fields; their errors (from the server) go under the lists
    function useTyped(yes) {
      row.hidden = yes;
      LEVELS.forEach(function (level) {
        wrappers[level].hidden = !yes;
        inputs[level].type = yes ? "text" : "hidden";
      });
    }
    LEVELS.forEach(function (level) {
      var errors = wrappers[level].querySelector(".errors");
      if (errors) {
        var copy = errors.cloneNode(true);
        copy.id = selects[level].id + "-error";
        selects[level].parentNode.appendChild(copy);
        selects[level].parentNode.classList.add("has-error");
        selects[level].setAttribute("aria-invalid", "true");
        selects[level].setAttribute("aria-describedby", copy.id);
      }
    });
    useTyped(false);

    function fill(level, items, wanted) {
      // a list loaded again (a second answer for the same city) keeps what was picked in it
      wanted = wanted || selects[level].value;
      D.fill(selects[level], items, english, grid.getAttribute("data-choose"));
      var chosen = items.filter(function (item) { return names(item, wanted); })[0] || null;
      // a municipality's only city (上海市), a county-level city's only district (仙桃市)
      if (!chosen && items.length === 1 && level !== "province") { chosen = items[0]; }
      selects[level].value = chosen ? chosen.code : "";
      return chosen;
    }
    function load(query) { return D.load(url, query); }
    function set(level, item) {
      var name = item ? item.name : "", code = item ? item.code : "";
      codes[level].value = code;
      if (inputs[level].value !== name) {
        inputs[level].value = name;
        inputs[level].dispatchEvent(new Event("change", {bubbles: true}));
      }
    }
    function chosen(level) { return D.chosen(selects[level]); }
    // an answer overtaken by a later question for the same list is dropped
    var asked = {city: 0, district: 0};
    function loadDistricts(city, wanted) {
      var ticket = ++asked.district;
      if (!city) { fill("district", [], null); set("district", null); return Promise.resolve(); }
      return load("city=" + city.code).then(function (items) {
        if (ticket === asked.district) { set("district", fill("district", items, wanted)); }
      });
    }
    function loadCities(province, wantedCity, wantedDistrict) {
      var ticket = ++asked.city;
      if (!province) {
        fill("city", [], null); fill("district", [], null);
        set("city", null); set("district", null);
        return Promise.resolve();
      }
      return load("province=" + province.code).then(function (items) {
        if (ticket !== asked.city) { return; }
        var city = fill("city", items, wantedCity);
        set("city", city);
        return loadDistricts(city, wantedDistrict);
      });
    }
    selects.province.addEventListener("change", function () {
      var province = chosen("province");
      set("province", province);
      loadCities(province, null, null).catch(function () { useTyped(true); });
    });
    selects.city.addEventListener("change", function () {
      var city = chosen("city");
      set("city", city);
      loadDistricts(city, null).catch(function () { useTyped(true); });
    });
    selects.district.addEventListener("change", function () { set("district", chosen("district")); });

    var start = {province: inputs.province.value, city: inputs.city.value, district: inputs.district.value};
    load("").then(function (items) {
      var province = fill("province", items, start.province);
      set("province", province);
      if (province) { return loadCities(province, start.city, start.district); }
      fill("city", [], null);
      fill("district", [], null);
    }).catch(function () { useTyped(true); });
  });
})();
