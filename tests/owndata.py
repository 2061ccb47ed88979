"""A small labelled set of our own making, for the "your own data" tests: four topics that
THUCNews lacks (weather, food, travel, health), with Chinese label names, made from templates
so that a tiny model learns them well above chance in seconds.

    write_labelled_set(tmp_path / "mine.tsv")                 # 4 × 100 lines, text<TAB>label
    write_labelled_set(tmp_path / "mine.csv", fmt="csv")      # the same as CSV with a header
"""

import csv
import random
from pathlib import Path

CITIES = ["北京", "上海", "广州", "深圳", "成都", "杭州", "武汉", "西安", "南京", "重庆", "昆明", "厦门"]
TOPICS = {
    "天气": (
        ["暴雨", "寒潮", "高温", "台风", "降雪", "大风", "雾霾", "冰雹"],
        [
            "{city}明日{w}预警 气温骤降",
            "{city}迎来今年首场{w}",
            "气象台：{city}本周{w}天气持续",
            "{w}来袭 {city}发布{w}黄色预警",
            "{city}{w}过后 天气转晴",
        ],
    ),
    "美食": (
        ["火锅", "小笼包", "烤鸭", "麻辣烫", "早茶", "面馆", "甜品", "烧烤"],
        [
            "{city}十家必吃{w}店推荐",
            "{city}人最爱的{w}做法",
            "一碗{w}吃出{city}味道",
            "{city}老字号{w}排队两小时",
            "探店：{city}街头{w}哪家强",
        ],
    ),
    "旅游": (
        ["古镇", "景区", "博物馆", "海岛", "自驾游", "民宿", "登山", "温泉"],
        [
            "{city}周边{w}一日游攻略",
            "国庆去{city}{w}游客爆满",
            "{city}{w}门票半价开放",
            "带娃游{city}：{w}路线推荐",
            "{city}新开{w}成网红打卡地",
        ],
    ),
    "健康": (
        ["失眠", "高血压", "糖尿病", "感冒", "颈椎病", "近视", "肥胖", "过敏"],
        [
            "医生提醒：{w}患者要少吃盐",
            "{city}医院开设{w}专科门诊",
            "如何预防{w}？专家支招",
            "{w}人群增多 {city}发布健康提示",
            "每天走路半小时 远离{w}",
        ],
    ),
}


def labelled_rows(lines_per_class=100, seed=0):
    """[(text, label)] for every topic, shuffled; the same seed gives the same rows."""
    rng = random.Random(seed)
    rows = []
    for label, (words, templates) in TOPICS.items():
        for _ in range(lines_per_class):
            text = rng.choice(templates).format(city=rng.choice(CITIES), w=rng.choice(words))
            rows.append((text + rng.choice(["", "", "！", "（图）", " 记者报道"]), label))
    rng.shuffle(rows)
    return rows


def write_labelled_set(path, lines_per_class=100, seed=0, fmt="tsv"):
    """Write the set to path as `text<TAB>label` lines (fmt "tsv") or CSV with a header; returns path."""
    path, rows = Path(path), labelled_rows(lines_per_class, seed)
    if fmt == "csv":
        with open(path, "w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["text", "label"])
            writer.writerows(rows)
    else:
        path.write_text("".join(f"{t}\t{label}\n" for t, label in rows), encoding="utf-8")
    return path


# --- a models/NAME folder trained on the set (the app's "your own models" tests) ----------

# Tiny options (seconds on one CPU core): what the tests need is a model of the right shape.
TINY_TRAINING = {
    "textcnn": ["--embedding", "random", "--embed-dim", "16", "--filters", "8", "--epochs", "2", "--batch-size", "32"],
    "bilstm_att": [
        "--embedding",
        "random",
        "--embed-dim",
        "16",
        "--hidden",
        "8",
        "--epochs",
        "2",
        "--batch-size",
        "32",
    ],
    "linear": [],
}


def make_model_folder(models_dir, name="mine", kinds=("textcnn", "bilstm_att", "linear"), seed=0):
    """models_dir/name/ as `python -m cls_core.train --train-file` leaves it: one tiny model
    per kind trained on the set (MODEL.pt, or MODEL.npz for the linear one, each with its log
    and metrics), and the dev.tsv and test.tsv carved from the file. Returns the folder."""
    import tempfile

    from cls_core.models.checkpoint import checkpoint_file_name
    from cls_core.training.train import main as train_main

    folder = Path(models_dir) / name
    with tempfile.TemporaryDirectory() as scratch:
        labelled = write_labelled_set(Path(scratch) / "mine.tsv", seed=seed)
        for kind in kinds:
            out = folder / checkpoint_file_name(kind)
            train_main(
                [
                    "--model",
                    kind,
                    "--train-file",
                    str(labelled),
                    "--out",
                    str(out),
                    "--device",
                    "cpu",
                    *TINY_TRAINING[kind],
                ]
            )
    return folder


if __name__ == "__main__":  # python tests/owndata.py mine.tsv: the set, for the own-data bench
    import sys

    print(write_labelled_set(sys.argv[1] if len(sys.argv) > 1 else "mine.tsv"))
