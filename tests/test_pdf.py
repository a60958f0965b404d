"""HTML to PDF offline (assetmap.pdf): A4 from the CSS, and no URL fetched except data: URIs."""

from __future__ import annotations

import base64
import http.server
import io
import threading

import pytest
from pypdf import PdfReader

from assetmap.pdf import InlineOnlyFetcher, html_to_pdf

# A 1x1 PNG.
PIXEL = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


def test_page_size_comes_from_the_css():
    pdf = html_to_pdf("<style>@page { size: A4 }</style><p>hello</p>")
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (595, 842)
    assert "hello" in page.extract_text()


def test_data_uris_are_served():
    uri = "data:image/png;base64," + base64.b64encode(PIXEL).decode()
    assert InlineOnlyFetcher().fetch(uri).read() == PIXEL
    pdf = html_to_pdf(f'<img src="{uri}" style="width: 2cm">')
    assert len(PdfReader(io.BytesIO(pdf)).pages[0].images) == 1


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:9/x.png", "https://example.org/x.css", "file:///etc/passwd", "ftp://x/y"]
)
def test_every_other_url_is_refused(url):
    with pytest.raises(ValueError, match="disallowed protocol"):
        InlineOnlyFetcher().fetch(url)


def test_rendering_makes_no_request():
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.end_headers()
            self.wfile.write(PIXEL)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_port}"
        pdf = html_to_pdf(
            f'<link rel="stylesheet" href="{base}/style.css"><img src="{base}/map.png">'
            f'<p style="background: url({base}/bg.png)">text</p>'
        )
    finally:
        server.shutdown()
        server.server_close()
    assert hits == []
    assert len(PdfReader(io.BytesIO(pdf)).pages[0].images) == 0
