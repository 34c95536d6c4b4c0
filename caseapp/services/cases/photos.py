"""Photos sent with a report: checked by content, size-limited, re-encoded without metadata."""
from __future__ import annotations

import io

from PIL import Image, ImageOps, UnidentifiedImageError

from ...extensions import db
from ...models import CasePhoto
from ..access import require_case
from ..errors import NotFound, ValidationFailed
from .submission import get_by_tracking_code

MAX_PHOTOS = 3
MAX_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a 5 MB file can still decompress into a bomb; decoding costs CPU
# What is kept: the longest side of a stored photo. Staff read a report photo on a screen; the
# bound also bounds the work: a JPEG is decoded already scaled down (libjpeg's DCT scaling, through
# Image.draft) and every photo is re-encoded at this size at most (bench/photo_decode.py).
MAX_SIDE = 2000
# A PNG cannot be decoded scaled down: every pixel is inflated. Phones save photos as JPEG; a PNG
# is a screenshot (a few megapixels), so PNGs get a lower bound.
MAX_PNG_PIXELS = 16_000_000
FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png"}

MSG_TOO_MANY = "at most 3 photos"
MSG_TOO_LARGE = "each photo must be at most 5 MB"
MSG_NOT_IMAGE = "only JPEG or PNG photos are accepted"
MSG_EMPTY = "the photo is empty"
MSG_TOO_MANY_PIXELS = "each photo must be at most 40 megapixels"
MSG_PNG_TOO_MANY_PIXELS = "each PNG image must be at most 16 megapixels"


def clean_photos(uploads: list[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
    """(filename, raw bytes) → (content type, re-encoded bytes); every problem raised at once.

    The content decides, never the file name or the browser's content type. Re-encoding drops
    EXIF (GPS position, camera serial…) and PNG text chunks; the EXIF orientation is applied
    first so the picture stays upright. A photo larger than MAX_SIDE is stored scaled down to it.
    """
    uploads = [(name, blob) for name, blob in uploads if name or blob]
    if len(uploads) > MAX_PHOTOS:
        raise ValidationFailed("too many photos", {"photos": [MSG_TOO_MANY]})
    errors: list[str] = []
    cleaned: list[tuple[str, bytes]] = []
    for name, blob in uploads:
        label = f"{name}: " if name else ""
        if not blob:
            errors.append(label + MSG_EMPTY)
            continue
        if len(blob) > MAX_BYTES:
            errors.append(label + MSG_TOO_LARGE)
            continue
        try:
            cleaned.append(_reencode(blob))
        except _NotAnImage:
            errors.append(label + MSG_NOT_IMAGE)
        except _TooManyPixels:
            errors.append(label + MSG_TOO_MANY_PIXELS)
        except _PngTooManyPixels:
            errors.append(label + MSG_PNG_TOO_MANY_PIXELS)
    if errors:
        raise ValidationFailed("the photos have errors", {"photos": errors})
    return cleaned


class _NotAnImage(Exception):
    pass


class _TooManyPixels(Exception):
    pass


class _PngTooManyPixels(Exception):
    pass


def _reencode(blob: bytes) -> tuple[str, bytes]:
    try:
        with Image.open(io.BytesIO(blob)) as probe:  # reads the header only
            if probe.format not in FORMATS:
                raise _NotAnImage()
            if probe.width * probe.height > MAX_PIXELS:  # refused before any pixel is decoded
                raise _TooManyPixels()
            if probe.format == "PNG" and probe.width * probe.height > MAX_PNG_PIXELS:
                raise _PngTooManyPixels()
            probe.verify()
        with Image.open(io.BytesIO(blob)) as image:
            fmt = image.format
            if fmt == "JPEG":  # decode at 1/2, 1/4 or 1/8 scale when that still covers the size kept
                image.draft(image.mode if image.mode in ("RGB", "L") else "RGB",
                            stored_size(image.size))
            image.load()
            image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.BILINEAR)  # aspect kept
            image = ImageOps.exif_transpose(image)
            out = io.BytesIO()
            if fmt == "JPEG":
                if image.mode not in ("RGB", "L"):
                    image = image.convert("RGB")
                image.save(out, "JPEG", quality=88, optimize=True)
            else:
                if image.mode not in ("RGB", "RGBA", "L", "LA", "P"):
                    image = image.convert("RGBA")
                image.save(out, "PNG")  # optimize=True costs seconds on a large image
    except (_NotAnImage, _TooManyPixels, _PngTooManyPixels):
        raise
    except Image.DecompressionBombError as exc:  # beyond Pillow's own limit (Image.MAX_IMAGE_PIXELS)
        raise _TooManyPixels() from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise _NotAnImage() from exc
    return FORMATS[fmt], out.getvalue()


def stored_size(size: tuple[int, int]) -> tuple[int, int]:
    """The size a photo is kept at: within MAX_SIDE × MAX_SIDE, aspect kept, never enlarged."""
    width, height = size
    scale = min(1.0, MAX_SIDE / max(width, height, 1))
    return max(1, round(width * scale)), max(1, round(height * scale))


def get_case_photo(user, tracking_code: str, photo_id: int) -> CasePhoto:
    """A photo of a case the caller may read."""
    case = get_by_tracking_code(tracking_code)
    require_case(user, case)
    photo = db.session.scalars(db.select(CasePhoto).where(
        CasePhoto.id == photo_id, CasePhoto.case_id == case.id)).first()
    if photo is None:
        raise NotFound("no such photo")
    return photo
