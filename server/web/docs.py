"""/schema: the API reference as a page of our own, and /schema/openapi.json unchanged.

Litestar's pages (Swagger UI, ReDoc, Scalar, Elements, RapiDoc) load their code from CDNs
and run inline scripts: blank without internet, and impossible under our CSP. Our page is a
static file of the web app (client/api-docs/index.html and its module) that fetches
openapi.json and renders it; nothing leaves the installation.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from litestar import Request
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin, OpenAPIRenderPlugin

DOCS_PATH = "/schema"


class ApiDocsPage(OpenAPIRenderPlugin):
    """Serves client/api-docs/index.html at the docs root (it renders openapi.json itself)."""

    def __init__(self, page: Path) -> None:
        super().__init__(path="/")
        self.page = page

    def render(self, request: Request, openapi_schema: dict[str, Any]) -> bytes:
        return self.page.read_bytes()


def openapi_config(title: str, version: str, client_folder: Path) -> OpenAPIConfig:
    return OpenAPIConfig(
        title=title,
        version=version,
        path=DOCS_PATH,
        render_plugins=[ApiDocsPage(client_folder / "api-docs" / "index.html"), JsonRenderPlugin()],
    )
