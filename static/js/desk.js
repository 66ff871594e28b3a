/* The desk: refresh the queue without a full reload, and scan the shopper's QR code.

   The queue is fetched as a small HTML partial every 20 seconds while the page is visible,
   unless the clerk is in the middle of something (a field has focus or text, a panel is
   open). The QR scanner uses the browser's BarcodeDetector where there is one; elsewhere
   its button stays hidden and the code is typed. */
(function () {
  "use strict";
  var queue = document.getElementById("desk-queue");
  if (queue) {
    var busy = function () {
      var active = document.activeElement;
      if (active && queue.contains(active) && /^(INPUT|SELECT|TEXTAREA)$/.test(active.tagName)) {
        return true;
      }
      if (queue.querySelector("details[open]")) { return true; }
      return Array.prototype.some.call(queue.querySelectorAll("input[type=text]"), function (el) {
        return el.value.trim() !== "";
      });
    };
    var refresh = function () {
      if (document.hidden || busy()) { return; }
      fetch(queue.getAttribute("data-refresh"), {credentials: "same-origin",
                                                 headers: {"X-Requested-With": "fetch"}})
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) {
          if (html !== null && !busy()) {
            queue.innerHTML = html;
            queue.setAttribute("data-refreshed", String(Date.now()));
          }
        })
        .catch(function () { /* offline for a moment: the next round tries again */ });
    };
    window.deskRefresh = refresh;
    window.setInterval(refresh, 20000);
    document.addEventListener("visibilitychange", function () { if (!document.hidden) { refresh(); } });
  }

  var scan = document.querySelector("[data-scan]");
  if (!scan || !("BarcodeDetector" in window) || !navigator.mediaDevices) { return; }
  var form = scan.closest("form");
  var input = form.querySelector("input[name=code]");
  var video = document.querySelector("[data-scan-video]");
  scan.hidden = false;
  scan.addEventListener("click", function () {
    var detector = new window.BarcodeDetector({formats: ["qr_code"]});
    navigator.mediaDevices.getUserMedia({video: {facingMode: "environment"}}).then(function (stream) {
      video.srcObject = stream;
      video.hidden = false;
      video.play();
      var stop = function () {
        stream.getTracks().forEach(function (t) { t.stop(); });
        video.hidden = true;
      };
      var look = function () {
        detector.detect(video).then(function (codes) {
          if (codes.length && codes[0].rawValue) {
            stop();
            input.value = codes[0].rawValue;
            form.submit();
          } else {
            window.setTimeout(look, 300);
          }
        }).catch(function () { window.setTimeout(look, 500); });
      };
      look();
    }).catch(function () { scan.hidden = true; });
  });
})();
