/* The desk: refresh the queue without a full reload, and scan the shopper's QR code.

   The queue is fetched as a small HTML partial every 20 seconds while the page is visible,
   unless the clerk is in the middle of something (a field has focus or text, a panel is
   open). The QR scanner uses the browser's BarcodeDetector where there is one and the
   vendored jsQR elsewhere; without a camera its button stays hidden and the code is typed. */
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

  /* QR decoding: the browser's BarcodeDetector where there is one, otherwise the vendored
     jsQR library (loaded on first use) reading frames drawn on a canvas. */
  var qr = window.deskQr = {
    /* The text of the QR code in a canvas (jsQR), or null. */
    decodeCanvas: function (canvas) {
      if (!window.jsQR || !canvas.width || !canvas.height) { return null; }
      var data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
      var code = window.jsQR(data.data, data.width, data.height, {inversionAttempts: "dontInvert"});
      return code && code.data ? code.data : null;
    },
    /* Load jsQR once; resolves when window.jsQR is there. */
    loadFallback: function () {
      if (window.jsQR) { return Promise.resolve(); }
      if (!qr.loading) {
        qr.loading = new Promise(function (resolve, reject) {
          var tag = document.createElement("script");
          tag.src = document.querySelector("[data-jsqr]").getAttribute("data-jsqr");
          tag.onload = resolve;
          tag.onerror = function () { qr.loading = null; reject(new Error("jsQR")); };
          document.head.appendChild(tag);
        });
      }
      return qr.loading;
    },
    /* A function(video) -> Promise of the code or null, for this browser. */
    reader: function () {
      if ("BarcodeDetector" in window) {
        var detector = new window.BarcodeDetector({formats: ["qr_code"]});
        return Promise.resolve(function (video) {
          return detector.detect(video).then(function (codes) {
            return codes.length && codes[0].rawValue ? codes[0].rawValue : null;
          });
        });
      }
      var canvas = document.createElement("canvas");
      return qr.loadFallback().then(function () {
        return function (video) {
          if (!video.videoWidth) { return Promise.resolve(null); }
          /* a frame at most 640 px wide is plenty for a code held up to the camera */
          var scale = Math.min(1, 640 / video.videoWidth);
          canvas.width = Math.round(video.videoWidth * scale);
          canvas.height = Math.round(video.videoHeight * scale);
          canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
          return Promise.resolve(qr.decodeCanvas(canvas));
        };
      });
    }
  };

  var scan = document.querySelector("[data-scan]");
  if (!scan || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) { return; }
  var form = scan.closest("form");
  var input = form.querySelector("input[name=code]");
  var video = document.querySelector("[data-scan-video]");
  scan.hidden = false;
  scan.addEventListener("click", function () {
    Promise.all([qr.reader(), navigator.mediaDevices.getUserMedia({video: {facingMode: "environment"}})])
      .then(function (both) {
        var read = both[0], stream = both[1];
        video.srcObject = stream;
        video.hidden = false;
        var stop = function () {
          stream.getTracks().forEach(function (t) { t.stop(); });
          video.hidden = true;
        };
        var look = function () {
          /* started here, and again if the browser held it back or paused it: a video
             that does not play shows its first frame for ever */
          if (video.paused) { video.play().catch(function () {}); }
          read(video).then(function (code) {
            if (code) {
              stop();
              input.value = code;
              form.submit();
            } else {
              window.setTimeout(look, 250);
            }
          }).catch(function () { window.setTimeout(look, 500); });
        };
        look();
      }).catch(function () { scan.hidden = true; });
  });
})();

/* The hand-over's last look: the cash box only when cash is chosen, and the change for the
   cash received worked out as it is typed (the server works it out again). */
(function () {
  "use strict";
  var choice = document.querySelector(".pay-choice");
  var box = document.querySelector(".cash-change");
  if (!choice || !box) { return; }
  var due = parseInt(choice.getAttribute("data-due"), 10) || 0;
  var input = box.querySelector("input");
  var out = box.querySelector(".change");
  var show = function () {
    var picked = choice.querySelector("input:checked");
    box.hidden = !picked || picked.value !== "cash";
    var text = "";
    var raw = (input.value || "").replace(/[¥,\s]/g, "");
    if (!box.hidden && /^\d+(\.\d{1,2})?$/.test(raw)) {
      var change = Math.round(parseFloat(raw) * 100) - due;
      text = change < 0 ? out.getAttribute("data-short")
        : out.getAttribute("data-label") + " " + out.getAttribute("data-symbol") +
          (change / 100).toFixed(2);
    }
    out.textContent = text;
  };
  choice.addEventListener("change", show);
  input.addEventListener("input", show);
  show();
})();
