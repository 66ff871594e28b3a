"""Article covers: staff upload an image like a product's (same checks, same storage); the
staff list, the member's guide list and the article show it; a bad file changes nothing."""

import hashlib
import io
import uuid

import pytest
import sqlalchemy as sa

from crm.club.models import Article
from storefront.loyalty.membership import sign_up_member
from tests.support.images import png_bytes, uploads
from tests.support.pages import login


def _form(**extra):
    return {"title": "6月龄辅食", "body_md": "米粉", "publish_from": "2026-01-01T08:00",
            **extra}


def _article(session) -> Article:
    session.expire_all()
    return session.execute(sa.select(Article)).scalar_one()


def test_staff_upload_a_cover_and_members_see_it(client, shop, session, app, token_for):
    sign_up_member(shop.shopper, name="王丽", phone="13800000001", city="上海市")
    login(client, shop.agent)
    before = uploads(app)
    image = png_bytes(note=uuid.uuid4().hex)
    response = client.post("/crm/club/articles/new", content_type="multipart/form-data",
                           data=_form(cover=(io.BytesIO(image), "封面.png")))
    assert response.status_code == 302, response.get_data(as_text=True)
    article = _article(session)
    # named by its content's hash, never by the file's name
    assert article.cover_image == hashlib.sha256(image).hexdigest() + ".png"
    assert uploads(app) - before == {article.cover_image}
    served = client.get(f"/uploads/{article.cover_image}")
    assert served.status_code == 200 and served.data == image
    src = f"/uploads/{article.cover_image}"
    assert src in client.get("/crm/club/articles").get_data(as_text=True)
    assert src in client.get(f"/crm/club/articles/{article.id}/edit").get_data(as_text=True)
    # editing without a new file keeps the cover; removing it clears it
    client.post(f"/crm/club/articles/{article.id}/edit", data=_form(title="6月龄辅食（新）"))
    assert _article(session).cover_image == article.cover_image
    login(client, shop.shopper)
    assert src in client.get("/member/content").get_data(as_text=True)
    assert src in client.get(f"/member/content/{article.public_id}").get_data(as_text=True)
    body = client.get("/api/v1/member/content", headers=token_for(shop.shopper)).get_json()
    assert [a["cover_url"] for a in body["articles"]] == [src]
    login(client, shop.agent)
    client.post(f"/crm/club/articles/{article.id}/edit", data=_form(remove_cover="y"))
    assert _article(session).cover_image is None


@pytest.mark.parametrize("name, content", [
    ("notes.png", b"just some text, not an image"),
    ("photo.gif", b"GIF89a\x01\x00\x01\x00"),
    ("page.html", b"<script>alert(1)</script>"),
])
def test_a_bad_cover_is_a_form_error_and_nothing_is_written(client, shop, session, app,
                                                           name, content):
    login(client, shop.agent)
    files = uploads(app)
    response = client.post("/crm/club/articles/new", content_type="multipart/form-data",
                           data=_form(cover=(io.BytesIO(content), name)))
    assert response.status_code == 400
    assert "Upload a JPEG, PNG or WebP image" in response.get_data(as_text=True)
    assert session.execute(sa.select(sa.func.count()).select_from(Article)).scalar_one() == 0
    assert uploads(app) == files


def test_a_cover_too_large_is_refused(client, shop, session, app):
    login(client, shop.agent)
    files = uploads(app)
    big = png_bytes() + b"\0" * app.config["MAX_CONTENT_LENGTH"]
    response = client.post("/crm/club/articles/new", content_type="multipart/form-data",
                           data=_form(cover=(io.BytesIO(big), "big.png")))
    assert response.status_code == 413
    assert "Traceback" not in response.get_data(as_text=True)
    assert uploads(app) == files
