# The rides image: one image for the migrate job, the web app and the workers.
FROM python:3.11-slim AS build
RUN pip install --no-cache-dir uv
WORKDIR /app
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project
COPY services services
COPY scheduler scheduler
COPY notifier notifier
COPY shared shared
RUN uv sync --frozen --no-dev
# Compile the scheduler's core now (numba caches it beside the code) rather than in the first
# plan a worker makes.
RUN .venv/bin/python -c "from scheduler.solver import warm_up; warm_up()"

FROM python:3.11-slim
RUN useradd --create-home rides
WORKDIR /app
COPY --from=build /app /app
# data/ holds the journal of webhooks kept while the database is away (a volume in compose).
RUN mkdir -p /app/data && chown rides:rides /app/data
ENV PATH="/app/.venv/bin:$PATH" PYTHONUNBUFFERED=1
USER rides
# 8000: the web app (/healthz, /readyz, /metrics); 9191: a worker's /metrics.
EXPOSE 8000 9191
CMD ["rides", "serve", "--host", "0.0.0.0", "--port", "8000"]
