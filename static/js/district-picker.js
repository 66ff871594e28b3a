/* The back office's district picker: a center's or a zone's districts chosen from the
   national divisions (/api/v1/divisions), province -> city -> district, in the page's
   language. Each district added is a line of the (now hidden) textarea, its code first
   ("310104 上海市 上海市 徐汇区"), so the zone is defined by codes; the list under the lists
   shows them with a button to take one out. Without JavaScript the textarea is typed,
   one district a line, and the server refuses a line that names no district. */
(function () {
  "use strict";
  var D = window.DivisionLists;
  if (!D) { return; }

  document.querySelectorAll("[data-district-picker]").forEach(function (box) {
    var url = box.getAttribute("data-url");
    var english = box.getAttribute("data-lang") === "en";
    var area = box.querySelector("textarea");
    if (!area || !url) { return; }
    var field = area.closest(".field") || area;
    var picker = document.createElement("div");
    picker.className = "stack-sm";
    picker.setAttribute("data-testid", "district-picker");
    var built = D.row(function (level) { return box.getAttribute("data-label-" + level); },
                      function (level) { return area.id + "-pick-" + level; });
    var row = built.row;
    var selects = built.selects;
    var add = document.createElement("button");
    add.type = "button";
    add.className = "btn btn-secondary btn-small";
    add.textContent = box.getAttribute("data-add") || "+";
    add.setAttribute("data-testid", "add-district");
    add.disabled = true;
    var list = document.createElement("ul");
    list.className = "chips";
    list.setAttribute("data-testid", "picked-districts");
    var heading = document.createElement("p");
    heading.className = "help";
    heading.textContent = area.labels && area.labels[0] ? area.labels[0].textContent : "";
    picker.appendChild(row);
    picker.appendChild(add);
    picker.appendChild(heading);
    picker.appendChild(list);
    field.parentNode.insertBefore(picker, field);

    function lines() {
      return area.value.split(/\r?\n/).map(function (l) { return l.trim(); }).filter(Boolean);
    }
    function draw() {
      list.textContent = "";
      lines().forEach(function (line, i) {
        var item = document.createElement("li");
        item.setAttribute("data-testid", "picked-district");
        var text = document.createElement("span");
        text.textContent = line.replace(/^\d{6}\s*/, "") || line;
        var remove = document.createElement("button");
        remove.type = "button";
        remove.className = "btn btn-small btn-secondary";
        remove.textContent = box.getAttribute("data-remove") || "×";
        remove.setAttribute("aria-label", (box.getAttribute("data-remove") || "") + " " + text.textContent);
        remove.addEventListener("click", function () {
          var all = lines();
          all.splice(i, 1);
          area.value = all.join("\n");
          draw();
        });
        item.appendChild(text);
        item.appendChild(document.createTextNode(" "));
        item.appendChild(remove);
        list.appendChild(item);
      });
    }
    function load(query) { return D.load(url, query); }
    function fill(level, items) {
      var select = selects[level], kept = select.value;
      D.fill(select, items, english, box.getAttribute("data-choose"));
      if (kept && items.some(function (item) { return item.code === kept; })) {
        select.value = kept;  // a list loaded again keeps what was picked in it
      } else if (level !== "province" && items.length === 1) {  // 上海市's city, 仙桃市's district
        select.value = items[0].code;
      }
      if (level === "district") { add.disabled = !chosen("district"); }
    }
    function chosen(level) { return D.chosen(selects[level]); }
    function label(item) { return english && item.name_en ? item.name_en : item.name; }
    var asked = 0;  // an answer overtaken by a later question is dropped
    function districts() {
      var city = chosen("city"), ticket = ++asked;
      add.disabled = true;
      if (!city) { fill("district", []); return Promise.resolve(); }
      return load("city=" + city.code).then(function (items) {
        if (ticket === asked) { fill("district", items); }
      });
    }
    selects.province.addEventListener("change", function () {
      var province = chosen("province");
      add.disabled = true;
      if (!province) { fill("city", []); fill("district", []); return; }
      load("province=" + province.code).then(function (items) {
        fill("city", items);
        return districts();
      });
    });
    selects.city.addEventListener("change", districts);
    selects.district.addEventListener("change", function () { add.disabled = !chosen("district"); });
    add.addEventListener("click", function () {
      var p = chosen("province"), c = chosen("city"), d = chosen("district");
      if (!p || !c || !d) { return; }
      var all = lines();
      if (all.some(function (l) { return l.slice(0, 6) === d.code; })) { return; }
      var names = english ? [label(p), label(c), label(d)].join(" / ") : [p.name, c.name, d.name].join(" ");
      all.push(d.code + " " + names);
      area.value = all.join("\n");
      draw();
      selects.district.value = "";
      add.disabled = true;
    });
    load("").then(function (items) {
      fill("province", items);
      fill("city", []);
      fill("district", []);
      field.hidden = true;  // the picker is the way in; its errors stay shown below
      var errors = field.querySelector(".errors, .field-errors, [id$='-errors']");
      if (errors) { picker.appendChild(errors.cloneNode(true)); }
      draw();
    }).catch(function () { picker.hidden = true; });
  });
})();
