"""Nothing that touches the database or the CPU runs on the event loop (issue 11, finding 6).

Every route of the app, from its own route table, must be a plain `def` (FastAPI runs it in its
thread pool); the only awaited dependency allowed is the one that parses a posted form.
"""

from __future__ import annotations

import inspect

from fastapi.routing import APIRoute, iter_route_contexts

from bedside.web.forms import posted_form

AWAITED_DEPENDENCIES = {posted_form}


def _routes(app):
    """(path as served, APIRoute) for every route of the app, included routers too."""
    for context in iter_route_contexts(app.routes):
        if isinstance(context.original_route, APIRoute):
            yield context.path, context.original_route


def _dependencies(dependant):
    for sub in dependant.dependencies:
        yield sub.call
        yield from _dependencies(sub)


def test_every_route_is_a_threadpool_route(app):
    routes = list(_routes(app))
    assert len(routes) > 40
    awaited = [f"{sorted(r.methods)} {path}" for path, r in routes
               if inspect.iscoroutinefunction(r.endpoint)]
    assert awaited == []


def test_only_form_parsing_is_awaited_among_the_dependencies(app):
    awaited = {
        f"{path}: {call.__qualname__}"
        for path, r in _routes(app)
        for call in _dependencies(r.dependant)
        if inspect.iscoroutinefunction(call) and call not in AWAITED_DEPENDENCIES
    }
    assert awaited == set()


def test_the_check_in_forms_are_parsed_by_the_awaited_dependency(app):
    posted = {path for path, r in _routes(app)
              for call in _dependencies(r.dependant) if call is posted_form}
    assert "/checkins/new/{instrument_id}" in posted
