"""The MCP server (app.py --mcp): the API's four reading endpoints as tools an AI assistant can
find and call (classify_headline, explain_headline, evaluate_model, list_models), described in
English; /flag no tool; and never beside a login, which Gradio does not ask of MCP clients.

One app serves every test here that needs one; the MCP calls go through the `mcp` package's
own client, over the streamable HTTP transport that Gradio serves at /gradio_api/mcp/."""

import ast
import asyncio
import json
import urllib.error
import urllib.request

import pytest
from conftest import SHIPPED_DATA, start_app
from gradio_client import Client
from gradio_client.exceptions import AppError

TOOLS = {  # tool: (its endpoint, its arguments)
    "classify_headline": ("/predict", ["headline", "model", "top_k"]),
    "explain_headline": ("/inspect", ["headline", "model", "topic", "rather_than"]),
    "evaluate_model": ("/evaluate", ["model"]),
    "list_models": ("/models", []),
}
HEADLINE = "国足3:0完胜泰国队 晋级世界杯预选赛"
LINEAR = "Linear (TF-IDF + SVM)"


@pytest.fixture(scope="module")
def mcp_app(small_data_dir, checkpoint_dir, tmp_path_factory):
    """`python app.py --mcp` on the shipped checkpoints and the small split, without a login."""
    process, url = start_app(
        tmp_path_factory.mktemp("mcp-app") / "app.log",
        "--mcp",
        "--data-dir",
        str(small_data_dir),
        "--checkpoints",
        str(checkpoint_dir),
        env={"APP_AUTH": "", "GRADIO_MCP_SERVER": ""},
    )
    yield url
    process.terminate()
    process.wait(timeout=30)


@pytest.fixture(scope="module")
def client(mcp_app):
    return Client(mcp_app, verbose=False)


@pytest.fixture(scope="module")
def schema(mcp_app):
    """{tool name: its entry} of Gradio's MCP schema page."""
    with urllib.request.urlopen(mcp_app + "gradio_api/mcp/schema", timeout=30) as reply:
        return {tool["name"]: tool for tool in json.load(reply)}


def mcp_calls(url, calls):
    """(the tools' names as an MCP client lists them, [CallToolResult]) for [(tool, arguments)],
    through one session of the mcp package's client."""
    from mcp import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    async def session():
        async with streamable_http_client(url + "gradio_api/mcp/") as (read, write, _):
            async with ClientSession(read, write) as assistant:
                await assistant.initialize()
                tools = [tool.name for tool in (await assistant.list_tools()).tools]
                return tools, [await assistant.call_tool(name, arguments) for name, arguments in calls]

    return asyncio.run(session())


def answer_of(result):
    """A tool's answer as Python data: Gradio sends an endpoint's return value as its str()."""
    assert not result.isError, result.content
    (content,) = result.content
    return ast.literal_eval(content.text)


def error_of(result):
    assert result.isError
    (content,) = result.content
    return content.text


def test_the_schema_describes_the_four_tools_and_their_arguments(schema, client):
    assert set(schema) == set(TOOLS)  # /flag is none, and nothing of the page's own events
    served = client.predict(api_name="/models")
    models = [m["name"] for m in served]
    singles = [m["name"] for m in served if m["kind"] != "ensemble"]
    topics = (SHIPPED_DATA / "class.txt").read_text(encoding="utf-8").split()
    for name, (endpoint, arguments) in TOOLS.items():
        tool = schema[name]
        description, properties = tool["description"], tool["inputSchema"]["properties"]
        assert tool["meta"]["endpoint_name"] == endpoint.lstrip("/") and tool["meta"]["mcp_type"] == "tool"
        assert description.isascii() and "\n" not in description and "Returns: " in description, name
        assert list(properties) == arguments, name
        for argument, prop in properties.items():
            assert len(prop.get("description", "")) > 20, (name, argument)
        if "model" in properties:  # the allowed names, and only those an explanation can look inside
            allowed = singles if name == "explain_headline" else models
            assert all(m in properties["model"]["description"] for m in allowed), name
            assert all(m in allowed or m not in properties["model"]["description"] for m in models), name
        if name != "list_models":
            assert all(topic in description for topic in topics), name
    classify = schema["classify_headline"]["inputSchema"]
    assert classify["required"] == ["headline"] and classify["properties"]["headline"]["type"] == "string"
    assert classify["properties"]["model"]["default"] == "TextCNN" and classify["properties"]["top_k"]["default"] == 5


def test_the_http_api_keeps_its_endpoints_and_flag_leaves_the_docs(client):
    """The tools are the endpoints under other names: /predict, /inspect, /evaluate and /models
    keep their names and parameters. /flag is still called as ever, but stays out of the docs,
    from which Gradio makes its tools."""
    endpoints = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    assert set(endpoints) == {endpoint for endpoint, _ in TOOLS.values()}
    for endpoint, arguments in TOOLS.values():
        assert [p["parameter_name"] for p in endpoints[endpoint]["parameters"]] == arguments
    assert isinstance(client.predict(HEADLINE, "TextCNN", "finance", api_name="/flag"), int)


def test_the_tools_answer_as_the_api_does(mcp_app, client):
    listed, (classified, explained, models) = mcp_calls(
        mcp_app,
        [
            ("classify_headline", {"headline": HEADLINE, "model": "TextCNN", "top_k": 3}),
            ("explain_headline", {"headline": HEADLINE, "model": LINEAR}),
            ("list_models", {}),
        ],
    )
    assert sorted(listed) == sorted(TOOLS)
    predicted = client.predict(HEADLINE, "TextCNN", 3, api_name="/predict")
    answer = answer_of(classified)
    assert answer.pop("milliseconds") > 0 and predicted.pop("milliseconds") > 0
    assert answer == predicted and list(answer["top"])[0] == "体育 sports"
    assert answer_of(explained) == client.predict(HEADLINE, LINEAR, api_name="/inspect")
    assert answer_of(models) == client.predict(api_name="/models")


def test_bad_arguments_give_the_apis_own_errors(mcp_app, client):
    unknown, empty, long = mcp_calls(
        mcp_app,
        [
            ("classify_headline", {"headline": HEADLINE, "model": "GPT-99"}),
            ("classify_headline", {"headline": "   "}),
            ("classify_headline", {"headline": "股" * 300, "model": LINEAR, "top_k": 1}),
        ],
    )[1]
    for result, arguments in ((unknown, (HEADLINE, "GPT-99")), (empty, ("   ",))):
        with pytest.raises(AppError) as refused:
            client.predict(*arguments, api_name="/predict")
        assert error_of(result) == str(refused.value) and str(refused.value)
    assert "GPT-99" in error_of(unknown) and "type a headline" in error_of(empty)
    cut = answer_of(long)  # not refused: cut, with the API's notice
    assert len(cut["headline"]) == 200 and "300 characters" in cut["notice"]
    assert cut["notice"] == client.predict("股" * 300, LINEAR, 1, api_name="/predict")["notice"]


def test_flag_is_no_tool(mcp_app):
    """Corrections need a person: no name reaches /flag through MCP."""
    _, results = mcp_calls(
        mcp_app,
        [(name, {"headline": HEADLINE, "model": "TextCNN", "topic": "finance"}) for name in ("api_flag", "flag")],
    )
    assert all("Unknown tool" in error_of(result) for result in results)


def test_mcp_is_off_unless_asked(monkeypatch):
    import app as app_module

    monkeypatch.delenv("GRADIO_MCP_SERVER", raising=False)
    assert not app_module.parse_args([]).mcp and app_module.parse_args(["--mcp"]).mcp
    monkeypatch.setenv("GRADIO_MCP_SERVER", "True")  # Gradio's own variable, as Spaces set it
    assert app_module.parse_args([]).mcp


@pytest.mark.parametrize(
    "argv, env",
    [
        (["--mcp", "--auth", "ana:s3cret"], {}),
        ([], {"GRADIO_MCP_SERVER": "true", "APP_AUTH": "ana:s3cret"}),
    ],
)
def test_mcp_with_a_login_is_refused(tmp_path, monkeypatch, argv, env):
    """Before any model loads (tmp_path holds no checkpoint), with a message that says why."""
    import app as app_module

    for name in ("GRADIO_MCP_SERVER", "APP_AUTH"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit) as stopped:
        app_module.main([*argv, "--checkpoints", str(tmp_path)])
    message = str(stopped.value)
    assert "cannot go with --auth" in message and "/gradio_api/mcp/" in message and "without the login" in message


def test_gradio_serves_mcp_outside_its_login():
    """Why the refusal: with auth set, Gradio asks for the login on its own routes, not on the
    MCP server's. Should a Gradio release put it behind the login, this fails: app.py may then
    allow --mcp with --auth."""
    import socket

    import gradio as gr

    def echo(text: str) -> str:
        """Echo.

        Args:
            text: what to echo
        """
        return text

    with gr.Blocks(analytics_enabled=False) as page:
        gr.api(echo, api_name="echo")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    page.launch(server_port=port, auth=("ana", "s3cret"), mcp_server=True, prevent_thread_lock=True, quiet=True)
    try:
        url = f"http://127.0.0.1:{port}/"
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(url + "config", timeout=10)
        assert refused.value.code == 401
        with urllib.request.urlopen(url + "gradio_api/mcp/schema", timeout=10) as reply:
            assert [tool["name"] for tool in json.load(reply)] == ["echo"]
    finally:
        page.close()
