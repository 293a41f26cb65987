"""Inspection photos: checked, re-encoded and resized with Pillow, metadata (EXIF, GPS) dropped.

The stored file is always a fresh JPEG made from the pixels only, under a server-made name
(models.photo_path); the uploader's file name and metadata never reach the storage.
"""

from dataclasses import dataclass
from io import BytesIO

from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from assessment.mystery_shop.exceptions import PhotoRejected

MAX_PHOTO_BYTES = 12 * 1024 * 1024
MAX_EDGE = 1600
MAX_PIXELS = 50_000_000  # decompression-bomb guard: refuse before decoding
ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP"}


@dataclass(frozen=True)
class CleanPhoto:
    content: ContentFile
    width: int
    height: int
    size: int


def clean_photo(upload) -> CleanPhoto:
    """A JPEG re-encoding of an uploaded JPEG, PNG or WebP photo, at most 1600 px on its long edge,
    turned upright by its EXIF orientation and carrying no metadata. Refuses empty files, files over
    12 MB, other types, and images that do not decode (PhotoRejected)."""
    size = getattr(upload, "size", None) or 0
    if not size:
        raise PhotoRejected(_("The photo is empty."))
    if size > MAX_PHOTO_BYTES:
        raise PhotoRejected(_("The photo is larger than 12 MB."))
    upload.seek(0)
    try:
        with Image.open(upload) as probe:
            if probe.format not in ACCEPTED_FORMATS:
                raise PhotoRejected(_("Attach a JPEG, PNG or WebP photo."))
            if probe.width * probe.height > MAX_PIXELS:
                raise PhotoRejected(_("The photo has too many pixels."))
            probe.verify()
        upload.seek(0)
        with Image.open(upload) as image:
            image.load()
            image = ImageOps.exif_transpose(image)
            if image.mode not in ("RGB", "L"):
                background = Image.new("RGB", image.size, "white")
                rgba = image.convert("RGBA")
                background.paste(rgba, mask=rgba.getchannel("A"))
                image = background
            image.thumbnail((MAX_EDGE, MAX_EDGE), Image.Resampling.LANCZOS)
            out = BytesIO()
            # No exif=, no icc_profile=: the new file carries pixels only.
            image.save(out, format="JPEG", quality=85, optimize=True)
            width, height = image.size
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, SyntaxError, ValueError) as exc:
        raise PhotoRejected(_("The file is not a photo we can read.")) from exc
    finally:
        upload.seek(0)
    data = out.getvalue()
    return CleanPhoto(content=ContentFile(data, name="photo.jpg"), width=width, height=height, size=len(data))
