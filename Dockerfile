# The API image: the package and its dependencies, no build tools left behind.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY agent_api ./agent_api
COPY terminal_client ./terminal_client
COPY reconciliation ./reconciliation
COPY qurb ./qurb
RUN pip install --no-cache-dir . && useradd --system --uid 10001 qurb
USER qurb
EXPOSE 8000
CMD ["qurb-api", "serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "4"]
