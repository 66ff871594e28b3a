/* The national divisions' three lists (province -> city -> district, from
   /api/v1/divisions, named in the page's language), shared by the address picker
   (address-picker.js) and the back office's district picker (district-picker.js). */
window.DivisionLists = (function () {
  "use strict";
  var LEVELS = ["province", "city", "district"];

  /* A row of three labelled selects: {row, selects: {level: select}}. */
  function row(labelOf, idOf) {
    var box = document.createElement("div");
    box.className = "picker-row";
    var selects = {};
    LEVELS.forEach(function (level) {
      var field = document.createElement("div");
      field.className = "field";
      var select = document.createElement("select");
      select.id = idOf(level);
      select.setAttribute("data-testid", "pick-" + level);
      var label = document.createElement("label");
      label.setAttribute("for", select.id);
      label.textContent = labelOf(level) || level;
      field.appendChild(label);
      field.appendChild(select);
      box.appendChild(field);
      selects[level] = select;
    });
    return {row: box, selects: selects};
  }

  /* The divisions at ``query`` ("", "province=<code>", "city=<code>"): a promise of items. */
  function load(url, query) {
    return fetch(url + (query ? "?" + query : ""), {headers: {Accept: "application/json"}})
      .then(function (r) {
        if (!r.ok) { throw new Error("divisions " + r.status); }
        return r.json();
      })
      .then(function (body) { return body.items || []; });
  }

  /* The select's options: a first empty one (``choose``), then each item by its code. */
  function fill(select, items, english, choose) {
    select.textContent = "";
    var first = document.createElement("option");
    first.value = "";
    first.textContent = choose || "—";
    select.appendChild(first);
    items.forEach(function (item) {
      var option = document.createElement("option");
      option.value = item.code;
      option.textContent = english && item.name_en ? item.name_en : item.name;
      select.appendChild(option);
    });
    select.value = "";
    select.disabled = items.length === 0;
    select._items = items;
  }

  /* The item the select shows, or null. */
  function chosen(select) {
    return (select._items || []).filter(function (item) { return item.code === select.value; })[0] || null;
  }

  return {LEVELS: LEVELS, row: row, load: load, fill: fill, chosen: chosen};
})();
