# Build stage: compile a release binary with dependencies cached in their own layer.
FROM rust:1-slim-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
# Placeholder sources for every target Cargo.toml names, so the manifest resolves
# and only the dependencies are compiled in this layer.
RUN mkdir -p src tests/crash benches \
    && echo 'fn main() {}' > src/main.rs && echo '' > src/lib.rs \
    && echo 'fn main() {}' > tests/crash/main.rs && echo 'fn main() {}' > benches/engine.rs \
    && cargo build --release --locked \
    && rm -rf src tests benches
COPY . .
RUN touch src/main.rs src/lib.rs && cargo build --release --locked

# Runtime stage: a slim image with the binary, its config and migrations, as non-root.
FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home /app careflow
WORKDIR /app
COPY --from=build /src/target/release/careflow /usr/local/bin/careflow
COPY config ./config
COPY migrations ./migrations
RUN mkdir -p /app/data && chown careflow /app/data
USER careflow
# PORT is the listening port (it overrides server.port); the health check asks the
# same port, so a container started with another PORT stays healthy.
ENV CAREFLOW_ENV=production PORT=8080
EXPOSE 8080
# Healthy means ready: the database answers and the schema is current (/readyz), so
# Compose's depends_on and load balancers wait for a replica that can serve.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
    CMD curl -fsS "http://127.0.0.1:${PORT}/readyz" || exit 1
ENTRYPOINT ["careflow"]
CMD ["serve"]
