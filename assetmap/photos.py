"""Photos of assets: check an upload and turn it into a clean JPEG that carries no metadata.

An upload is accepted only if Pillow decodes it as JPEG, PNG or WebP (the file's name and declared
type are never trusted), it is not bigger than a byte limit (:class:`PhotoTooLarge`, HTTP 413) and
not bigger than a pixel limit (checked from the header before any pixel is decoded: a guard against
decompression bombs). The camera's EXIF orientation is applied to the pixels, the image is shrunk
to at most 1600 px on its longest side and re-encoded as a JPEG with no EXIF, GPS, XMP, ICC profile
or comment: everything the app keeps about a photo (asset, uploader, time, size) is stored beside
it on purpose. Pure functions on bytes; no Flask, no storage. See ``docs/photos.md``.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from io import BytesIO

from PIL import Image, ImageOps, UnidentifiedImageError

from assetmap.errors import InvalidInput, TooLarge

ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP")
# Pillow's JPEG reader reports some phones' JPEGs (with a second, preview picture inside) as MPO.
_DECODED_AS = {"JPEG": "JPEG", "MPO": "JPEG", "PNG": "PNG", "WEBP": "WEBP"}
MAX_SIDE = 1600
JPEG_QUALITY = 85
MEGABYTE = 1024 * 1024
MEGAPIXEL = 1_000_000
_BACKGROUND = (255, 255, 255)  # transparent parts become white: JPEG has no transparency


class PhotoTooLarge(TooLarge):
    """The upload has more bytes than ``max_bytes`` (HTTP 413)."""

    def __init__(self, max_bytes: int) -> None:
        limit = f"{max_bytes} bytes" if max_bytes < MEGABYTE else f"{max_bytes / MEGABYTE:.3g} MB"
        super().__init__(f"photo: the file is too large (at most {limit})")
        self.max_bytes = max_bytes


@dataclass(frozen=True)
class CleanPhoto:
    """A re-encoded photo: JPEG bytes without metadata, and its size in pixels."""

    data: bytes
    width: int
    height: int


def check_size(size: int, *, max_bytes: int) -> None:
    """Raise :class:`PhotoTooLarge` when ``size`` bytes is over ``max_bytes``.

    >>> check_size(10, max_bytes=10)
    >>> check_size(2 * MEGABYTE + 1, max_bytes=2 * MEGABYTE)
    Traceback (most recent call last):
    ...
    assetmap.photos.PhotoTooLarge: photo: the file is too large (at most 2 MB)
    """
    if size > max_bytes:
        raise PhotoTooLarge(max_bytes)


def clean_photo(
    data: bytes,
    *,
    max_bytes: int,
    max_pixels: int,
    max_side: int = MAX_SIDE,
    quality: int = JPEG_QUALITY,
) -> CleanPhoto:
    """Check an uploaded image and re-encode it as an upright JPEG with no metadata.

    Parameters
    ----------
    data
        The uploaded file's bytes.
    max_bytes
        The most bytes an upload may have.
    max_pixels
        The most pixels (width × height) an upload may have; checked before decoding.
    max_side
        The longest side of the result in pixels (smaller images are not enlarged).
    quality
        JPEG quality of the result (1-95).

    Returns
    -------
    CleanPhoto
        The JPEG and its width and height after orientation and shrinking.

    Raises
    ------
    PhotoTooLarge
        More than ``max_bytes``.
    InvalidInput
        Empty, not a JPEG, PNG or WebP image, more than ``max_pixels``, or truncated or damaged.
    """
    check_size(len(data), max_bytes=max_bytes)
    if not data:
        raise InvalidInput("photo: the file is empty")
    image = _opened(data, max_pixels=max_pixels)
    if not _complete(data, _DECODED_AS[image.format or ""]):
        raise InvalidInput("photo: the image is truncated or damaged and cannot be read")
    try:
        image.load()
        upright = ImageOps.exif_transpose(image)
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise InvalidInput("photo: the image is truncated or damaged and cannot be read") from None
    flat = _without_transparency(upright)
    flat.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    flat.info.clear()  # Pillow carries e.g. a JPEG comment over from info when saving
    out = BytesIO()
    flat.save(out, format="JPEG", quality=quality, optimize=True)
    return CleanPhoto(out.getvalue(), flat.width, flat.height)


def _opened(data: bytes, *, max_pixels: int) -> Image.Image:
    """The image with only its header read, once its format and pixel count are known to be allowed."""
    try:
        image = Image.open(BytesIO(data), formats=list(ACCEPTED_FORMATS))
    except UnidentifiedImageError:
        raise InvalidInput("photo: not a JPEG, PNG or WebP image") from None
    except Image.DecompressionBombError:
        raise InvalidInput(
            f"photo: too many pixels (at most {max_pixels / MEGAPIXEL:g} megapixels)"
        ) from None
    except (OSError, SyntaxError, ValueError):
        raise InvalidInput("photo: the image is truncated or damaged and cannot be read") from None
    if _DECODED_AS.get(image.format or "") not in ACCEPTED_FORMATS:
        raise InvalidInput("photo: not a JPEG, PNG or WebP image")
    width, height = image.size
    if width * height > max_pixels:
        raise InvalidInput(
            f"photo: {width} × {height} pixels is too many (at most {max_pixels / MEGAPIXEL:g} megapixels)"
        )
    return image


def _without_transparency(image: Image.Image) -> Image.Image:
    """An RGB (or greyscale) copy, transparent parts laid on white."""
    if image.mode in ("RGB", "L"):
        return image.copy()
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, _BACKGROUND)
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


# -- is the whole file there? ----------------------------------------------------------------------
# Pillow skips over a truncated file without a word when ``ImageFile.LOAD_TRUNCATED_IMAGES`` is set,
# and that is a process-wide switch other libraries turn on (WeasyPrint does, on import). So
# completeness is checked here, from the file's structure, whatever the switch says.
_RIFF_HEADER = 8  # "RIFF", then the size of what follows
_PNG_SIGNATURE = 8
_PNG_CHUNK_FRAME = 12  # length, type and CRC around a chunk's data
_FF = 0xFF  # starts every JPEG marker; also a fill byte before one
_JPEG_EOI, _JPEG_SOS = 0xD9, 0xDA
_JPEG_NO_LENGTH = frozenset({0x01, *range(0xD0, 0xD8)})  # TEM and the restart markers


def _complete(data: bytes, fmt: str) -> bool:
    """Whether ``data`` holds a whole JPEG, PNG or WebP file (a truncated one does not)."""
    if fmt == "JPEG":
        return _jpeg_complete(data)
    if fmt == "PNG":
        return _png_complete(data)
    return len(data) >= _RIFF_HEADER + int.from_bytes(data[4:8], "little")


def _jpeg_complete(data: bytes) -> bool:
    """Walk the JPEG's segments and entropy-coded scans up to the end-of-image marker.

    Only the main image is followed, so neither a thumbnail inside the EXIF segment nor a trailer
    some phones append after the end counts.

    >>> _jpeg_complete(bytes.fromhex("ffd8 ffe0 0004 0000 ffda 0002 1234 ff00 56 ffd0 78 ffd9"))
    True
    >>> _jpeg_complete(bytes.fromhex("ffd8 ffe0 0004 0000 ffda 0002 1234 ff00 56"))
    False
    """
    at, size = 2, len(data)
    while at + 1 < size:
        if data[at] != _FF:
            return False
        marker = data[at + 1]
        if marker == _JPEG_EOI:
            return True
        if marker == _FF:
            at += 1
        elif marker in _JPEG_NO_LENGTH:
            at += 2
        elif at + 4 > size:
            return False
        else:
            at += 2 + int.from_bytes(data[at + 2 : at + 4], "big")
            if marker == _JPEG_SOS:
                at = _scan_end(data, at)
                if at < 0:
                    return False
    return False


def _scan_end(data: bytes, at: int) -> int:
    """Where the entropy-coded data from ``at`` ends (the next real marker), or -1 if it runs out."""
    while True:
        at = data.find(b"\xff", at)
        if at < 0 or at + 1 >= len(data):
            return -1
        following = data[at + 1]
        if following == 0 or following in _JPEG_NO_LENGTH:  # a stuffed 0xFF or a restart marker
            at += 2
        elif following == _FF:
            at += 1
        else:
            return at


def _png_complete(data: bytes) -> bool:
    """Walk the PNG's chunks, checking each CRC, up to the IEND chunk."""
    at = _PNG_SIGNATURE
    while at + _PNG_CHUNK_FRAME <= len(data):
        length = int.from_bytes(data[at : at + 4], "big")
        end = at + _PNG_CHUNK_FRAME + length
        if end > len(data):
            return False
        if zlib.crc32(data[at + 4 : end - 4]) != int.from_bytes(data[end - 4 : end], "big"):
            return False
        if data[at + 4 : at + 8] == b"IEND":
            return True
        at = end
    return False
