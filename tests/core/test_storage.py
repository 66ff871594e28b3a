"""Uploaded images in an S3-compatible store (a real S3 server on loopback, moto's server
mode): named by content hash, served a year, linked at STORAGE_PUBLIC_URL when set, and the
local folder copied over by ``flask storage migrate``."""

import hashlib
import io
import json
import uuid

import pytest
import requests

from core.storage import CACHE_CONTROL, LocalStorage, S3Storage, s3_client, storage_from_config
from tests.support.images import png_bytes
from tests.support.pages import login
from tests.support.s3 import S3_KEYS, S3Server


@pytest.fixture(scope="module")
def s3():
    server = S3Server().start()
    yield server
    server.stop()


@pytest.fixture()
def s3_store(s3, monkeypatch):
    for key, value in S3_KEYS.items():
        monkeypatch.setenv(key, value)
    bucket = s3.bucket()
    return storage_from_config({"STORAGE_URL": f"s3://{bucket}/shop/images",
                                "S3_ENDPOINT_URL": s3.url, "UPLOAD_FOLDER": "/nonexistent"})


@pytest.fixture()
def on_s3(app, s3_store, monkeypatch):
    """The test's app keeps its images in the S3 store."""
    monkeypatch.setitem(app.extensions, "shop_storage", s3_store)
    return s3_store


def test_the_store_keeps_images_by_content_hash(s3, s3_store):
    image = png_bytes(note=uuid.uuid4().hex)
    name = s3_store.save(image, "png")
    assert name == hashlib.sha256(image).hexdigest() + ".png"
    assert s3_store.save(image, "png") == name  # the same bytes are kept once
    head = s3.client().head_object(Bucket=s3_store.bucket, Key=f"shop/images/{name}")
    assert (head["ContentType"], head["CacheControl"]) == ("image/png", CACHE_CONTROL)
    assert s3_store.read(name) == image and s3_store.exists(name)
    assert s3_store.read("0" * 64 + ".png") is None
    assert s3_store.read("../secret.png") is None and not s3_store.exists("../x.png")
    s3_store.delete(name)
    assert not s3_store.exists(name)


def test_an_uploaded_product_image_goes_to_the_store(client, session, shop, app, on_s3):
    from storefront.models import Category, Product
    from tests.support.forms import product_form

    category = Category(slug=f"c-{uuid.uuid4().hex[:6]}", name_zh="海参", name_en="Sea")
    session.add(category)
    session.flush()
    login(client, shop.admin)
    image = png_bytes(note=uuid.uuid4().hex)
    data = product_form(category, image=(io.BytesIO(image), "海参.png"))
    assert client.post("/admin/products/new", data=data,
                       content_type="multipart/form-data").status_code == 302
    product = session.query(Product).filter_by(sku="HS-TEST-500").one()
    assert on_s3.read(product.image) == image
    assert not LocalStorage(app.config["UPLOAD_FOLDER"]).exists(product.image)
    served = client.get(f"/uploads/{product.image}")
    assert served.status_code == 200 and served.data == image
    assert served.mimetype == "image/png"
    assert served.headers["Cache-Control"] == CACHE_CONTROL
    again = client.get(f"/uploads/{product.image}", headers={"If-None-Match": served.headers[
        "ETag"].strip('"')})
    assert again.status_code == 304
    assert client.get("/uploads/" + "0" * 64 + ".png").status_code == 404
    assert client.get("/uploads/notes.txt").status_code == 404


def test_pages_link_images_at_the_stores_own_address(client, session, shop, app, on_s3,
                                                     s3, monkeypatch):
    public = f"{s3.url}/{on_s3.bucket}/shop/images"
    # what the operator does for it: the images' prefix readable by anyone (docs/deploy.md)
    s3.client().put_bucket_policy(Bucket=on_s3.bucket, Policy=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::{on_s3.bucket}/shop/images/*"}]}))
    monkeypatch.setitem(app.config, "STORAGE_PUBLIC_URL", public)
    image = png_bytes(note=uuid.uuid4().hex)
    product = shop.products[0]
    product.image = on_s3.save(image, "png")
    session.commit()
    page = client.get(f"/products/{product.slug}")
    assert f'{public}/{product.image}' in page.get_data(as_text=True)
    assert f"img-src 'self' data: {s3.url}" in page.headers["Content-Security-Policy"]
    api = client.get(f"/api/v1/products/{product.slug}").get_json()
    assert api["image"] == f"{public}/{product.image}"
    fetched = requests.get(f"{public}/{product.image}", timeout=10)
    assert fetched.status_code == 200 and fetched.content == image


def test_readyz_sees_the_store(client, on_s3, s3, app, monkeypatch):
    assert client.get("/readyz").get_json()["storage"] == "ok"
    gone = S3Storage("no-such-bucket", "", s3_client(s3.url))
    monkeypatch.setitem(app.extensions, "shop_storage", gone)
    answer = client.get("/readyz")
    assert answer.status_code == 503 and answer.get_json()["down"] == ["storage"]


def test_storage_migrate_copies_the_local_folder(runner, app, on_s3, tmp_path):
    folder = LocalStorage(str(tmp_path / "uploads"))
    images = [png_bytes(note=uuid.uuid4().hex) for _ in range(3)]
    names = [folder.save(image, "png") for image in images]
    on_s3.put(names[0], images[0])  # one is there already
    first = runner.invoke(args=["storage", "migrate", "--folder", folder.folder])
    assert first.exit_code == 0 and "2 copied, 1 already in the store" in first.output
    assert [on_s3.read(name) for name in names] == images
    second = runner.invoke(args=["storage", "migrate", "--folder", folder.folder])
    assert "0 copied, 3 already in the store" in second.output


def test_storage_migrate_needs_a_store(runner):
    result = runner.invoke(args=["storage", "migrate"])
    assert result.exit_code != 0 and "STORAGE_URL is not set" in result.output


def test_a_bad_storage_url_is_refused():
    with pytest.raises(ValueError, match="s3://bucket/prefix"):
        storage_from_config({"STORAGE_URL": "ftp://x", "UPLOAD_FOLDER": "/tmp"})
