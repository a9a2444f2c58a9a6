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
ENV CAREFLOW_ENV=production
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
    CMD curl -fsS http://127.0.0.1:8080/healthz || exit 1
ENTRYPOINT ["careflow"]
CMD ["serve"]
