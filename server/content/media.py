"""Exercise audio, with byte ranges: iOS Safari will not play media from a server without them.

Only files that published content names are served, so a request can never reach another file.
"""

from __future__ import annotations

import mimetypes

from litestar import Request, Response, get
from litestar.datastructures import CacheControlHeader
from litestar.exceptions import NotFoundException
from litestar.params import FromPath

from server.content.catalog import get_catalog
from server.lib.ranges import Unsatisfiable, byte_range
from server.settings import get_settings


@get("/audio/{name:str}", name="content:audio", opt={"skip_compression": True}, include_in_schema=False,
     cache_control=CacheControlHeader(max_age=86400, public=True))
async def audio(request: Request, name: FromPath[str]) -> Response:
    if name not in {e.audio for e in get_catalog().exercises.values() if e.audio}:
        raise NotFoundException()
    path = get_settings().content_dir / "audio" / name
    if not path.is_file():
        raise NotFoundException()
    size = path.stat().st_size
    media_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    headers = {"accept-ranges": "bytes"}
    try:
        span = byte_range(request.headers.get("range"), size)
    except Unsatisfiable:
        return Response(content=b"", status_code=416, headers={**headers, "content-range": f"bytes */{size}"})
    if span is None:
        return Response(content=path.read_bytes(), media_type=media_type, headers=headers)
    start, end = span
    with path.open("rb") as fh:
        fh.seek(start)
        body = fh.read(end - start + 1)
    return Response(content=body, status_code=206, media_type=media_type,
                    headers={**headers, "content-range": f"bytes {start}-{end}/{size}"})
