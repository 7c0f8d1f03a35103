# rosey-db: the official Deno image, dependencies cached at build time, non-root, data in /data.
FROM denoland/deno:2.9.6

WORKDIR /app
COPY deno.json deno.lock import_map.json ./
COPY shared/ shared/
COPY functions/ functions/
# Download and cache every dependency (including libSQL's native module) into the image.
RUN deno cache shared/main.ts functions/**/*.ts && mkdir -p /data && chown deno:deno /data

USER deno
ENV DATABASE_PATH=/data/rosey.db \
    HTTP_HOST=0.0.0.0 \
    HTTP_PORT=8080
VOLUME ["/data"]
EXPOSE 8080

HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["deno", "eval", "const r = await fetch('http://127.0.0.1:8080/health').catch(() => null); Deno.exit(r?.ok ? 0 : 1)"]

CMD ["deno", "run", "--allow-net", "--allow-env", "--allow-read", "--allow-write", "--allow-ffi", "--allow-sys", "shared/main.ts"]
