"""Names that vulture takes for dead code but that a framework uses by name.

Read by vulture only (``[tool.vulture]`` in pyproject.toml); never imported.
"""

# ruff: noqa: B018
_ = object()

# OR-Tools parameters are protobuf fields, set by attribute.
_.first_solution_strategy
_.local_search_metaheuristic
_.max_time_in_seconds
_.num_workers
_.random_seed

# Context managers, Starlette routes, uvicorn, dramatiq middleware and Alembic hooks.
_.exc_type
_.tb
_.matches
_.url_path_for
_.should_exit
_.stream
_.after_worker_boot
_.before_worker_shutdown
_.pytest_sessionstart  # tests/conftest.py: a pytest hook
_.autogen_context
_.build_app  # bench/webhook.py: uvicorn's factory, named as "webhook:build_app"
_.ceiling_app  # bench/load.py: uvicorn's factory, named as "load:ceiling_app"
_.enabled  # schemathesis' auth extension flag
_.OrganisationKey  # registered with schemathesis by its decorator

# Table columns set on a row (SQLModel writes them; a dispatcher reads them).
_.done_at
_.consent_changed_at
_.consent_source

# An enum member the CLI offers as a choice (`--format darp`).
_.darp

# pytest reads the plugin list of the root conftest by name.
_.pytest_plugins

# View-model fields and labels read by the dispatcher's Jinja templates (vulture reads no HTML).
_.status_label
_.from_place
_.to_place
_.depart
_.organisation_name
_.can_change
_.previous_day
_.texts_in_flight
_.kind_label
_.legs_unmet
_.map_json
_.ROLE_LABELS  # role names for the catalogue; the header translates the user's role

# Fields of JSON API response models (serialised by pydantic, read by API clients).
_.created_at
_.plan_version

# Read by name in the manifest's Jinja2 template, and by the dispatcher's day board.
_.day_label
_.driver_name

# prometheus-client: the value class it reads when a metric is made; a collector's collect().
_.ValueClass
_.collect
