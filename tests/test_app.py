"""The running app, driven over its public API with gradio_client and plain HTTP."""

import json
import urllib.request

import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError, AuthenticationError

import app as app_module
from cls_core.app.inputs import MAX_UPLOAD_BYTES
from cls_core.app.tabs.page import api_errors
from cls_core.app.wording import UserError


@pytest.fixture(scope="module")
def client(app_url):
    return Client(app_url, verbose=False)


def test_predict_endpoint(client):
    result = client.predict("国足3:0完胜泰国队 晋级世界杯预选赛", "TextCNN", 3, api_name="/predict")
    assert result["model"] == "TextCNN" and len(result["top"]) == 3
    assert next(iter(result["top"])) == "体育 sports"
    assert result["milliseconds"] > 0 and result["notice"] == ""


def test_long_input_is_cut_with_a_notice(client):
    result = client.predict("股" * 300, "Linear (TF-IDF + SVM)", 1, api_name="/predict")
    assert len(result["headline"]) == 200 and "300 characters" in result["notice"]


def test_empty_input_gives_a_friendly_error(client):
    with pytest.raises(AppError, match="type a headline"):
        client.predict("   ", "TextCNN", 3, api_name="/predict")


def test_inspect_endpoint(client):
    result = client.predict("国足3:0完胜泰国队", "BiLSTM-attention", api_name="/inspect")
    assert [c for c, _ in result["weights"]] == list("国足3:0完胜泰国队")
    assert len(result["occlusion"]) == len(result["weights"]) and result["class"] == "sports"
    assert len(result["integrated_gradients"]) == len(result["weights"]) and abs(result["ig_delta"]) <= 0.05


def test_evaluate_endpoint_on_the_small_split(client):
    result = client.predict("Linear (TF-IDF + SVM)", api_name="/evaluate")
    assert result["headlines"] == 500
    assert sum(map(sum, result["confusion"])) == 500 and 0.5 < result["accuracy"] <= 1


def test_login_is_required_when_auth_is_set(small_data_dir, checkpoint_dir, tmp_path):
    from conftest import start_app

    process, url = start_app(
        tmp_path / "app.log",
        "--data-dir",
        str(small_data_dir),
        "--checkpoints",
        str(checkpoint_dir),
        env={"APP_AUTH": "ana:s3cret"},
    )
    try:
        with pytest.raises(AuthenticationError, match="credentials were not provided"):
            Client(url, verbose=False)
        with pytest.raises((AuthenticationError, ValueError), match="Could not login|Invalid credentials"):
            Client(url, auth=("ana", "wrong"), verbose=False)
        result = Client(url, auth=("ana", "s3cret"), verbose=False).predict(
            "国足胜泰国", "TextCNN", 1, api_name="/predict"
        )
        assert len(result["top"]) == 1
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_many_concurrent_predictions_all_succeed(app_url):
    from concurrent.futures import ThreadPoolExecutor

    clients = [Client(app_url, verbose=False) for _ in range(4)]

    def ask(i):
        return clients[i % 4].predict(f"第{i}届全运会开幕 国足{i}:0取胜", "BiLSTM-attention", 1, api_name="/predict")

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(ask, range(24)))
    assert len(results) == 24 and all(len(r["top"]) == 1 for r in results)


# --- a fresh clone: no dataset, every endpoint works ----------------------------------------


def test_a_fresh_clone_serves_every_endpoint(fresh_app_url):
    fresh = Client(fresh_app_url, verbose=False)
    assert next(iter(fresh.predict("国足3:0完胜泰国队", "TextCNN", 1, api_name="/predict")["top"])) == "体育 sports"
    assert fresh.predict("国足3:0完胜泰国队", "TextCNN", api_name="/inspect")["class"] == "sports"
    report = fresh.predict("Linear (TF-IDF + SVM)", api_name="/evaluate")
    assert report["headlines"] == 10_000 and report["accuracy"] > 0.85  # the test split shipped in data/demo/


def test_public_link_safety_settings(fresh_app_url):
    config = json.load(urllib.request.urlopen(fresh_app_url + "config"))
    assert config["analytics_enabled"] is False
    # the boxes take any length, and the server cuts it to MAX_CHARS with a notice (a box's own
    # max_length would cut it silently)
    assert not [c for c in config["components"] if c["type"] == "textbox" and c["props"].get("max_length")]
    # uploads larger than the limit are refused by Gradio itself, before any handler runs
    body = b"x" * (MAX_UPLOAD_BYTES + 1000)
    boundary = "----headline-lens"
    payload = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="big.txt"\r\n'
            f"Content-Type: text/plain\r\n\r\n"
        ).encode()
        + body
        + f"\r\n--{boundary}--\r\n".encode()
    )
    request = urllib.request.Request(
        fresh_app_url + "gradio_api/upload",
        data=payload,
        method="POST",
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request)
    assert refused.value.code == 413


def test_share_without_auth_warns(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("APP_AUTH", raising=False)
    with pytest.raises(SystemExit):  # no checkpoints in tmp_path: it stops after the warning
        app_module.main(["--share", "--checkpoints", str(tmp_path)])
    assert "--share without --auth" in capsys.readouterr().err


def test_the_api_publishes_each_endpoints_parameters(client):
    """Gradio reads an endpoint's parameters (names, types, defaults) from the function it
    is given: through api_errors they are the endpoint's own."""
    endpoints = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    for name, expected in {
        "/predict": [("headline", None), ("model", "TextCNN"), ("top_k", 5)],
        "/inspect": [("headline", None), ("model", "BiLSTM-attention"), ("topic", ""), ("rather_than", "")],
        "/evaluate": [("model", "TextCNN")],
        "/flag": [("headline", None), ("model", None), ("topic", None)],
    }.items():
        parameters = endpoints[name]["parameters"]
        assert [(p["parameter_name"], p.get("parameter_default")) for p in parameters] == expected, name
    assert [p["python_type"]["type"] for p in endpoints["/predict"]["parameters"]] == ["str", "str", "int"]


def test_api_errors_become_plain_messages():
    def api_predict(headline: str) -> dict:
        raise UserError("error_empty")

    with pytest.raises(Exception, match="type a headline") as raised:
        api_errors(api_predict)("")
    assert type(raised.value).__name__ == "Error" and raised.value.print_exception is False


def test_an_unexpected_api_error_reaches_the_client_worded_not_as_its_own_text(caplog):
    """With show_error=True Gradio sent any exception's text (a path, a trace's last line) to
    the client; the endpoint logs it and says "something went wrong" instead."""

    def api_evaluate(model: str) -> dict:
        raise OSError("/srv/secret/checkpoints/textcnn.pt: permission denied")

    with pytest.raises(Exception) as raised:
        api_errors(api_evaluate)("TextCNN")
    assert type(raised.value).__name__ == "Error" and "Something went wrong on the server" in str(raised.value)
    assert "/srv/secret" not in str(raised.value)
    assert "/srv/secret" in caplog.text  # kept for the operator
