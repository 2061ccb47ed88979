# headline-lens on the CPU, as one container:
#
#   docker build -t headline-lens --build-arg HEADLINE_LENS_COMMIT=$(git rev-parse HEAD) .
#   docker run -p 7860:7860 -v headline-lens-data:/data headline-lens                 # http://localhost:7860
#   docker run -p 7860:7860 -v headline-lens-data:/data -e APP_AUTH=user:secret headline-lens
#   docker run -p 7860:7860 -v headline-lens-data:/data -e GRADIO_MCP_SERVER=true headline-lens
#
# Flags after the image name go to app.py (`docker run ... headline-lens --auth user:secret`).
# GRADIO_MCP_SERVER=true (or --mcp) also serves MCP tools for AI assistants at /gradio_api/mcp/;
# app.py refuses it with APP_AUTH, as Gradio does not ask MCP clients for the login.
# What the app writes lives in the volume /data; everything else in the image is read-only to it.
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1

# The CPU build of torch first, from PyTorch's CPU index: from PyPI, torch on Linux is the CUDA
# build (several GB). requirements.txt's `torch>=2.2` is then met and leaves it in place.
RUN pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu
COPY requirements.txt /app/requirements.txt
RUN pip install -r /app/requirements.txt

# A user of its own, with uid 1000 (as Hugging Face's Docker Spaces expect): the app never runs
# as root, and owns only /data. /data is made and owned before VOLUME, so that a new named
# volume starts out owned by that user (a bind mount must be writable by uid 1000).
RUN useradd --create-home --uid 1000 app && mkdir /data && chown app /data
COPY . /app
WORKDIR /app
USER app

# /data holds the cache of what the app computes once per checkpoint (the map, the hidden
# units' index, the agreement of attributions; the precision probe's verdict) and the visitors'
# corrections, so that both outlive the container.
ENV HEADLINE_LENS_CACHE=/data/cache HEADLINE_LENS_FEEDBACK_DB=/data/feedback.sqlite3
VOLUME ["/data"]

# The commit each correction records (the image holds no .git to ask): pass it at build time.
ARG HEADLINE_LENS_COMMIT=""
ENV HEADLINE_LENS_COMMIT=${HEADLINE_LENS_COMMIT}

# Listen on every interface of the container (app.py's own default is localhost only); the
# port follows $GRADIO_SERVER_PORT or $PORT where a host sets them, else 7860.
ENV GRADIO_SERVER_NAME=0.0.0.0
EXPOSE 7860

ENTRYPOINT ["python", "app.py"]
CMD []
