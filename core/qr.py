"""QR codes as SVG images, for the pages that show one (a pickup code, a member's card)."""

import io

import segno
from flask import Response


def qr_svg_response(text: str, **style) -> Response:
    """``text`` as a QR code in an SVG response that no cache keeps.

    Always a full QR code (not a Micro QR, which segno picks for short texts): every scanner
    reads it, the desk's jsQR fallback included. ``style`` goes to segno's SVG writer
    (``scale``, ``dark``, ``omitsize``, ``xmldecl``...); the border is two modules.
    """
    out = io.BytesIO()
    segno.make_qr(text, error="m").save(out, kind="svg", border=2, **style)
    return Response(out.getvalue(), mimetype="image/svg+xml",
                    headers={"Cache-Control": "private, no-store"})
