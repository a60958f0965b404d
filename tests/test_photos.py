"""Checking and cleaning uploaded photos (assetmap.photos), on images made here with Pillow."""

from __future__ import annotations

from io import BytesIO

import pytest
from PIL import Image, ImageFile, PngImagePlugin

from assetmap.config import load_config
from assetmap.errors import ConfigError, InvalidInput
from assetmap.photos import MAX_SIDE, MEGABYTE, PhotoTooLarge, check_size, clean_photo

LIMITS = {"max_bytes": 10 * MEGABYTE, "max_pixels": 40_000_000}
BLUE, RED = (0, 0, 255), (255, 0, 0)
ORIENTATION, MAKE, GPS_IFD = 0x0112, 0x010F, 0x8825


def encoded(image: Image.Image, fmt: str, **options) -> bytes:
    out = BytesIO()
    image.save(out, format=fmt, **options)
    return out.getvalue()


def opened(data: bytes) -> Image.Image:
    image = Image.open(BytesIO(data))
    image.load()
    return image


def close_to(pixel, colour, tolerance=12) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, colour, strict=True))


def phone_jpeg() -> bytes:
    """A 400 × 200 JPEG, its left quarter blue, as a phone held upright saves it: the pixels lying on
    their side and EXIF orientation 6 (turn 90° clockwise to show), with GPS, a make, a comment and
    an ICC profile."""
    image = Image.new("RGB", (400, 200), RED)
    image.paste(BLUE, (0, 0, 100, 200))
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    exif[MAKE] = "PhoneMaker"
    exif[GPS_IFD] = {1: "N", 2: (52.0, 37.0, 30.0), 3: "W", 4: (1.0, 8.0, 0.5)}
    return encoded(image, "JPEG", exif=exif.tobytes(), comment=b"secret comment", icc_profile=b"ICC" * 50)


# -- metadata and orientation ----------------------------------------------------------------------
def test_the_upload_really_carries_the_metadata():
    source = opened(phone_jpeg())
    assert source.getexif().get_ifd(GPS_IFD)[1] == "N"
    assert {"exif", "comment", "icc_profile"} <= set(source.info)


def test_gps_and_all_other_metadata_are_gone_from_the_result():
    clean = clean_photo(phone_jpeg(), **LIMITS)
    result = opened(clean.data)
    assert result.format == "JPEG"
    assert len(result.getexif()) == 0 and result.getexif().get_ifd(GPS_IFD) == {}
    assert not {"exif", "comment", "icc_profile", "xmp"} & set(result.info)
    for marker in (b"Exif", b"PhoneMaker", b"secret comment", b"ICC", b"http://ns.adobe.com/xap"):
        assert marker not in clean.data


def test_the_orientation_is_applied_to_the_pixels():
    clean = clean_photo(phone_jpeg(), **LIMITS)
    assert (clean.width, clean.height) == (200, 400)  # turned upright
    result = opened(clean.data).convert("RGB")
    assert result.size == (200, 400)
    assert close_to(result.getpixel((100, 20)), BLUE)  # the left quarter is now at the top
    assert close_to(result.getpixel((100, 380)), RED)


def test_png_text_chunks_are_dropped():
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "taken at 12 Secret Street")
    info.add_text("XML:com.adobe.xmp", "<x:xmpmeta>GPS 52.6</x:xmpmeta>")
    data = encoded(Image.new("RGB", (50, 40), RED), "PNG", pnginfo=info)
    assert opened(data).text["Comment"] == "taken at 12 Secret Street"
    clean = clean_photo(data, **LIMITS)
    assert b"Secret Street" not in clean.data and b"xmpmeta" not in clean.data
    assert (clean.width, clean.height) == (50, 40) and opened(clean.data).format == "JPEG"


def test_transparent_webp_is_laid_on_white_and_shrunk_to_the_longest_side():
    data = encoded(Image.new("RGBA", (3200, 1000), (0, 0, 0, 0)), "WEBP")
    clean = clean_photo(data, **LIMITS)
    assert (clean.width, clean.height) == (MAX_SIDE, 500)
    assert close_to(opened(clean.data).convert("RGB").getpixel((10, 10)), (255, 255, 255))


def test_a_small_image_is_not_enlarged():
    clean = clean_photo(encoded(Image.new("L", (30, 20), 128), "PNG"), **LIMITS)
    assert (clean.width, clean.height) == (30, 20)


def test_a_palette_png_with_a_transparent_index_becomes_rgb():
    image = Image.new("P", (20, 20), 0)
    image.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    data = encoded(image, "PNG", transparency=0)
    result = opened(clean_photo(data, **LIMITS).data)
    assert result.mode == "RGB" and close_to(result.getpixel((5, 5)), (255, 255, 255))


# -- refusals --------------------------------------------------------------------------------------
def test_a_text_file_named_jpg_is_not_an_image():
    with pytest.raises(InvalidInput, match="photo: not a JPEG, PNG or WebP image"):
        clean_photo(b"name,lat,lon\nthis is a csv file saved as photo.jpg\n", **LIMITS)


def test_other_image_formats_are_refused():
    with pytest.raises(InvalidInput, match="not a JPEG, PNG or WebP image"):
        clean_photo(encoded(Image.new("RGB", (20, 20)), "GIF"), **LIMITS)
    with pytest.raises(InvalidInput, match="not a JPEG, PNG or WebP image"):
        clean_photo(encoded(Image.new("RGB", (20, 20)), "BMP"), **LIMITS)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_a_truncated_image_is_refused(fmt):
    noise = Image.effect_noise((300, 300), 64).convert("RGB")
    data = encoded(noise, fmt)
    with pytest.raises(InvalidInput, match="photo: the image is truncated or damaged"):
        clean_photo(data[: len(data) // 2], **LIMITS)


@pytest.fixture
def tolerant_pillow(monkeypatch):
    """Pillow as WeasyPrint leaves it on import: told to load truncated images without a word."""
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)


def noisy(fmt: str, **options) -> bytes:
    return encoded(Image.effect_noise((300, 300), 64).convert("RGB"), fmt, **options)


@pytest.mark.usefixtures("tolerant_pillow")
@pytest.mark.parametrize(
    ("fmt", "options"), [("JPEG", {}), ("JPEG", {"progressive": True}), ("PNG", {}), ("WEBP", {})]
)
def test_a_truncated_image_is_refused_even_when_pillow_would_load_it(fmt, options):
    data = noisy(fmt, **options)
    assert clean_photo(data, **LIMITS).width == 300  # the whole file is fine
    for cut in (len(data) // 3, len(data) - 2):
        with pytest.raises(InvalidInput, match="photo: the image is truncated or damaged"):
            clean_photo(data[:cut], **LIMITS)


def test_a_jpeg_with_a_trailer_after_its_end_is_whole():
    """Some phones append their own data after the JPEG's end-of-image marker."""
    clean = clean_photo(noisy("JPEG") + b"SEFH trailer \xff\xd8 more", **LIMITS)
    assert b"SEFH" not in clean.data


def test_a_png_with_a_damaged_chunk_is_refused():
    data = bytearray(noisy("PNG"))
    data[len(data) // 2] ^= 0xFF  # inside the image data: its CRC no longer matches
    with pytest.raises(InvalidInput, match="photo: the image is truncated or damaged"):
        clean_photo(bytes(data), **LIMITS)


def test_an_empty_file_is_refused():
    with pytest.raises(InvalidInput, match="photo: the file is empty"):
        clean_photo(b"", **LIMITS)


def test_a_file_over_the_byte_limit_is_refused():
    data = phone_jpeg()
    with pytest.raises(PhotoTooLarge, match=r"photo: the file is too large \(at most 1049 bytes\)") as caught:
        clean_photo(data, max_bytes=1049, max_pixels=40_000_000)
    assert caught.value.status == 413 and len(data) > 1049
    exactly = clean_photo(data, max_bytes=len(data), max_pixels=40_000_000)  # the limit itself is fine
    assert exactly.width == 200


def test_an_image_over_the_pixel_limit_is_refused():
    """7000 × 6000 black pixels: 42 megapixels in a PNG of a few tens of kilobytes."""
    data = encoded(Image.new("L", (7000, 6000)), "PNG")
    assert len(data) < 200_000
    with pytest.raises(InvalidInput, match="7000 × 6000 pixels is too many \\(at most 40 megapixels\\)"):
        clean_photo(data, **LIMITS)


def test_the_pixel_limit_is_width_times_height():
    data = encoded(Image.new("RGB", (100, 50)), "JPEG")
    assert clean_photo(data, max_bytes=MEGABYTE, max_pixels=5000).width == 100
    with pytest.raises(InvalidInput, match="100 × 50 pixels is too many"):
        clean_photo(data, max_bytes=MEGABYTE, max_pixels=4999)


def test_check_size():
    check_size(0, max_bytes=1)
    check_size(MEGABYTE, max_bytes=MEGABYTE)
    with pytest.raises(PhotoTooLarge, match="at most 1 MB"):
        check_size(MEGABYTE + 1, max_bytes=MEGABYTE)


# -- settings --------------------------------------------------------------------------------------
def test_photo_limits_have_defaults_and_read_the_environment(tmp_path):
    config = load_config(environ={}, instance_path=tmp_path / "none.json")
    assert (config["MAX_PHOTO_BYTES"], config["MAX_PHOTO_PIXELS"]) == (10 * MEGABYTE, 40_000_000)
    env = {"ASSETMAP_MAX_PHOTO_BYTES": "5000000", "ASSETMAP_MAX_PHOTO_PIXELS": "12000000"}
    config = load_config(environ=env, instance_path=tmp_path / "none.json")
    assert (config["MAX_PHOTO_BYTES"], config["MAX_PHOTO_PIXELS"]) == (5_000_000, 12_000_000)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"MAX_PHOTO_BYTES": 0}, "MAX_PHOTO_BYTES: expected a whole number >= 1, got 0"),
        ({"MAX_PHOTO_BYTES": "10MB"}, "MAX_PHOTO_BYTES: expected a whole number >= 1, got '10MB'"),
        (
            {"MAX_PHOTO_PIXELS": True},
            "MAX_PHOTO_PIXELS: expected a whole number from 1 to 89478485, got True",
        ),
        (
            {"MAX_PHOTO_PIXELS": 100_000_000},
            "MAX_PHOTO_PIXELS: expected a whole number from 1 to 89478485, got 100000000",
        ),
    ],
)
def test_bad_photo_limits_are_refused(tmp_path, overrides, message):
    with pytest.raises(ConfigError) as caught:
        load_config(overrides, environ={}, instance_path=tmp_path / "none.json")
    assert caught.value.message.startswith(message)


def test_the_pixel_limit_ceiling_is_pillows():
    from assetmap.config import PILLOW_MAX_PIXELS

    assert Image.MAX_IMAGE_PIXELS == PILLOW_MAX_PIXELS
