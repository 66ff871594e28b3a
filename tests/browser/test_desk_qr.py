"""The desk's QR scan where the browser has no BarcodeDetector: the vendored jsQR reads the
code from camera frames drawn on a canvas. No real camera: the page's getUserMedia gives a
stream of a canvas showing the shopper's QR image."""

import json

import pytest
import segno
from playwright.sync_api import expect

from .support import PHONE, STAFF_EMAIL, translator
from .test_desks_phone import _seed, fits_the_phone

pytestmark = pytest.mark.browser

t = translator("en")

#: no BarcodeDetector; the "camera" films a canvas with the QR image ``window.__qr`` on it
NO_DETECTOR_FAKE_CAMERA = """
delete window.BarcodeDetector;
if (!navigator.mediaDevices) {
  Object.defineProperty(navigator, "mediaDevices", {value: {}, configurable: true});
}
navigator.mediaDevices.getUserMedia = function () {
  return new Promise(function (resolve) {
    var img = new Image();
    img.onload = function () {
      var canvas = document.createElement("canvas");
      canvas.width = 480; canvas.height = 480;
      var ctx = canvas.getContext("2d");
      var paint = function () {
        ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, 480, 480);
        ctx.drawImage(img, 60, 60, 360, 360);
      };
      paint();
      window.setInterval(paint, 100);
      resolve(canvas.captureStream(10));
    };
    img.src = window.__qr;
  });
};
"""


def _shopper_qr(code: str) -> str:
    """The QR the shopper shows, made as the order page makes it (a full QR), as a data URI."""
    return segno.make_qr(code, error="m").png_data_uri(scale=6, border=2, dark="#0f3d3e")


def staff_filming(people, live_shop, key: str = "DESK_CODE"):
    """The clerk signed in on a phone without BarcodeDetector, the camera showing the QR of
    the code the seed kept in ``app.config[key]``; -> (staff, code)."""
    code = live_shop.app.config[key]
    staff = people("staff", locale="en-US", **PHONE)
    staff.context.add_init_script(f"window.__qr = {json.dumps(_shopper_qr(code))};"
                                  + NO_DETECTOR_FAKE_CAMERA)
    staff.page.goto("/lang/en?next=/login")
    staff.sign_in(t, STAFF_EMAIL)
    return staff, code


@pytest.mark.parametrize("live_shop", [_seed], indirect=True, ids=["desks"])
def test_jsqr_decodes_a_qr_drawn_on_a_canvas(people, live_shop):
    staff, code = staff_filming(people, live_shop)
    page = staff.page
    assert page.evaluate("'BarcodeDetector' in window") is False
    decoded = page.evaluate("""() => window.deskQr.loadFallback().then(() => new Promise(done => {
        const img = new Image();
        img.onload = () => {
          const canvas = document.createElement("canvas");
          canvas.width = 300; canvas.height = 300;
          const ctx = canvas.getContext("2d");
          ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, 300, 300);
          const blank = window.deskQr.decodeCanvas(canvas);
          ctx.drawImage(img, 30, 30, 240, 240);
          done([blank, window.deskQr.decodeCanvas(canvas)]);
        };
        img.src = window.__qr;
    }))""")
    assert decoded == [None, code]
    assert not staff.problems, staff.problems


@pytest.mark.parametrize("live_shop", [_seed], indirect=True, ids=["desks"])
def test_scan_qr_without_barcode_detector_finds_the_order(people, live_shop):
    staff, _code = staff_filming(people, live_shop)
    page = staff.page
    scan = page.get_by_role("button", name=t("Scan QR"))
    expect(scan).to_be_visible()
    scan.click()
    expect(page.locator("main")).to_contain_text("陈思远")  # the last look, found by the scan
    expect(page.get_by_role("button", name=t("Confirm hand-over"))).to_be_visible()
    staff.shot("found-by-jsqr")
    fits_the_phone(page)
    assert not staff.problems, staff.problems
