/* The counter: scan with the camera into the code box, show the change as cash is typed,
   print the receipt.

   Codes: the browser's BarcodeDetector (EAN-13 and QR) where there is one, else the
   vendored ZXing library (loaded on first use) reading frames drawn on a canvas. A USB
   scanner needs nothing here: it types into the box and presses Enter, which submits. */
(function () {
  "use strict";

  var print = document.querySelector("[data-print]");
  if (print) { print.addEventListener("click", function () { window.print(); }); }

  var tendered = document.querySelector("[name=tendered]");
  if (tendered) {
    var line = document.querySelector("[data-change-line]");
    var out = document.querySelector("[data-change]");
    var total = parseInt(tendered.getAttribute("data-total"), 10) || 0;
    var fmt = function (fen) { return "¥" + (fen / 100).toFixed(2); };
    tendered.addEventListener("input", function () {
      var m = /^\s*(\d+)(?:\.(\d{1,2}))?\s*$/.exec(tendered.value);
      if (!m) { line.hidden = true; return; }
      var fen = parseInt(m[1], 10) * 100 + parseInt(((m[2] || "") + "00").slice(0, 2), 10);
      line.hidden = fen < total;
      out.textContent = fmt(fen - total);
    });
    /* Enter in the cash field takes the cash, not the code box's "Add". */
    tendered.addEventListener("keydown", function (e) {
      if (e.key === "Enter") {
        e.preventDefault();
        var cash = document.querySelector("button[name=pay][value=cash]");
        if (cash) { cash.click(); }
      }
    });
  }

  var codes = window.counterCodes = {
    /* The text of an EAN-13 or QR code in a canvas (ZXing), or null. */
    decodeCanvas: function (canvas) {
      var Z = window.ZXing;
      if (!Z || !canvas.width || !canvas.height) { return null; }
      if (!codes.reader) {
        var hints = new Map();
        hints.set(Z.DecodeHintType.POSSIBLE_FORMATS, [Z.BarcodeFormat.EAN_13, Z.BarcodeFormat.QR_CODE]);
        codes.reader = new Z.MultiFormatReader();
        codes.reader.setHints(hints);
      }
      try {
        var source = new Z.HTMLCanvasElementLuminanceSource(canvas);
        var result = codes.reader.decodeWithState(new Z.BinaryBitmap(new Z.HybridBinarizer(source)));
        return result ? result.getText() : null;
      } catch (err) {
        return null; /* nothing readable in this frame */
      }
    },
    loadFallback: function () {
      if (window.ZXing) { return Promise.resolve(); }
      if (!codes.loading) {
        codes.loading = new Promise(function (resolve, reject) {
          var tag = document.createElement("script");
          tag.src = document.querySelector("[data-zxing]").getAttribute("data-zxing");
          tag.onload = resolve;
          tag.onerror = function () { codes.loading = null; reject(new Error("zxing")); };
          document.head.appendChild(tag);
        });
      }
      return codes.loading;
    },
    reader: null,
    /* A function(video) -> Promise of the code or null, for this browser. */
    frameReader: function () {
      if ("BarcodeDetector" in window) {
        var detector = new window.BarcodeDetector({formats: ["ean_13", "qr_code"]});
        return Promise.resolve(function (video) {
          return detector.detect(video).then(function (found) {
            return found.length && found[0].rawValue ? found[0].rawValue : null;
          });
        });
      }
      var canvas = document.createElement("canvas");
      return codes.loadFallback().then(function () {
        return function (video) {
          if (!video.videoWidth) { return Promise.resolve(null); }
          var scale = Math.min(1, 800 / video.videoWidth);
          canvas.width = Math.round(video.videoWidth * scale);
          canvas.height = Math.round(video.videoHeight * scale);
          canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
          return Promise.resolve(codes.decodeCanvas(canvas));
        };
      });
    }
  };

  var scan = document.querySelector("[data-scan-any]");
  if (!scan || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) { return; }
  var form = scan.closest("form");
  var input = form.querySelector("input[name=code]");
  var add = form.querySelector("button[name=do][value=code]");
  var video = document.querySelector("[data-scan-video]");
  scan.hidden = false;
  scan.addEventListener("click", function () {
    Promise.all([codes.frameReader(),
                 navigator.mediaDevices.getUserMedia({video: {facingMode: "environment"}})])
      .then(function (both) {
        var read = both[0], stream = both[1];
        video.srcObject = stream;
        video.hidden = false;
        var look = function () {
          /* started here, and again if the browser held it back or paused it: a video
             that does not play shows its first frame for ever */
          if (video.paused) { video.play().catch(function () {}); }
          read(video).then(function (code) {
            if (code) {
              stream.getTracks().forEach(function (t) { t.stop(); });
              video.hidden = true;
              input.value = code;
              add.click();
            } else {
              window.setTimeout(look, 200);
            }
          }).catch(function () { window.setTimeout(look, 400); });
        };
        look();
      }).catch(function () { scan.hidden = true; });
  });
})();
