"""The dispatcher web app: server-rendered pages (Jinja2, htmx, Leaflet) under ``/dispatch``.

``app.dispatch_routes()`` and ``app.dispatch_middleware()`` are mounted by ``services/web.py``;
``api.dispatch_operations()`` adds the dispatcher's actions to the JSON API.
"""
