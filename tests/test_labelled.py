"""Labelled files of your own (cls_core.data.labelled): formats accepted, and every bad file
refused with a message naming file and line."""

import pytest
from owndata import TOPICS, write_labelled_set

from cls_core.data import DataFormatError
from cls_core.data.labelled import carve_splits, check_labelled_file, labelled_lines, read_labelled_file


def test_tsv_and_csv_read_alike(tmp_path):
    tsv = read_labelled_file(write_labelled_set(tmp_path / "mine.tsv"))
    csv_ = read_labelled_file(write_labelled_set(tmp_path / "mine.csv", fmt="csv"))
    assert tsv.classes == csv_.classes == sorted(TOPICS)
    assert (tsv.texts, tsv.labels) == (csv_.texts, csv_.labels)
    assert len(tsv) == 400


def test_crlf_bom_header_and_named_columns(tmp_path):
    rows = [(f"第{i}条 晴天", "天气") for i in range(10)] + [(f"第{i}条, 火锅", "美食") for i in range(10)]
    tsv = tmp_path / "a.tsv"
    tsv.write_bytes(b"\xef\xbb\xbf" + b"text\tlabel\r\n" + "".join(f"{t}\t{y}\r\n" for t, y in rows).encode())
    data = read_labelled_file(tsv)
    assert data.classes == ["天气", "美食"] and data.texts[0] == "第0条 晴天" and len(data) == 20
    csv_ = tmp_path / "b.csv"
    csv_.write_text("id,title,topic\n" + "".join(f'{i},"{t}",{y}\n' for i, (t, y) in enumerate(rows)), encoding="utf-8")
    data = read_labelled_file(csv_, text_column="title", label_column="topic")
    assert data.texts[10] == "第0条, 火锅" and data.classes == ["天气", "美食"]


@pytest.mark.parametrize(
    "content, message",
    [
        ("只有一列\n", "a.tsv:1: expected 2 columns (text<TAB>label), found 1"),
        ("\t天气\n", "a.tsv:1: empty text"),
        ("晴\t\n", "a.tsv:1: empty label"),
    ],
)
def test_each_bad_line_is_named(tmp_path, content, message):
    path = tmp_path / "a.tsv"
    path.write_text("".join(f"晴天{i}\t天气\n雨天{i}\t下雨\n" for i in range(10)) + content, encoding="utf-8")
    report = check_labelled_file(path)
    assert not report.ok and any(message.replace("1:", "21:") in str(p) for p in report.problems), report.problems
    with pytest.raises(DataFormatError, match="a.tsv:21"):
        read_labelled_file(path)


def test_file_level_problems(tmp_path):
    few = tmp_path / "few.tsv"
    few.write_text("".join(f"晴天{i}\t天气\n" for i in range(12)) + "火锅\t美食\n" * 3, encoding="utf-8")
    assert "label '美食' has only 3 of the 10 lines each label needs" in check_labelled_file(few).summary()
    one = tmp_path / "one.tsv"
    one.write_text("".join(f"晴天{i}\t天气\n" for i in range(12)), encoding="utf-8")
    assert "a model needs 2 to 100 labels, found 1" in check_labelled_file(one).summary()
    latin = tmp_path / "latin.tsv"
    latin.write_bytes("晴天\t天气\n".encode() + "caf\xe9\tfood\n".encode("latin-1"))
    assert "latin.tsv:2: not valid UTF-8" in check_labelled_file(latin).summary()
    big = tmp_path / "big.tsv"
    big.write_text("晴天\t天气\n" * 30, encoding="utf-8")
    assert "more than 20 lines" in check_labelled_file(big, max_lines=20).summary()
    assert "the limit is 0 MB" in check_labelled_file(big, max_bytes=100).summary()
    assert "no such file" in check_labelled_file(tmp_path / "none.tsv").summary()
    header = tmp_path / "h.csv"
    header.write_text("title,topic\n晴天,天气\n", encoding="utf-8")
    assert "h.csv:1: the header (title, topic) has no column 'text' or 'label'" in check_labelled_file(header).summary()


def test_every_problem_is_found_at_once(tmp_path):
    path = tmp_path / "a.tsv"
    path.write_text("\t天气\n只有一列\n晴\t\n" * 30, encoding="utf-8")
    report = check_labelled_file(path)
    assert report.problem_count == 90 and len(report.problems) == 20 and "… and 70 more problems" in report.summary()


def test_a_label_with_few_lines_is_found_with_the_bad_lines(tmp_path):
    path = tmp_path / "a.tsv"
    path.write_text(
        "".join(f"晴天{i}\t天气\n雨天{i}\t下雨\n" for i in range(10)) + "只有一列\n" + "火锅\t冷门\n" * 3,
        encoding="utf-8",
    )
    summary = check_labelled_file(path).summary()
    assert "a.tsv:21: expected 2 columns" in summary and "label '冷门' has only 3 of the 10" in summary, summary


def test_carved_splits_are_stratified_seeded_and_disjoint(tmp_path):
    data = read_labelled_file(write_labelled_set(tmp_path / "mine.tsv"))
    train, dev, test = carve_splits(data, seed=3)
    assert (len(train), len(dev), len(test)) == (320, 40, 40)
    assert [test.labels.count(c) for c in range(4)] == [10] * 4
    again = carve_splits(data, seed=3)
    assert again[2].texts == test.texts

    def rows(d):
        return sorted(zip(d.texts, d.labels))

    assert sorted(rows(train) + rows(dev) + rows(test)) == rows(data)


def test_written_lines_read_back(tmp_path):
    data = read_labelled_file(write_labelled_set(tmp_path / "mine.tsv"))
    path = tmp_path / "copy.tsv"
    path.write_text(labelled_lines(data), encoding="utf-8")
    again = read_labelled_file(path, classes=data.classes)
    assert (again.texts, again.labels) == (data.texts, data.labels)
    with pytest.raises(DataFormatError, match="labels not in the training file: '天气'"):
        read_labelled_file(path, classes=["美食", "旅游", "健康"])
