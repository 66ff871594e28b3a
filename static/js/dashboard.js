// The dashboard's charts: each <canvas data-chart> names the JSON of its table (the same
// rows as its CSV) and how to draw it; numbers are formatted in the page's language.
(function () {
  if (!window.Chart) return;
  var lang = document.documentElement.lang || "zh-CN";
  var COLORS = ["#0e7490", "#d97706", "#7c3aed", "#16a34a", "#dc2626", "#64748b"];
  var number = new Intl.NumberFormat(lang, {maximumFractionDigits: 2});
  var percent = new Intl.NumberFormat(lang, {style: "percent", maximumFractionDigits: 1});

  function json(el, name, fallback) {
    var raw = el.getAttribute(name);
    return raw ? JSON.parse(raw) : fallback;
  }

  function series(table, el) {
    var col = function (name) { return table.header.indexOf(name); };
    var x = col(el.getAttribute("data-x"));
    var words = json(el, "data-words", {});
    var word = function (v) { return v === null ? "—" : (words[v] || String(v)); };
    var scale = parseFloat(el.getAttribute("data-scale") || "1");
    var per = el.hasAttribute("data-per") ? col(el.getAttribute("data-per")) : -1;
    var value = function (row, i) {
      var v = row[i];
      if (v === null || v === undefined) return null;
      if (per >= 0) return row[per] ? v / row[per] : null;
      return v * scale;
    };
    var goal = el.hasAttribute("data-goal") ? parseFloat(el.getAttribute("data-goal")) : null;
    function withGoal(labels, datasets) {
      if (goal !== null) {
        datasets.push({label: el.getAttribute("data-goal-name"), type: "line", borderDash: [6, 4],
                       pointRadius: 0, data: labels.map(function () { return goal; })});
      }
      return {labels: labels, datasets: datasets};
    }
    var group = el.getAttribute("data-group");
    if (group) {  // one series per value of the group column (a line per center, say), summed per x
      var g = col(group), v = col(el.getAttribute("data-value")), labels = [], names = [], cells = {};
      table.rows.forEach(function (row) {
        var l = word(row[x]), n = word(row[g]), k = l + "\u0000" + n, y = value(row, v);
        if (labels.indexOf(l) < 0) labels.push(l);
        if (names.indexOf(n) < 0) names.push(n);
        if (y !== null) cells[k] = (cells[k] || 0) + y;
      });
      // a center without figures in a month is a gap in its line, not a zero
      return withGoal(labels, names.map(function (n) {
        return {label: n, data: labels.map(function (l) {
          var c = cells[l + "\u0000" + n];
          return c === undefined ? null : c;
        })};
      }));
    }
    var ys = json(el, "data-y", []), names = json(el, "data-names", ys);
    var datasets = ys.map(function (y, k) {
      var i = col(y);
      return {label: names[k], data: table.rows.map(function (row) { return value(row, i); })};
    });
    return withGoal(table.rows.map(function (row) { return word(row[x]); }), datasets);
  }

  function draw(el, table) {
    var data = series(table, el);
    var isPercent = el.getAttribute("data-format") === "percent";
    var fmt = function (v) { return v === null ? "—" : (isPercent ? percent : number).format(v); };
    data.datasets.forEach(function (d, k) {
      var color = COLORS[k % COLORS.length];
      d.backgroundColor = d.type === "line" || el.getAttribute("data-chart") === "line" ? color : color + "cc";
      d.borderColor = color;
      d.spanGaps = true;
    });
    var counts = !isPercent && data.datasets.every(function (d) {
      return d.data.every(function (v) { return v === null || Number.isInteger(v); });
    });
    var max = el.hasAttribute("data-max") ? parseFloat(el.getAttribute("data-max")) : undefined;
    new window.Chart(el, {
      type: el.getAttribute("data-chart"),
      data: data,
      options: {
        responsive: true, maintainAspectRatio: false, locale: lang, animation: false,
        interaction: {mode: "index", intersect: false},
        scales: {
          x: {ticks: {font: {size: 13}, maxRotation: 45, autoSkip: true}},
          y: {beginAtZero: true, max: max,
              ticks: {font: {size: 13}, callback: fmt, precision: counts ? 0 : undefined}}
        },
        plugins: {
          legend: {display: data.datasets.length > 1, labels: {font: {size: 13}}},
          tooltip: {callbacks: {label: function (c) { return c.dataset.label + ": " + fmt(c.parsed.y); }}}
        }
      }
    });
    el.setAttribute("data-drawn", "1");
  }

  document.querySelectorAll("canvas[data-chart]").forEach(function (el) {
    fetch(el.getAttribute("data-src"), {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.json(); })
      .then(function (table) { draw(el, table); });
  });
})();
