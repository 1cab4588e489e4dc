"""The booking JSON API: riders, drivers, places and ride requests, scoped per organisation.

``app`` builds the routes and the OpenAPI document; ``errors`` is the one place that turns errors
into HTTP responses. May import ``shared`` and nothing else of the booking service.
"""
