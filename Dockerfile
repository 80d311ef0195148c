# syntax=docker/dockerfile:1
# quotad: multi-stage build (Swift toolchain → slim runtime).
#
#   docker build -t quotad .
#   docker run -p 127.0.0.1:8080:8080 -e QUOTAD_ADMIN_KEYS=... -e QUOTAD_REDIS_URL=redis://redis:6379 quotad
#   docker run --rm quotad --version
#
# Without QUOTAD_REDIS_URL, quotad runs its own redis-server (installed here) with data in /data.

# ---- build ----
FROM swift:6.3-bookworm AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends libhiredis-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Resolve dependencies in their own layer so source edits do not refetch them.
COPY Package.swift Package.resolved* ./
RUN swift package resolve
# Tests/ is needed too: SwiftPM loads every target of Package.swift, even to build one product.
# config/pricing.yaml is a symbolic link into Sources/ (the bundled prices are compiled in).
COPY Sources ./Sources
COPY Tests ./Tests
COPY config ./config
# The binary needs the resource bundles SwiftPM writes beside it (quotad_QuotaHTTP.resources holds
# openapi.yaml, served at /openapi.yaml): Bundle.module looks for them next to the executable.
RUN swift build -c release --product quotad --static-swift-stdlib \
    && bin="$(swift build -c release --show-bin-path)" \
    && mkdir -p /staging/bin \
    && cp "$bin/quotad" /staging/bin/ \
    && find "$bin" -maxdepth 1 -name '*.resources' -exec cp -R {} /staging/bin/ \; \
    && cp config/quotad.yaml /staging/ \
    && /staging/bin/quotad --version

# ---- runtime ----
FROM debian:bookworm-slim AS runtime
RUN apt-get update \
    && apt-get install -y --no-install-recommends libhiredis0.14 redis-server redis-tools ca-certificates tzdata curl libstdc++6 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin quotad \
    && mkdir -p /app/config /data \
    && chown quotad:quotad /data
WORKDIR /app
COPY --from=build /staging/bin/ /usr/local/bin/
COPY --from=build /staging/quotad.yaml /app/config/quotad.yaml
USER quotad
ENV QUOTAD_HTTP_HOST=0.0.0.0 \
    QUOTAD_HTTP_PORT=8080 \
    QUOTAD_DATA_DIR=/data \
    QUOTAD_CONFIG=/app/config/quotad.yaml
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
    CMD curl -fsS http://127.0.0.1:8080/readyz || exit 1
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/quotad"]
CMD ["serve"]
