"""Deploying: the app listens where a host's environment says (a flag wins, then
$GRADIO_SERVER_NAME and $GRADIO_SERVER_PORT or $PORT, then 127.0.0.1:7860), and the files a host
reads (the README's Spaces header, pre-requirements.txt, the Dockerfile) say what they must."""

import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from conftest import ROOT

from cls_core.app.address import listen_address


def free_port(host="127.0.0.1"):
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def answers(url):
    try:
        urllib.request.urlopen(url, timeout=2)
        return True
    except OSError:
        return False


def clean_environ():
    """This process's environment less anything that says where to listen."""
    return {k: v for k, v in os.environ.items() if k not in ("GRADIO_SERVER_NAME", "GRADIO_SERVER_PORT", "PORT")}


# --- where to listen, without starting anything -------------------------------------------


def test_without_flags_or_variables_the_app_listens_on_localhost_7860():
    assert listen_address(environ={}) == ("127.0.0.1", 7860)


def test_the_hosts_variables_are_honoured():
    spaces = {"GRADIO_SERVER_NAME": "0.0.0.0", "GRADIO_SERVER_PORT": "7860"}
    assert listen_address(environ=spaces) == ("0.0.0.0", 7860)
    assert listen_address(environ={"PORT": "8080"}) == ("127.0.0.1", 8080)
    # Gradio's own variable is the more specific one; PORT is only read without it
    assert listen_address(environ={"GRADIO_SERVER_PORT": "9000", "PORT": "8080"}) == ("127.0.0.1", 9000)


def test_a_flag_wins_over_the_environment():
    environ = {"GRADIO_SERVER_NAME": "0.0.0.0", "GRADIO_SERVER_PORT": "9000", "PORT": "8080"}
    assert listen_address("127.0.0.1", 7000, environ) == ("127.0.0.1", 7000)
    assert listen_address(port=7000, environ=environ) == ("0.0.0.0", 7000)


def test_an_empty_variable_counts_as_unset():
    assert listen_address(environ={"GRADIO_SERVER_NAME": "", "GRADIO_SERVER_PORT": " ", "PORT": "8080"}) == (
        "127.0.0.1",
        8080,
    )


@pytest.mark.parametrize("value", ["abc", "0", "65536", "80.5", "-1"])
def test_a_variable_that_is_no_port_is_an_error_naming_it(value):
    with pytest.raises(ValueError, match=f"PORT='{value}' is not a port"):
        listen_address(environ={"PORT": value})


def test_a_variable_that_does_not_decide_is_not_read():
    assert listen_address(port=7000, environ={"PORT": "abc"}) == ("127.0.0.1", 7000)
    assert listen_address(environ={"GRADIO_SERVER_PORT": "9000", "PORT": "abc"}) == ("127.0.0.1", 9000)


def test_a_port_flag_that_is_no_port_is_refused_by_the_parser(capsys):
    import app as app_module

    with pytest.raises(SystemExit):
        app_module.parse_args(["--port", "65536"])
    assert "argument --port: '65536' is not a port" in capsys.readouterr().err
    assert app_module.parse_args([]).port is None  # no default: the environment may still decide


def test_app_py_stops_with_a_plain_message_on_a_bad_port_variable(tmp_path):
    """Gradio itself reads $GRADIO_SERVER_PORT as it is imported and raises a bare ValueError;
    app.py checks the variable first."""
    for name, value in [("GRADIO_SERVER_PORT", "abc"), ("PORT", "70000")]:
        run = subprocess.run(
            [sys.executable, "app.py", "--checkpoints", str(tmp_path)],
            cwd=ROOT,
            text=True,
            capture_output=True,
            timeout=120,
            env=dict(clean_environ(), **{name: value}),
        )
        assert run.returncode != 0
        assert f"error: {name}='{value}' is not a port" in run.stderr
        assert "Traceback" not in run.stderr


# --- the app as a host starts it ------------------------------------------------------------


def test_the_app_started_with_the_hosts_variables_listens_where_they_say(checkpoint_dir, tmp_path):
    """No --host or --port: GRADIO_SERVER_NAME and GRADIO_SERVER_PORT decide. 127.0.0.2 is
    loopback too on Linux, but another address than the default's: the app answers there and
    nowhere else (not on 127.0.0.1, not on $PORT, which GRADIO_SERVER_PORT outranks)."""
    host = "127.0.0.2"
    port, other_port = free_port(host), free_port()
    log_path = tmp_path / "app.log"
    environ = dict(
        clean_environ(),
        GRADIO_ANALYTICS_ENABLED="False",
        CLS_DATA_DIR="",
        GRADIO_SERVER_NAME=host,
        GRADIO_SERVER_PORT=str(port),
        PORT=str(other_port),
    )
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "app.py",
                "--device",
                "cpu",
                "--precision",
                "fp32",
                "--checkpoints",
                str(checkpoint_dir),
                "--data-dir",
                str(tmp_path),
            ],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=environ,
        )
    try:
        deadline = time.time() + 180
        while not answers(f"http://{host}:{port}/"):
            if process.poll() is not None or time.time() > deadline:
                pytest.fail("the app did not start there: " + log_path.read_text()[-2000:])
            time.sleep(0.5)
        assert not answers(f"http://127.0.0.1:{port}/")
        assert not answers(f"http://127.0.0.1:{other_port}/")
    finally:
        process.terminate()
        process.wait(timeout=30)


# --- what hosts read ----------------------------------------------------------------------------


def spaces_header():
    """The README's YAML header as {key: value} (flat: Spaces' header has no nesting)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert text.startswith("---\n"), "Spaces reads its settings from a YAML header at the very top"
    header = text[4 : text.index("\n---\n", 4)]
    return {
        key.strip(): value.strip().strip('"')
        for key, _, value in (line.partition(":") for line in header.splitlines() if line.strip())
    }


def test_the_readme_header_tells_spaces_how_to_run_the_app():
    import gradio

    header = spaces_header()
    assert header["sdk"] == "gradio" and header["app_file"] == "app.py"
    assert (ROOT / header["app_file"]).exists()
    assert header["sdk_version"] == gradio.__version__  # the Gradio the tests ran against
    # and the one requirements.txt installs, so that a fresh clone runs what Spaces runs
    pins = [line.split("#")[0].strip() for line in (ROOT / "requirements.txt").read_text().splitlines()]
    assert f"gradio[mcp]=={header['sdk_version']}" in pins
    # the Python the project is written for, and the Docker image's, are one
    assert header["python_version"] == "3.11"
    assert f"FROM python:{header['python_version']}-slim" in (ROOT / "Dockerfile").read_text()
    assert {"title", "emoji", "colorFrom", "colorTo"} <= header.keys()


def test_the_readme_header_names_the_licence_the_models_and_the_data():
    """Read as the Hub reads it (huggingface_hub's SpaceCard, from the file): the code's licence
    (LICENSE), tags, the models as `python -m cls_core.export` names them, and the datasets."""
    from huggingface_hub import SpaceCard

    from cls_core.app.report.hub_card import SHIPPED, repo_id

    data = SpaceCard.load(ROOT / "README.md").data
    assert data.license == "apache-2.0"
    licence = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "Apache License" in licence and "Version 2.0, January 2004" in licence
    assert "Copyright 2026 headline-lens authors" in licence
    assert data.models == [repo_id(name) for name in SHIPPED]
    assert {"thucnews", "nlpcc2017"} <= set(data.datasets)
    assert "text-classification" in data.tags
    assert (data.sdk, data.app_file) == ("gradio", "app.py")  # the header the flat reader above reads


def test_spaces_and_the_image_install_the_cpu_build_of_the_torch_the_tests_use():
    """A plain torch requirement pulls the CUDA build (several GB); pre-requirements.txt (Spaces
    installs it before requirements.txt) and the Dockerfile take torch from the CPU index."""
    import torch

    version = torch.__version__.split("+")[0]
    pre = (ROOT / "pre-requirements.txt").read_text()
    assert "--index-url https://download.pytorch.org/whl/cpu" in pre and f"torch=={version}\n" in pre
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert f"torch=={version} --index-url https://download.pytorch.org/whl/cpu" in dockerfile


def test_the_image_runs_as_a_user_and_keeps_what_it_writes_on_a_volume():
    lines = [line.split("#")[0].strip() for line in (ROOT / "Dockerfile").read_text().splitlines()]
    user = [line for line in lines if line.startswith("USER ")]
    assert user and user[-1] not in ("USER root", "USER 0")
    assert 'VOLUME ["/data"]' in lines
    # the cache and the corrections both in the volume (before, corrections went to the home folder)
    assert "ENV HEADLINE_LENS_CACHE=/data/cache HEADLINE_LENS_FEEDBACK_DB=/data/feedback.sqlite3" in lines
    # and each correction records the commit the image was built from (it has no .git to ask)
    assert 'ARG HEADLINE_LENS_COMMIT=""' in lines and "ENV HEADLINE_LENS_COMMIT=${HEADLINE_LENS_COMMIT}" in lines
    assert "ENV GRADIO_SERVER_NAME=0.0.0.0" in lines
