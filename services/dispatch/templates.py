"""The Jinja2 environment of the dispatcher pages, with gettext from the Babel catalogues."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from services.dispatch import i18n
from services.dispatch.auth import CSRF_FIELD, CSRF_HEADER, Actor, csrf_token, request_language
from shared.models import Language

TEMPLATE_DIR = Path(__file__).parent / "templates"
HTMX = "vendor/htmx-2.0.11/htmx.min.js"
LEAFLET_JS = "vendor/leaflet-1.9.4/leaflet.js"
LEAFLET_CSS = "vendor/leaflet-1.9.4/leaflet.css"
STATIC_ROOT = "/dispatch/static"


@lru_cache(maxsize=1)
def environment() -> Environment:
    """One environment for every page; gettext follows the language of the current render."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=i18n.gettext, ngettext=i18n.ngettext, newstyle=True
    )
    env.globals["static"] = lambda path: f"{STATIC_ROOT}/{path}"
    env.globals.update(HTMX=HTMX, LEAFLET_JS=LEAFLET_JS, LEAFLET_CSS=LEAFLET_CSS)
    return env


def render(
    request: Request,
    name: str,
    context: dict[str, Any],
    actor: Actor | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """Render template ``name`` in the request's language, with the CSRF token at hand."""
    language = actor.language if actor is not None else request_language(request)
    token = csrf_token(request)
    with i18n.using(language):
        html = (
            environment()
            .get_template(name)
            .render(
                request=request,
                actor=actor,
                lang=language.value,
                languages=[(code.value, label) for code, label in LANGUAGE_NAMES],
                csrf_field=CSRF_FIELD,
                csrf_token=token,
                htmx_headers='{"%s": "%s"}' % (CSRF_HEADER, token),  # noqa: UP031
                **context,
            )
        )
    return HTMLResponse(html, status_code=status_code, headers=headers)


# Each language's name in itself, so a reader finds their own.
LANGUAGE_NAMES = [(Language.EN, "English"), (Language.ZH_HANT, "繁體中文")]
