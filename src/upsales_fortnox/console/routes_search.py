"""Console page for the search: from a customer's name or a document number to the
installation, its links and each entity's newest jobs (``GET /api/search``'s answer)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from upsales_fortnox.api.deps import SessionDep
from upsales_fortnox.api.errors import ApiError
from upsales_fortnox.console.guard import SessionRequired
from upsales_fortnox.console.page_route import ConsolePageRoute
from upsales_fortnox.console.render import render, render_error
from upsales_fortnox.history.search import search

router = APIRouter(prefix="/console", include_in_schema=False, route_class=ConsolePageRoute)
SEARCH_URL = "/console/search"


@router.get("/search")
async def get_search_page(
    request: Request,
    session: SessionRequired,
    db: SessionDep,
    q: str | None = None,
) -> Response:
    """The search form, and what ``q`` finds once given; a ``q`` the search refuses (too long
    too: no bound of its own answering JSON) is shown with the API's status and code."""
    found = None
    if q is not None:
        try:
            found = await search(db, q)
        except ApiError as exc:
            return render_error(request, exc, session=session, back=SEARCH_URL)
    return render(request, "search.html", {"q": q or "", "found": found}, session=session)
