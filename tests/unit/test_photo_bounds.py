"""Photos within the upload limits cost bounded work: a JPEG is decoded already scaled down to the
size kept, every photo is kept at 2000 px at most, and a PNG (decoded in full) has a lower bound."""
from __future__ import annotations

import io

import pytest
from PIL import ExifTags, Image

from caseapp.services.cases import photos
from caseapp.services.errors import ValidationFailed


def _jpeg(size, orientation=None) -> bytes:
    exif = Image.Exif()
    if orientation:
        exif[ExifTags.Base.Orientation] = orientation
    out = io.BytesIO()
    Image.new("RGB", size, (30, 120, 200)).save(out, "JPEG", quality=80, exif=exif)
    return out.getvalue()


def _stored(blob: bytes) -> Image.Image:
    ((_, cleaned),) = photos.clean_photos([("p", blob)])
    return Image.open(io.BytesIO(cleaned))


def test_a_large_jpeg_is_decoded_scaled_down_and_kept_within_the_bound(monkeypatch):
    blob = _jpeg((7296, 5472))
    decoded = []
    real_load = Image.Image.load

    def load(self):
        decoded.append(self.size)  # what libjpeg really decodes, after draft()
        return real_load(self)

    monkeypatch.setattr(Image.Image, "load", load)
    stored = _stored(blob)
    assert stored.size == (2000, 1500)
    assert decoded and max(w * h for w, h in decoded) <= 7296 * 5472 // 4  # at most a quarter of the pixels


def test_the_exif_orientation_still_stands_the_picture_upright():
    stored = _stored(_jpeg((4032, 3024), orientation=6))  # a phone held upright
    assert stored.size == (1500, 2000) and "exif" not in stored.info


def test_small_photos_are_kept_as_they_are():
    assert _stored(_jpeg((1200, 900))).size == (1200, 900)
    assert photos.stored_size((1, 5000)) == (1, 2000)


def test_a_png_beyond_its_own_bound_is_refused_before_decoding():
    out = io.BytesIO()
    Image.new("1", (5000, 4000)).save(out, "PNG")  # 20 megapixels in a few kilobytes
    with pytest.raises(ValidationFailed) as caught:
        photos.clean_photos([("shot.png", out.getvalue())])
    assert caught.value.fields == {"photos": ["shot.png: each PNG image must be at most 16 megapixels"]}
    small = io.BytesIO()
    Image.new("RGB", (2400, 1080), (5, 5, 5)).save(small, "PNG")
    assert _stored(small.getvalue()).size == (2000, 900)
