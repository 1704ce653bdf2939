"""The baseline: a bare Litestar hello-world, served by granian exactly like the app (see servers.py)."""

from litestar import Litestar, get


@get("/hello", media_type="text/plain")
async def hello() -> str:
    return "hello"


def create_app() -> Litestar:
    return Litestar(route_handlers=[hello])
