// The live count of a segment form: ask the server as the filters change.
(function () {
  var form = document.querySelector("form[data-live-count]");
  if (!form) return;
  var out = document.getElementById("live-count");
  var timer = null;
  function refresh() {
    fetch(form.getAttribute("data-live-count"), {
      method: "POST", body: new FormData(form), credentials: "same-origin",
      headers: {"Accept": "application/json"}
    }).then(function (r) { return r.json(); }).then(function (body) {
      out.textContent = body.count === undefined ? "…" : body.count;
    }).catch(function () { out.textContent = "…"; });
  }
  form.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(refresh, 300); });
  form.addEventListener("change", refresh);
  refresh();
})();
