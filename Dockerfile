# The rides image: one image for the migrate job, the web app and the worker.
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

FROM python:3.11-slim
RUN useradd --create-home rides
WORKDIR /app
COPY --from=build /app /app
ENV PATH="/app/.venv/bin:$PATH" PYTHONUNBUFFERED=1
USER rides
EXPOSE 8000
CMD ["rides", "serve", "--host", "0.0.0.0", "--port", "8000"]
