"""The running app, driven over its public API with gradio_client."""
import pytest
from gradio_client import Client


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
    with pytest.raises(Exception, match="type a headline"):
        client.predict("   ", "TextCNN", 3, api_name="/predict")


def test_inspect_endpoint(client):
    result = client.predict("央行宣布下调存款准备金率", "BiLSTM-attention", api_name="/inspect")
    assert [c for c, _ in result["weights"]] == list("央行宣布下调存款准备金率")
    assert len(result["occlusion"]) == len(result["weights"]) and result["class"]


def test_evaluate_endpoint_on_the_small_split(client):
    result = client.predict("Linear (TF-IDF + SVM)", api_name="/evaluate")
    assert result["headlines"] == 500
    assert sum(map(sum, result["confusion"])) == 500 and 0.5 < result["accuracy"] <= 1


def test_login_is_required_when_auth_is_set(small_data_dir, checkpoint_dir, tmp_path):
    from conftest import start_app
    process, url = start_app(tmp_path / "app.log", "--data-dir", str(small_data_dir),
                             "--checkpoints", str(checkpoint_dir), env={"APP_AUTH": "ana:s3cret"})
    try:
        with pytest.raises(Exception):
            Client(url, verbose=False).predict("国足胜泰国", "TextCNN", 1, api_name="/predict")
        result = Client(url, auth=("ana", "s3cret"), verbose=False).predict("国足胜泰国", "TextCNN", 1,
                                                                              api_name="/predict")
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
