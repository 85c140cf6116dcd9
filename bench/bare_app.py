"""The ceiling: a bare Starlette app returning a fixed JSON citizen (no database, no auth)."""

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

BODY = (
    b'{"personal_id":"001084000999","full_name":"Nguy\\u1ec5n V\\u0103n An",'
    b'"birth_date":"1984-03-09","sex":"male","nationality":"Vi\\u1ec7t Nam","vital_status":"alive"}'
)


async def citizen(request: Request) -> Response:
    return Response(BODY, media_type="application/json")


app = Starlette(routes=[Route("/v1/citizens/{personal_id}", citizen)])
