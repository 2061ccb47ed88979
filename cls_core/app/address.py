"""Where the app listens: a flag wins, then the environment a host sets, then the default.

Hosts that run `python app.py` for us say where to listen through the environment:
Hugging Face Spaces sets GRADIO_SERVER_NAME=0.0.0.0 and GRADIO_SERVER_PORT=7860, the Dockerfile
sets GRADIO_SERVER_NAME, and many container hosts (Cloud Run, Render, Railway) set only PORT.
Without a host, the app listens on localhost only, so that nothing is served to the network
unless asked for.

    python app.py                                       # 127.0.0.1:7860
    GRADIO_SERVER_PORT=8080 python app.py               # 127.0.0.1:8080
    GRADIO_SERVER_PORT=8080 python app.py --port 9000   # 127.0.0.1:9000: the flag wins

An empty variable counts as unset (as `PORT=` in an env file leaves it). A port that is not a
whole number from 1 to 65535 is an error that names where it came from. This module imports
neither gradio nor torch: app.py checks $GRADIO_SERVER_PORT before Gradio is imported, because
Gradio reads that variable as it is imported and stops on a bad one with a bare ValueError.
"""

import ipaddress
import os

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 7860
HOST_VARIABLES = ("GRADIO_SERVER_NAME",)
PORT_VARIABLES = ("GRADIO_SERVER_PORT", "PORT")  # Gradio's own name first: the more specific one
NOT_A_PORT = "is not a port (a whole number from 1 to 65535)"


def parse_port(text):
    """The port text names, or ValueError."""
    try:
        port = int(text)
    except (TypeError, ValueError):
        port = None
    if port is None or not 1 <= port <= 65535:
        raise ValueError(f"{text!r} {NOT_A_PORT}")
    return port


def variable(name, environ):
    """The variable's value, stripped; None when unset or empty."""
    return environ.get(name, "").strip() or None


def port_variable(name, environ):
    """The port a variable names (None when unset), or ValueError naming the variable."""
    value = variable(name, environ)
    if value is None:
        return None
    try:
        return parse_port(value)
    except ValueError:
        raise ValueError(f"{name}={value!r} {NOT_A_PORT}") from None


def check_gradio_port_variable(environ=None):
    """ValueError, naming the variable, if $GRADIO_SERVER_PORT is set to something that is no
    port. Call before gradio is imported."""
    port_variable("GRADIO_SERVER_PORT", os.environ if environ is None else environ)


def listen_address(host=None, port=None, environ=None):
    """(host, port) to listen on, given the --host and --port flags (None when not given).
    Variables are read in order until one is set: those after it, or behind a flag, never count."""
    environ = os.environ if environ is None else environ
    for name in HOST_VARIABLES:
        host = host or variable(name, environ)
    for name in PORT_VARIABLES:
        port = port or port_variable(name, environ)
    return host or DEFAULT_HOST, port or DEFAULT_PORT


def is_loopback(host):
    """Whether an address the app listens on is reachable from this machine alone (127.0.0.0/8,
    ::1, localhost). 0.0.0.0, a host name or a public address is not."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False
