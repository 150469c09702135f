"""The web app's files, and nothing else of client/.

client/ also holds the app's unit tests, their fixtures, package.json and the Python package
marker; serving the whole folder published all of it. Only what the app loads is served:
three top-level files and three folders of assets (every file in them is the app's by
construction). Anything else is a 404 like any unknown path.

No authentication runs for these routes (SKIP_AUTH): the files are public, and resolving a
session for each script of a page load would cost a database query per file.
"""

from __future__ import annotations

from pathlib import Path

from litestar import Request, Router, get, head
from litestar.file_system import BaseLocalFileSystem
from litestar.response.file import ASGIFileResponse
from litestar.static_files import StaticFiles, create_static_files_router
from litestar.types import ControllerRouterHandler

from wazify.auth.guards import SKIP_AUTH

# URL path -> file in client/.
TOP_LEVEL_FILES = {"/": "index.html", "/styles.css": "styles.css", "/favicon.svg": "favicon.svg"}
# client/<name>/ served at /<name>/.
ASSET_FOLDERS = ("js", "demo-media", "api-docs")
PUBLIC = {SKIP_AUTH: True}


def web_app_routes(folder: Path) -> list[ControllerRouterHandler]:
    folders = [
        create_static_files_router(
            path=f"/{name}",
            directories=[folder / name],
            name=f"app-{name}",
            opt=PUBLIC,
            include_in_schema=False,
        )
        for name in ASSET_FOLDERS
    ]
    return [*folders, _top_level_router(folder)]


def _top_level_router(folder: Path) -> Router:
    files = StaticFiles(is_html_mode=False, directories=[folder], file_system=BaseLocalFileSystem())
    paths = list(TOP_LEVEL_FILES)

    @get(paths, name="app-file")
    async def app_file(request: Request) -> ASGIFileResponse:
        return await files.handle(TOP_LEVEL_FILES[request.url.path], is_head_response=False)

    @head(paths, name="app-file/head")
    async def app_file_head(request: Request) -> ASGIFileResponse:
        return await files.handle(TOP_LEVEL_FILES[request.url.path], is_head_response=True)

    handlers = [app_file, app_file_head]
    return Router("/", route_handlers=handlers, opt=PUBLIC, include_in_schema=False)
