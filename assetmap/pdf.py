"""HTML to PDF with WeasyPrint, offline: a rendered page in, PDF bytes out.

The HTML must carry everything it needs inline (styles in ``<style>``, images as ``data:`` URIs).
The URL fetcher refuses every other URL, so rendering a document that names an ``http:`` or
``file:`` resource makes no request and reads no file; the resource is simply left out.
"""

from __future__ import annotations

from typing import Any

from weasyprint import HTML
from weasyprint.urls import URLFetcher


class InlineOnlyFetcher(URLFetcher):
    """A WeasyPrint URL fetcher that serves ``data:`` URIs and refuses everything else."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(allowed_protocols=("data",), allow_redirects=False, **kwargs)


def html_to_pdf(html: str) -> bytes:
    """Render ``html`` (a whole document) to PDF; page size and margins come from its CSS ``@page``.

    >>> html_to_pdf("<p>hello</p>")[:5]
    b'%PDF-'
    """
    return bytes(HTML(string=html, url_fetcher=InlineOnlyFetcher()).write_pdf())
