"""Exercise audio, with byte ranges: iOS Safari will not play media from a server without them.

Only files that published content names are served, so a request can never reach another file.
"""

from __future__ import annotations

import mimetypes
import re

from litestar import Request, Response, get
from litestar.datastructures import CacheControlHeader
from litestar.exceptions import NotFoundException
from litestar.params import FromPath

from server.content.catalog import get_catalog
from server.settings import get_settings

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


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
    match = _RANGE.match(request.headers.get("range", "").strip())
    if not match:
        return Response(content=path.read_bytes(), media_type=media_type, headers=headers)
    first, last = match.groups()
    if first == "":  # bytes=-N: the last N bytes
        start, end = max(0, size - int(last or 0)), size - 1
    else:
        start, end = int(first), min(int(last) if last else size - 1, size - 1)
    if start >= size or start > end:
        return Response(content=b"", status_code=416, headers={**headers, "content-range": f"bytes */{size}"})
    with path.open("rb") as fh:
        fh.seek(start)
        body = fh.read(end - start + 1)
    return Response(content=body, status_code=206, media_type=media_type,
                    headers={**headers, "content-range": f"bytes {start}-{end}/{size}"})
