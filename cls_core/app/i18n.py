"""Every word the app shows, in English and Simplified Chinese; Traditional Chinese
(Taiwan, Hong Kong) is converted from the Simplified strings with OpenCC.

    text("cut_notice", "zh-TW", n=300, max=200)   # '輸入有 300 個字元；只讀取了前 200 個。'
    language_for("zh-HK,zh;q=0.9,en;q=0.5")       # 'zh-HK'

The server words every text of the page (labels, buttons, results) for the visitor's
language, and words it again when the visitor switches (cls_core.app.tabs.common.Words).
"""

from functools import lru_cache

from cls_core.data.normalize import opencc_converter

LANGUAGES = {"en": "English", "zh-CN": "简体中文", "zh-TW": "繁體中文（台灣）", "zh-HK": "繁體中文（香港）"}
OPENCC_FROM_SIMPLIFIED = {"zh-TW": "s2twp", "zh-HK": "s2hk"}

# THUCNews's class names with the Chinese name the page shows (the English page shows both).
CLASS_GLOSS = {
    "finance": "财经",
    "realty": "房产",
    "stocks": "股票",
    "education": "教育",
    "science": "科技",
    "society": "社会",
    "politics": "时政",
    "sports": "体育",
    "game": "游戏",
    "entertainment": "娱乐",
}

# key: (English, Simplified Chinese). Run-time strings take str.format fields.
TEXTS = {
    # --- page frame -----------------------------------------------------------------------
    "intro": (
        "**Which of ten topics is a Chinese news headline about, and why does a model think so?** "
        "Our best model answers **{ours}** of 10,000 test headlines correctly; the published reference "
        "reaches {reference} with four times our THUCNews training data. Type a headline below and press Enter.",
        "**一条中文新闻标题属于十个主题中的哪一个？模型为什么这么判断？** 我们最好的模型在 10,000 条测试标题上"
        "答对 **{ours}**；已发表的参考项目用四倍于我们的 THUCNews"
        " 训练数据达到 {reference}。在下面输入一条标题，按回车即可。",
    ),
    "privacy": ("Typed headlines are not stored.", "输入的标题不会被保存。"),
    "language": ("Language", "语言"),
    "warning": ("**Warning:** {text}", "**警告**：{text}"),
    "model_unavailable": ("{name} is unavailable: {error}", "{name} 无法加载：{error}"),
    "copy_link": ("Copy a link to this view", "复制此视图的链接"),
    "link_label": ("Link to this view", "此视图的链接"),
    "hint": ("⚠ {text}", "⚠ {text}"),
    "col_read_as": ("read as", "模型读作"),
    "col_unsure": ("unsure", "没把握"),
    "col_reason": ("reason", "原因"),
    "yes": ("yes", "是"),
    "no": ("no", "否"),
    "upload_button": ("Upload a file and predict it", "上传文件并预测"),
    "stage_encoding": ("reading the test headlines", "读取测试标题"),
    "stage_projecting": ("projecting to two dimensions", "投影到二维"),
    # --- model names ----------------------------------------------------------------------
    "model_linear": ("Linear (TF-IDF + SVM)", "线性模型（TF-IDF + SVM）"),
    "model_ensemble": ("Ensemble (average of the models)", "集成（各模型平均）"),
    # --- Predict tab ----------------------------------------------------------------------
    "tab_predict": ("Predict", "预测"),
    "headline_label": ("Headline (up to {n} characters; Enter predicts)", "标题（最多 {n} 个字符；回车即预测）"),
    "headline_placeholder": ("e.g. 国足3:0完胜泰国队", "例如：国足3:0完胜泰国队"),
    "models_label": ("Models (side by side)", "模型（并排比较）"),
    "predict_button": ("Predict", "预测"),
    "random_button": ("Random test headline", "随机测试标题"),
    "examples_label": ("Examples (click one to predict it)", "示例（点击即预测）"),
    "batch_title": ("Batch: a file of headlines → CSV of predictions", "批量：标题文件 → 预测结果 CSV"),
    "upload_label": (
        ".txt (one headline a line) or .csv (a headline column), up to 2 MB",
        ".txt（每行一条标题）或 .csv（含 headline 列），最大 2 MB",
    ),
    "batch_download": ("Predictions (CSV)", "预测结果（CSV）"),
    "batch_done": ("Predicted {n} headlines with {models}.", "已用 {models} 预测 {n} 条标题。"),
    "batch_skipped": ("{n} empty lines skipped.", "跳过了 {n} 个空行。"),
    "panel_label": ("{model} · {verdict} · {ms:.1f} ms", "{model} · {verdict} · {ms:.1f} 毫秒"),
    "note": ("**Note:** {text}", "**注意**：{text}"),
    "cut_notice": (
        "The input had {n} characters; only the first {max} were read.",
        "输入有 {n} 个字符；只读取了前 {max} 个。",
    ),
    "read_as": ("Read as: {text}", "模型读作：{text}"),
    "sure": ("✓ sure", "✓ 有把握"),
    "unsure": ("⚠ unsure: {reason}", "⚠ 没把握：{reason}"),
    "inside_unsure": (
        "**{verdict}**, as Predict says. What follows is what the model computes all the same, not an answer to trust.",
        "**{verdict}**，与“预测”所说一致。下面是模型照样算出的结果，不是可信的答案。",
    ),
    "reason_not_chinese": ("not a Chinese headline", "不像中文标题"),
    "reason_unknown_chars": ("too many unknown characters", "未知字太多"),
    "reason_low_confidence": ("low confidence", "置信度低"),
    "true_label": ("**True label:** {truth} — {verdicts}", "**真实类别**：{truth} — {verdicts}"),
    "right": ("{model}: ✓ right", "{model}：✓ 正确"),
    "wrong": ("{model}: ✗ wrong ({guess})", "{model}：✗ 错误（{guess}）"),
    # --- Inside tab -----------------------------------------------------------------------
    "tab_inside": ("Inside the model", "模型内部"),
    "inside_intro": (
        "Pick a model and a headline. **Weights** show what the model looks at (attention for the "
        "BiLSTM, winning n-grams for the TextCNN, exact n-gram scores for the linear model); "
        "**occlusion** shows what actually changes its answer when a character is removed. "
        "Colours mean the same everywhere: **red** pushes toward the predicted topic (or draws "
        "attention), **violet** pushes away; ␣ is a space.",
        "选择一个模型和一条标题。**权重**显示模型看哪里（BiLSTM 的注意力、TextCNN 胜出的 n 元组、"
        "线性模型精确的 n 元组得分）；**遮挡**显示去掉某个字后答案真正改变多少。"
        "颜色处处同义：**红色**推向预测的主题（或吸引注意力），**紫色**推离；␣ 表示空格。",
    ),
    "inside_model": ("Model", "模型"),
    "layer_label": ("BiLSTM layer", "BiLSTM 层"),
    "direction_label": ("BiLSTM direction", "BiLSTM 方向"),
    "forward": ("forward", "正向"),
    "backward": ("backward", "反向"),
    "inside_button": ("Look inside", "查看内部"),
    "inside_summary": (
        "**{model}** reads {n} characters and answers **{cls}** ({p:.1%}).",
        "**{model}** 读了 {n} 个字，回答 **{cls}**（{p:.1%}）。",
    ),
    "attention_uniform": (
        "Attention is nearly uniform: no character gets more than {ratio:.1f}× the even share "
        "(1/{n} = {share:.1%}), so the model reads the whole headline rather than a few "
        "characters.",
        "注意力几乎均匀：没有哪个字超过平均份额（1/{n} = {share:.1%}）的 {ratio:.1f} 倍，"
        "模型读的是整条标题，而不是个别几个字。",
    ),
    "attention_peaked": (
        "The most-attended character, “{char}”, gets {ratio:.1f}× the even share (1/{n} = {share:.1%}).",
        "最受注意的字“{char}”得到平均份额（1/{n} = {share:.1%}）的 {ratio:.1f} 倍。",
    ),
    "weights_label": ("Weights", "权重"),
    "weights_attention": ("Attention: where the model looks", "注意力：模型看哪里"),
    "weights_textcnn": (
        "Winning n-grams (max-pool), all windows: their push toward the predicted class",
        "胜出的 n 元组（最大池化），所有窗口：对预测类别的推动",
    ),
    "weights_linear": ("N-gram contributions: exactly what moves the linear score", "n 元组贡献：线性得分的精确构成"),
    "window_label": ("Winning n-grams, {k}-character windows", "胜出的 n 元组，{k} 字窗口"),
    "occlusion_label": ("Occlusion: what changes the answer", "遮挡：什么改变了答案"),
    "ngram_table": ("Top n-grams", "最重要的 n 元组"),
    "col_window": ("window", "窗口"),
    "col_ngram": ("n-gram", "n 元组"),
    "col_filters": ("filters won", "胜出的卷积核数"),
    "col_contribution": ("contribution", "贡献"),
    "col_linear_score": ("tf-idf × weight", "tf-idf × 权重"),
    "ngram_window": ("{k} characters", "{k} 字窗口"),
    "title_occlusion": ("Occlusion: drop in p({cls}) without each character", "遮挡：去掉每个字后 p({cls}) 的下降"),
    "title_attention": ("Attention of each character, against the even share 1/n", "每个字的注意力，对照平均份额 1/n"),
    "title_textcnn": ("N-gram contribution to the predicted class, per character", "n 元组对预测类别的贡献（按字）"),
    "title_linear": (
        "Exact n-gram contribution (tf-idf × weight), per character",
        "n 元组的精确贡献（tf-idf × 权重，按字）",
    ),
    "title_hidden": ("Hidden states, layer {layer}, {direction}", "隐藏状态，第 {layer} 层，{direction}"),
    "title_norm": (
        "Hidden-state norm per character, layer {layer}, {direction}",
        "每个字的隐藏状态范数，第 {layer} 层，{direction}",
    ),
    "title_reading": ("Reading the headline: the answer after each character", "逐字阅读：读到每个字时的答案"),
    "axis_probability_drop": ("probability drop", "概率下降"),
    "axis_attention": ("attention", "注意力"),
    "axis_logit_share": ("logit share", "logit 份额"),
    "axis_score_share": ("score share", "得分份额"),
    "axis_norm": ("norm", "范数"),
    "axis_hidden_unit": ("hidden unit", "隐藏单元"),
    "uniform_share": ("even share 1/n", "平均份额 1/n"),
    "toward": ("toward {cls}", "推向 {cls}"),
    "away": ("away from {cls}", "推离 {cls}"),
    "after_char": ("after", "读到"),
    # --- Inside: look deeper --------------------------------------------------------------
    "deeper_title": (
        "Look deeper: integrated gradients, agreement, counterfactuals",
        "深入查看：积分梯度、方法一致性、反事实",
    ),
    "agreement_line": (
        "**Do the methods agree on this headline?** Spearman rank correlation (+1 same order, "
        "0 unrelated, −1 opposite): {pairs}.",
        "**各方法在这条标题上一致吗？** Spearman 秩相关（+1 顺序相同，0 无关，−1 相反）：{pairs}。",
    ),
    "reduction_line": (
        "**Fewest characters that keep the answer:** “{text}” ({k} of {n} characters) still reads as "
        "**{cls}** ({p:.0%}).",
        "**保留答案所需的最少的字**：“{text}”（{n} 个字中的 {k} 个）仍被判为 **{cls}**（{p:.0%}）。",
    ),
    "flip_line": (
        "**Smallest edit that changes the answer:** {edit} gives “{text}”, read as **{cls}** ({p:.0%}) "
        "instead of {was}.",
        "**改变答案的最小改动**：{edit}，得到“{text}”，被判为 **{cls}**（{p:.0%}），而不是{was}。",
    ),
    "flip_none": (
        "**Smallest edit that changes the answer:** none of the {n} single-character edits tried changes it.",
        "**改变答案的最小改动**：试过的 {n} 个单字改动都没有改变答案。",
    ),
    "edit_delete": ("deleting “{old}” (character {position})", "删去第 {position} 个字“{old}”"),
    "edit_replace": ("replacing “{old}” (character {position}) by “{new}”", "把第 {position} 个字“{old}”换成“{new}”"),
    "title_methods": (
        "How each method credits the characters (scaled to the largest |score|)",
        "各方法对每个字的归因（按最大绝对值缩放）",
    ),
    "method_integrated_gradients": ("integrated gradients", "积分梯度"),
    "method_attention": ("attention", "注意力"),
    "method_occlusion": ("occlusion", "遮挡"),
    "method_ngram": ("n-gram scores", "n 元组得分"),
    "title_agreement": (
        "Do the methods agree? Mean Spearman rank correlation over {n} test headlines",
        "各方法一致吗？{n} 条测试标题上的平均 Spearman 秩相关",
    ),
    "axis_spearman": ("Spearman ρ", "Spearman ρ"),
    "units_title": ("Hidden units of the BiLSTM: what one unit tracks", "BiLSTM 的隐藏单元：一个单元在追踪什么"),
    "units_intro": (
        "Each hidden unit is one number the BiLSTM updates at every character. Units are ranked by how "
        "topic-specific they are over the test split; pick one to see its activation along the headline "
        "above and the test headlines where it fires most.",
        "每个隐藏单元是 BiLSTM 在每个字上更新的一个数。单元按它在测试集上对主题的专一程度排序；"
        "选一个单元，查看它沿上面这条标题的激活，以及它在测试集中最活跃的标题。",
    ),
    "units_button": ("List the units", "列出单元"),
    "unit_label": ("Unit (most topic-specific first)", "单元（对主题最专一的在前）"),
    "unit_choice": (
        "layer {layer} {direction} #{unit} · {topic} ({specificity:.2f})",
        "第 {layer} 层 {direction} #{unit} · {topic}（{specificity:.2f}）",
    ),
    "units_ready": (
        "{n} units ranked; the most topic-specific one is shown, pick another to follow it.",
        "已为 {n} 个单元排序；下面是最专注于某个主题的单元，可另选一个。",
    ),
    "indexing_units": (
        "Indexing the hidden units over the test split (once per model)",
        "正在为测试集上的隐藏单元建立索引（每个模型一次）",
    ),
    "title_unit_track": (
        "Unit {unit}, layer {layer}, {direction}: activation along the headline",
        "第 {layer} 层 {direction} 第 {unit} 号单元：沿标题的激活",
    ),
    "axis_activation": ("activation", "激活值"),
    "unit_contexts": ("Where the unit fires most in the test split", "该单元在测试集中最活跃的位置"),
    "col_number": ("test #", "测试集编号"),
    "col_context": ("context", "上下文"),
    "col_activation": ("activation", "激活值"),
    "col_topic": ("topic", "主题"),
    # --- Map tab --------------------------------------------------------------------------
    "tab_map": ("Map", "地图"),
    "map_intro": (
        "Every test headline as the vector the classifier reads, projected to two dimensions (PCA, then "
        "t-SNE): headlines the model finds alike lie close together. Colours are the true topics, crosses "
        "the mistakes. Hover a point to read its headline; click it to open it in Inside the model.",
        "每条测试标题都表示为分类器读到的向量，再投影到二维（先 PCA，再 t-SNE）：模型认为相似的标题靠在一起。"
        "颜色是真实主题，叉号是判错的标题。把鼠标移到点上可看标题；点击即可在“模型内部”中打开。",
    ),
    "map_model": ("Model", "模型"),
    "map_button": ("Draw the map", "绘制地图"),
    "drawing_map": (
        "Projecting the test split (the first time for a model takes about a minute)",
        "正在投影测试集（每个模型第一次约需一分钟）",
    ),
    "map_summary": (
        "**{model}**: {n:,} test headlines (projected once, in {seconds:.0f} s, then kept).",
        "**{model}**：{n:,} 条测试标题（只投影一次，用时 {seconds:.0f} 秒，之后保存）。",
    ),
    "title_map": (
        "The test split as the classifier sees it ({method}); ✕ = mistake",
        "分类器眼中的测试集（{method}）；✕ = 判错",
    ),
    "legend_mistakes": ("mistakes", "判错"),
    "map_open_label": ("Test headline number (from the map or a table)", "测试集标题编号（来自地图或表格）"),
    "map_open_button": ("Open in Inside the model", "在“模型内部”中打开"),
    # --- Evaluate tab ---------------------------------------------------------------------
    "tab_evaluate": ("Evaluate", "评估"),
    "eval_model": ("Model", "模型"),
    "row_normalised": ("Row-normalised (share of each true class)", "按行归一（占每个真实类别的比例）"),
    "eval_button": ("Evaluate on the test split", "在测试集上评估"),
    "eval_intro": (
        "Scores every headline of the model's test split (THUCNews's: 10,000; a model of your own: "
        "its folder's test.tsv); the result is cached.",
        "为模型测试集的每条标题打分（THUCNews：10,000 条；你自己的模型：其文件夹中的 test.tsv）；结果会被缓存。",
    ),
    "evaluating": ("Evaluating on the test split", "正在测试集上评估"),
    "eval_summary": (
        "**{model}** on {n:,} test headlines: accuracy **{acc:.2%}**, macro-F1 **{f1:.2%}**, "
        "calibration error (ECE) {ece:.2%} ({seconds:.1f} s to score).",
        "**{model}** 在 {n:,} 条测试标题上：准确率 **{acc:.2%}**，宏平均 F1 **{f1:.2%}**，"
        "校准误差（ECE）{ece:.2%}（打分用时 {seconds:.1f} 秒）。",
    ),
    "eval_summary_outlet": (
        "**{model}** on {n:,} headlines of an outlet it never learned from (Toutiao, 2018): "
        "accuracy **{acc:.2%}**, macro-F1 **{f1:.2%}**, calibration error (ECE) {ece:.2%} "
        "({seconds:.1f} s to score). Toutiao's channels are mapped to the ten topics; a headline "
        "of its finance channel counts as right when the answer is finance or stocks.",
        "**{model}** 在 {n:,} 条它从未学过的媒体（今日头条，2018 年）的标题上：准确率 **{acc:.2%}**，"
        "宏平均 F1 **{f1:.2%}**，校准误差（ECE）{ece:.2%}（打分用时 {seconds:.1f} 秒）。头条的频道对应到"
        "十个主题；其财经频道的标题，答财经或股票都算对。",
    ),
    "test_set_label": ("Test set", "测试集"),
    "test_set_test": ("The model's own test split (THUCNews test)", "模型自己的测试集（THUCNews 测试集）"),
    "test_set_outlet": ("An outlet never trained on (Toutiao 2018)", "从未训练过的媒体（今日头条 2018）"),
    "error_test_set": ("Unknown test set {name}: one of {sets}.", "未知的测试集 {name}：可选 {sets}。"),
    "error_outlet_classes": (
        "{name} has labels of its own: the other outlet's headlines are labelled with "
        "THUCNews's ten topics. Choose its own test split.",
        "{name} 使用自己的标签，而另一家媒体的标题按 THUCNews 的十个主题标注。请选择它自己的测试集。",
    ),
    "per_class": ("Per class", "各类别"),
    "col_class": ("class", "类别"),
    "col_precision": ("precision", "精确率"),
    "col_recall": ("recall", "召回率"),
    "col_f1": ("F1", "F1"),
    "col_support": ("support", "样本数"),
    "confusion_label": ("Confusion matrix: click a number to list those headlines", "混淆矩阵：点击数字列出这些标题"),
    "confusion_corner": ("true \\ predicted", "真实 \\ 预测"),
    "cell_hint": (
        "Click a number in the confusion matrix to list those headlines.",
        "点击混淆矩阵中的数字即可列出这些标题。",
    ),
    "cell_message": (
        "{total} headlines: true {true}, predicted {predicted} ({kind}).",
        "{total} 条标题：真实 {true}，预测 {predicted}（{kind}）。",
    ),
    "cell_correct": ("correct", "正确"),
    "cell_mistakes": ("mistakes, most confident first", "判错的，最自信的在前"),
    "cell_rows": ("Headlines of the chosen cell", "所选格子的标题"),
    "col_headline": ("headline", "标题"),
    "col_true": ("true", "真实"),
    "col_predicted": ("predicted", "预测"),
    "col_probability": ("probability", "概率"),
    "title_reliability": ("Reliability: is the confidence honest?", "可靠性：置信度诚实吗？"),
    "reliability_bar": ("accuracy in bin", "该区间的准确率"),
    "perfect_calibration": ("perfect calibration", "完美校准"),
    "axis_confidence": ("confidence", "置信度"),
    "axis_accuracy": ("accuracy", "准确率"),
    "headlines_n": ("headlines", "条标题"),
    "title_coverage": ("Answer only when confident: accuracy against coverage", "只在有把握时回答：准确率与覆盖率"),
    "axis_coverage": ("share of headlines answered (coverage)", "回答的标题比例（覆盖率）"),
    "axis_answered_accuracy": ("accuracy of the answered", "已回答部分的准确率"),
    "chosen_threshold": ("chosen threshold", "选定阈值"),
    "csv_label": ("All test predictions (CSV)", "全部测试预测（CSV）"),
    "disagree_title": ("Where the models disagree", "模型意见不一致之处"),
    "disagree_button": ("Compare the models", "比较各模型"),
    "disagree_message": (
        "The models disagree on {total} of {n:,} test headlines (first {shown} shown).",
        "各模型在 {n:,} 条测试标题中的 {total} 条上意见不一（显示前 {shown} 条）。",
    ),
    "title_slices_length": ("Accuracy by headline length (characters)", "按标题长度（字数）的准确率"),
    "title_slices_unknown": ("Accuracy by share of unknown characters", "按未知字比例的准确率"),
    "agree_title": ("Does attention explain the prediction?", "注意力能解释预测吗？"),
    "agree_intro": (
        "For a sample of test headlines, the attributions of each network (integrated gradients, occlusion, "
        "attention or n-gram scores) are compared by rank correlation. High agreement means the methods "
        "point at the same characters; the literature finds attention often does not.",
        "在测试集的一个样本上，用秩相关比较每个网络的各种归因（积分梯度、遮挡、注意力或 n 元组得分）。"
        "一致性高说明各方法指向相同的字；文献发现注意力常常并非如此。",
    ),
    "agree_button": ("Measure the agreement", "测量一致性"),
    "agreeing": (
        "Computing attributions over the test sample (once per model)",
        "正在为测试样本计算归因（每个模型一次）",
    ),
    "col_pair": ("methods", "方法"),
    "col_mean": ("mean ρ", "平均 ρ"),
    "col_median": ("median ρ", "中位数 ρ"),
    "col_headlines": ("headlines", "标题数"),
    "scoring_all": ("Scoring every model on the test split", "正在用每个模型为测试集打分"),
    # --- Experiments tab ------------------------------------------------------------------
    "tab_experiments": ("Experiments", "实验"),
    "experiments_intro": (
        "The tutorials behind this demo make claims about recurrent networks: that an LSTM beats a "
        "vanilla RNN, that reading both directions helps, that a fixed pad size is harmless, that "
        "gradients vanish over long inputs. Here they are measured on our data, with a shortened "
        "schedule that is the same for every cell.",
        "本演示所依据的教程对循环网络有一些论断：LSTM 胜过普通 RNN，双向阅读有帮助，固定填充长度无害，"
        "梯度会在长输入上消失。这里在我们的数据上测量它们，每个实验格子都用相同的缩短训练计划。",
    ),
    "experiments_missing": (
        "The experiments have not been run yet: python -m cls_core.training.experiments",
        "实验尚未运行：python -m cls_core.training.experiments",
    ),
    "title_cells": ("Vanilla RNN vs GRU vs LSTM: test accuracy", "普通 RNN、GRU、LSTM：测试准确率"),
    "bidirectional": ("bidirectional", "双向"),
    "unidirectional": ("unidirectional", "单向"),
    "title_pad": (
        "Fixed pad size (padding fed to the network) vs full-length packing: test accuracy",
        "固定填充长度（填充送入网络）与按全长打包：测试准确率",
    ),
    "packed": ("packed (ours)", "打包（本项目）"),
    "title_batch_size": ("Batch size: test accuracy and seconds per epoch", "批大小：测试准确率与每轮秒数"),
    "axis_seconds_per_epoch": ("seconds per epoch", "每轮秒数"),
    "title_gradients": (
        "Vanishing gradients? |d loss / d input| at each position ({state})",
        "梯度消失？每个位置的 |d loss / d 输入|（{state}）",
    ),
    "state_trained": ("trained", "训练后"),
    "state_init": ("at initialisation", "初始化时"),
    "axis_position": ("position in the headline", "标题中的位置"),
    "axis_gradient_norm": ("gradient norm", "梯度范数"),
    # --- Overview tab ---------------------------------------------------------------------
    "tab_overview": ("Overview", "概览"),
    "overview_what": (
        "## What this is\nA headline goes in; the models say which of ten topics it belongs to "
        "(finance, realty, stocks, education, science, society, politics, sports, game or "
        "entertainment) and how sure they are. The probabilities are *calibrated*: of the "
        "headlines a model calls 90 % sure, about 90 % are right.\n\n"
        "- **BiLSTM-attention** reads the headline character by character in both directions and "
        "learns which characters to pay attention to.\n"
        "- **TextCNN** slides small windows (2, 3 and 4 characters) over the headline and keeps "
        "the strongest match of each learned pattern.\n"
        "- **Linear (TF-IDF + SVM)** counts characters and character pairs and weighs them: the "
        "classical baseline every network must beat.\n"
        "- **Ensemble** averages the models’ probabilities.",
        "## 这是什么\n输入一条标题，模型判断它属于十个主题中的哪一个（财经、房产、股票、教育、科技、社会、"
        "时政、体育、游戏、娱乐），以及有多大把握。概率经过*校准*：模型说有 90 % 把握的标题，"
        "大约 90 % 是对的。\n\n"
        "- **BiLSTM-attention** 从两个方向逐字阅读标题，并学会该注意哪些字。\n"
        "- **TextCNN** 用 2、3、4 个字的小窗口滑过标题，保留每个学到的模式最强的匹配。\n"
        "- **线性模型（TF-IDF + SVM）** 统计单字和相邻字对并加权：每个神经网络都必须超过的经典基线。\n"
        "- **集成** 对各模型的概率取平均。",
    ),
    "overview_data": ("## The data", "## 数据"),
    "data_sentence": (
        "THUCNews headlines (Tsinghua University): {counts} headlines, balanced over the ten topics. "
        "Train and dev counts are those the checkpoints recorded when they were trained.",
        "THUCNews 新闻标题（清华大学）：{counts} 条，十个主题均衡分布。训练集和验证集的数量来自检查点在训练时的记录。",
    ),
    "split_train": ("train", "训练集"),
    "split_dev": ("dev", "验证集"),
    "split_test": ("test", "测试集"),
    "per_class_counts": ("Headlines per class", "每个类别的标题数"),
    "data_set_label": ("Data set", "数据集"),
    "data_sentence_own": (
        "Your own data, models/{folder}: {counts} lines over {n} labels. Train and dev counts are "
        "those its models recorded when they were trained; the test lines are models/{folder}/test.tsv.",
        "你自己的数据 models/{folder}：{counts} 行，{n} 个标签。训练集和验证集的数量来自其模型在训练时的记录；"
        "测试行来自 models/{folder}/test.tsv。",
    ),
    "overview_models": ("## The models", "## 模型"),
    "outlet_intro": (
        "**On headlines from elsewhere.** THUCNews is one outlet (Sina, 2005–2011). Each model is "
        "measured on THUCNews' own test split and on headlines of an outlet it never learned from "
        '(Toutiao, 2018; its channels mapped to the ten topics). "Unsure" answers can be set aside: '
        "what remains is right more often.",
        "**来自别处的标题。** THUCNews 只是一家媒体（新浪，2005–2011 年）。每个模型都在 THUCNews 自己的测试集上、"
        "也在一家它从未学过的媒体（今日头条，2018 年；其频道对应到十个主题）的标题上测量。“没把握”的回答可以先放一边："
        "剩下的答对得更多。",
    ),
    "outlet_sentence": (
        "**{model}**: on THUCNews' own test **{test:.1%}** right; on an outlet it never learned from "
        "**{other:.1%}**. Leaving out what it is unsure of: {test_right:.1%} right with "
        "{test_answered:.0%} answered on THUCNews, {other_right:.1%} right with {other_answered:.0%} "
        "answered on the other outlet.",
        "**{model}**：在 THUCNews 自己的测试集上答对 **{test:.1%}**；在它从未学过的媒体上答对 **{other:.1%}**。"
        "去掉没把握的回答后：THUCNews 上回答 {test_answered:.0%}，答对 {test_right:.1%}；另一家媒体上回答 "
        "{other_answered:.0%}，答对 {other_right:.1%}。",
    ),
    "sources_sentence": ("What the shipped models learned from: {sources}.", "随项目发布的模型学自：{sources}。"),
    "source_part": ("{data}, {n:,} headlines{weight} ({models})", "{data}，{n:,} 条标题{weight}（{models}）"),
    "at_weight": (" at weight {weight:g}", "，权重 {weight:g}"),
    "all_models": ("all models", "所有模型"),
    "list_separator": ("; ", "；"),  # between the parts of a list in one sentence
    "col_model": ("model", "模型"),
    "col_parameters": ("parameters", "参数量"),
    "col_file_mb": ("file MB", "文件 MB"),
    "col_test_accuracy": ("test accuracy", "测试准确率"),
    "col_calibration": ("calibration error", "校准误差"),
    "col_computes_in": ("computes in", "计算格式"),
    "precision_note": (
        "*computes in*: the number format of the arithmetic on this server. bf16 (16-bit) is used where "
        "the processor multiplies it natively and a short timed test at start-up finds it faster; "
        "its answers agree with fp32 (32-bit) to within 0.01 in probability.",
        "*计算格式*：本服务器上运算所用的数字格式。处理器原生支持 "
        "bf16（16 位）乘法、且启动时的简短计时测试表明它更快时，"
        "就用 bf16；它给出的概率与 fp32（32 位）相差不超过 0.01。",
    ),
    "title_accuracy": (
        "THUCNews test accuracy: ours (45k THUCNews training headlines) and the published reference (180k)",
        "THUCNews 测试准确率：我们的模型（4.5 万条 THUCNews 训练标题）与已发表的参考项目（18 万条）",
    ),
    "published_note": (
        "published figure, 4× our THUCNews training data",
        "已发表的数字，THUCNews 训练数据是我们的 4 倍",
    ),
    "ours_note": (
        "shipped checkpoint, 45k THUCNews training headlines and others (Overview: the data)",
        "随项目发布的检查点，4.5 万条 THUCNews 训练标题及其他来源（见概览：数据）",
    ),
    "reference_name": ("{model} (reference, 180k train)", "{model}（参考项目，18 万训练）"),
    "title_training": ("Training curves: {model}", "训练曲线：{model}"),
    "train_loss": ("train loss (smoothed per step)", "训练损失（逐步平滑）"),
    "train_loss_running": ("train loss (running mean per epoch)", "训练损失（每轮的滑动平均）"),
    "dev_loss": ("dev loss", "验证损失"),
    "dev_accuracy": ("dev accuracy", "验证准确率"),
    "axis_step": ("training step", "训练步数"),
    "axis_loss": ("loss", "损失"),
    "no_curve_linear": (
        "**{model}** has no training curve: it is fitted in one pass (a linear SVM on TF-IDF "
        "features), not step by step.",
        "**{model}** 没有训练曲线：它是一次拟合完成的（TF-IDF 特征上的线性 SVM），不是逐步训练的。",
    ),
    # --- messages a visitor can act on (cls_core.app.wording.UserError) -------------------------
    "error_empty": ("Please type a headline first (it was empty).", "请先输入一条标题（现在是空的）。"),
    "error_choose_model": ("Choose at least one model.", "请至少选择一个模型。"),
    "error_not_loaded": ("The model {name} is not loaded.", "模型 {name} 没有加载。"),
    "error_pick_one": ("Pick one model (not the ensemble) to look inside.", "请选择单个模型（不是集成）来查看内部。"),
    "error_upload_first": (
        "Upload a .txt (one headline per line) or .csv file first.",
        "请先上传 .txt（每行一条标题）或 .csv 文件。",
    ),
    "error_file_size": ("The file is larger than {mb} MB.", "文件超过 {mb} MB。"),
    "error_not_utf8": ("The file is not UTF-8 text.", "文件不是 UTF-8 文本。"),
    "error_no_headlines": ("The file holds no headlines.", "文件里没有标题。"),
    "error_batch_file_type": (
        "That is a {suffix} file: upload a .txt (a headline a line) or a .csv (a headline column).",
        "这是 {suffix} 文件：请上传 .txt（每行一条标题）或 .csv（含 headline 列）。",
    ),
    "error_csv_no_headline": (
        "A .csv needs a column named headline (or 标题) holding the headlines; its first row has: {found}.",
        "CSV 文件需要一个名为 headline（或“标题”）的列来存放标题；它的第一行是：{found}。",
    ),
    "error_too_many": ("The file holds {n} headlines; the limit is {limit}.", "文件有 {n} 条标题；上限是 {limit} 条。"),
    "error_no_test_split": ("The test split is not available: {error}", "测试集不可用：{error}"),
    "error_run_evaluation": ("Run an evaluation first.", "请先运行一次评估。"),
    "error_click_number": (
        "Click a number in the table to list those headlines.",
        "请点击表格中的数字来列出这些标题。",
    ),
    "error_units_bilstm": (
        "Hidden units exist only for the BiLSTM-attention model.",
        "只有 BiLSTM-attention 模型才有隐藏单元。",
    ),
    "error_map_network": (
        "The map is drawn for the neural networks (the BiLSTM and the TextCNN).",
        "地图只为神经网络（BiLSTM 和 TextCNN）绘制。",
    ),
    "error_headline_number": (
        "Give a test headline number between 0 and {n}.",
        "请输入 0 到 {n} 之间的测试集标题编号。",
    ),
    "error_pick_unit": ("List the units and pick one first.", "请先列出单元并选择一个。"),
    "error_unexpected": (
        "Something went wrong on the server; the error was logged. Please try again.",
        "服务器出了点问题，错误已记录。请再试一次。",
    ),
    "error_busy": (
        "The server is busy with other requests of this kind; please try again in a minute.",
        "服务器正忙于处理同类请求，请一分钟后再试。",
    ),
    # helper-b
    "axis_accuracy_from": (
        "accuracy (the axis starts at {low:.0%}, not 0)",
        "准确率（坐标轴从 {low:.0%} 起，不是从 0 起）",
    ),
    "colon": (": ", "："),  # between a label and its value in figures' hover text
    "flip_not_chinese": (
        " No edit of a Chinese character tried changes the answer: this one touches punctuation, "
        "a digit or a Latin letter.",
        "试过的汉字改动都没有改变答案：这一处改的是标点、数字或拉丁字母。",
    ),
    # --- corrections (issue 19) -------------------------------------------------------------
    "privacy_feedback": (
        "Typed headlines are not stored. Only when you click “This answer is wrong” do we keep: "
        "the headline as typed and as the model read it, the model, its answer and probability, "
        "the topic you pick, the time, the app's version (git commit) and the model file's "
        "sha256 — never your IP address or login name.",
        "输入的标题不会被保存。只有当你点击“这个答案错了”时，我们才会保存：你输入的标题和模型读到的标题、"
        "模型、它的答案和概率、你选的主题、时间、本应用的版本（git commit）和模型文件的 sha256——"
        "从不保存你的 IP 地址或登录名。",
    ),
    "correct_model": ("Which answer is wrong", "哪个答案错了"),
    "correct_topic": ("The right topic", "正确的主题"),
    "correct_button": ("✗ This answer is wrong", "✗ 这个答案错了"),
    "correct_done": (
        "✓ Kept as correction #{id}: {model} said {answer}; you say {topic}. Thank you.",
        "✓ 已保存为第 {id} 条更正：{model} 说是{answer}，你说是{topic}。谢谢！",
    ),
    "error_pick_topic": ("Pick the right topic first.", "请先选择正确的主题。"),
    "error_unknown_topic": (
        "Unknown topic “{topic}”; give one of: {topics}.",
        "未知的主题“{topic}”；请给出以下之一：{topics}。",
    ),
    "error_feedback_same": (
        "That is the model's own answer: pick the topic it should have answered.",
        "这正是模型自己的答案：请选择它本该给出的主题。",
    ),
    "error_feedback_too_long": (
        "A correction takes a headline of up to {max} characters; this one has {n}. Nothing was kept.",
        "更正只接受最多 {max} 个字符的标题；这条有 {n} 个。没有保存任何内容。",
    ),
    "error_feedback_rate": (
        "More than {n} corrections a minute from one visitor: nothing was kept. Please wait a minute.",
        "同一访客每分钟最多 {n} 条更正：这条没有保存。请稍等一分钟。",
    ),
    "error_feedback_full": (
        "The corrections database is full: nothing was kept. Please tell whoever runs this app.",
        "更正数据库已满：这条没有保存。请告知本应用的运行者。",
    ),
    "error_feedback_again": (
        "You sent this very correction already; it is kept once.",
        "你已经发送过这条更正，它只保存一次。",
    ),
    "error_feedback_busy": (
        "The corrections file is busy (another program is writing to it): nothing was kept. Please try again.",
        "更正文件正忙（另一个程序正在写入）：没有保存。请再试一次。",
    ),
    "error_feedback_invalid": ("This correction is out of bounds: nothing was kept.", "这条更正超出限制：没有保存。"),
    "error_feedback_off": (
        "Corrections are turned off on this server (--no-feedback).",
        "此服务器关闭了更正功能（--no-feedback）。",
    ),
    "tab_review": ("Review corrections", "审阅更正"),
    "review_intro": (
        "Corrections visitors made (this tab shows because the app was started with --review). {n} kept.",
        "访客提交的更正（因为本应用以 --review 启动，才显示此标签页）。共保存 {n} 条。",
    ),
    "review_refresh": ("Refresh", "刷新"),
    "review_pairs": ("Answer → correction", "答案 → 更正"),
    "review_rows": ("The corrections, newest first", "各条更正（最新的在前）"),
    "review_export": ("Export as TSV (text<TAB>label)", "导出为 TSV（text<TAB>label）"),
    "review_download": ("Corrections (TSV, for --extra-train)", "更正（TSV，供 --extra-train 使用）"),
    "col_answer": ("answer", "答案"),
    "col_correction": ("correction", "更正"),
    "col_count": ("count", "次数"),
    "col_lines": ("lines", "行数"),  # of an uploaded file, per label
    "col_time": ("time (UTC)", "时间（UTC）"),
    # --- report (issue 19) ----------------------------------------------------------------
    "report_button": (
        "⬇ The report to hand out (one HTML file, this language)",
        "⬇ 可分发的报告（一个 HTML 文件，当前语言）",
    ),
    "report_file_label": ("Report: opens offline in any browser", "报告：任何浏览器都能离线打开"),
    "report_writing": ("writing the report", "正在生成报告"),
    "error_no_report": (
        "No report record beside these checkpoints: run python -m cls_core.report --record",
        "这些模型检查点旁没有报告记录：请运行 python -m cls_core.report --record",
    ),
    # --- training in the browser (app.py --allow-training) ----------------------------------
    "error_train_name": (
        "A model's name takes 1 to 40 letters, digits, - and _.",
        "模型名称须为 1 到 40 个字母、数字、- 或 _。",
    ),
    "error_train_name_taken": (
        "There is a model named “{name}” already, or one being trained: pick another name.",
        "已有名为“{name}”的模型，或正在训练：请换一个名称。",
    ),
    "error_train_model": ("Pick a model to train.", "请选择要训练的模型。"),
    "error_train_epochs": ("Epochs: from 1 to {max}.", "训练轮数：1 到 {max}。"),
    "error_train_file": ("The file cannot be trained on:\n{problems}", "这个文件无法用于训练：\n{problems}"),
    "error_train_busy": (
        "{n} trainings are waiting already; please try again later.",
        "已有 {n} 个训练在排队；请稍后再试。",
    ),
    "error_train_no_model": ("There is no trained model named “{name}”.", "没有名为“{name}”的已训练模型。"),
    "error_train_off": (
        "Training is off on this server (start the app with --allow-training).",
        "此服务器未开启训练（以 --allow-training 启动本应用）。",
    ),
    "error_train_no_upload": ("Upload a labelled file first.", "请先上传一个带标签的文件。"),
    "tab_train": ("Train", "训练"),
    "train_intro": (
        "Train a model on **your own headlines**. Upload a "
        "labelled file: `text<TAB>label` lines (.tsv, .txt) or a .csv "
        "with `text` and `label` columns; up to {mb} MB and {lines} lines, {min_classes} to "
        "{max_classes} labels, at least {min_examples} lines each. 80% trains, 10% picks the best "
        "epoch (dev), 10% is kept for testing. One training runs at a time (the others wait in "
        "line), for at most {minutes} minutes. A trained model "
        "appears in every model picker as name/model (e.g. topics/textcnn).",
        "用**你自己的标题**训练一个模型。"
        "上传一个带标签的文件：每行 `text<TAB>label`（.tsv、.txt），或含 `text` 和 `label` 列的 .csv；"
        "最大 {mb} MB、{lines} 行，{min_classes} 到 {max_classes} 个标签，每个标签至少 {min_examples} 行。"
        "80% 用于训练，10% 用于挑选最好的一轮（验证集），10% 留作测试。同一时间只训练一个模型"
        "（其余的排队等候），每次最多 {minutes} 分钟。训练好的模型会以“"
        "名称/模型”（例如 topics/textcnn）出现在每个模型选择器中。",
    ),
    "train_file": ("Labelled file (.tsv, .csv, .txt)", "带标签的文件（.tsv、.csv、.txt）"),
    "train_checked_ok": (
        "✓ {lines} lines, {classes} labels: ready to train.",
        "✓ {lines} 行，{classes} 个标签：可以训练。",
    ),
    "train_checked_problems": (
        "✗ Problems found: {problems}. Nothing can be trained on this file until they are fixed.",
        "✗ 发现 {problems} 个问题：修正之前，无法用这个文件训练。",
    ),
    "train_counts": ("Lines per label", "每个标签的行数"),
    "train_problems": ("Problems found (file:line)", "发现的问题（文件名和行号）"),
    # what check_labelled_file finds (cls_core.data.labelled.PROBLEMS words the same in English)
    "labelled_no_file": ("no such file", "文件不存在"),
    "labelled_file_type": (
        "a {suffix} file; a labelled file is .tsv, .txt or .csv",
        "这是 {suffix} 文件；带标签的文件须是 .tsv、.txt 或 .csv",
    ),
    "labelled_too_big": ("{mb:.1f} MB; the limit is {limit_mb:.0f} MB", "{mb:.1f} MB；上限是 {limit_mb:.0f} MB"),
    "labelled_not_utf8": (
        "not valid UTF-8 ({reason} at byte {byte}); save the file as UTF-8",
        "不是有效的 UTF-8（第 {byte} 字节：{reason}）；请将文件存为 UTF-8",
    ),
    "labelled_no_column": (
        "the header ({header}) has no column {missing}; name the columns text and label",
        "表头（{header}）中没有 {missing} 列；请将两列命名为 text 和 label",
    ),
    "labelled_not_csv": ("not readable as CSV ({error})", "无法按 CSV 读取（{error}）"),
    "labelled_too_many_lines": (
        "more than {limit:,} lines; the limit is {limit:,}",
        "超过 {limit:,} 行；上限是 {limit:,} 行",
    ),
    "labelled_columns": ("expected {expected} columns, found {found}", "有 {found} 列，应为 {expected} 列"),
    "labelled_columns_tsv": (
        "expected {expected} columns (text<TAB>label), found {found}",
        "有 {found} 列，应为 {expected} 列（text<TAB>label）",
    ),
    "labelled_empty_text": ("empty text", "文本为空"),
    "labelled_empty_label": ("empty label", "标签为空"),
    "labelled_no_lines": ("no labelled lines", "没有带标签的行"),
    "labelled_label_count": (
        "a model needs {low} to {high} labels, found {count}",
        "{count} 个标签；模型需要 {low} 到 {high} 个",
    ),
    "labelled_few_examples": (
        "label {label!r} has only {count} of the {minimum} lines each label needs",
        "标签 {label!r} 只有 {count} 条；每个标签至少需要 {minimum} 条",
    ),
    "labelled_unknown_labels": ("labels not in the training file: {labels}", "训练文件中没有这些标签：{labels}"),
    "labelled_more": ("… and {n} more problems", "……另有 {n} 个问题"),
    "col_label": ("label", "标签"),
    "train_model": ("Model", "模型"),
    "train_epochs": ("Epochs (passes over the training lines)", "训练轮数（遍历训练数据的次数）"),
    "train_name": ("Name (letters, digits, - and _; up to 40)", "名称（字母、数字、- 和 _；最多 40 个）"),
    "train_name_placeholder": ("e.g. my-topics", "例如：my-topics"),
    "train_button": ("Train", "训练"),
    "train_cancel": ("Cancel", "取消"),
    "train_waiting": (
        "**{name}** ({model}) is waiting in line: {ahead} training(s) ahead of it.",
        "**{name}**（{model}）正在排队：前面还有 {ahead} 个训练。",
    ),
    "train_running": (
        "**{name}** ({model}) is training: epoch {epoch} of {epochs} done, {seconds} s so far.",
        "**{name}**（{model}）正在训练：已完成第 {epoch} 轮，共 {epochs} 轮，已用 {seconds} 秒。",
    ),
    "train_running_linear": (
        "**{name}** ({model}) is being fitted (in one pass), {seconds} s so far.",
        "**{name}**（{model}）正在拟合（一次完成），已用 {seconds} 秒。",
    ),
    "train_done": (
        "✓ **{name}** ({model}) is trained, in {seconds} s; Predict serves it as {names}.",
        "✓ **{name}**（{model}）训练完成，用时 {seconds} 秒；“预测”中的名称是 {names}。",
    ),
    "train_deleted": ("**{name}** ({model}) was trained, then deleted.", "**{name}**（{model}）训练完成后已被删除。"),
    "train_dev_accuracy": ("Best dev accuracy: {acc}.", "验证集最高准确率：{acc}。"),
    "train_failed": (
        "✗ The training of **{name}** ({model}) failed; nothing was kept. The trainer said:",
        "✗ **{name}**（{model}）训练失败，没有保留任何内容。训练程序的输出：",
    ),
    "train_cancelled": (
        "The training of **{name}** was cancelled; nothing was kept.",
        "**{name}** 的训练已取消，没有保留任何内容。",
    ),
    "train_timed_out": (
        "The training of **{name}** was stopped at the time limit ({minutes} minutes); "
        "nothing was kept. Try fewer epochs or a smaller file.",
        "**{name}** 的训练达到时间上限（{minutes} 分钟）被停止，没有保留任何内容。请减少训练轮数或使用更小的文件。",
    ),
    "train_loss_recent": ("train loss (mean of the steps since the last point)", "训练损失（上一点以来各步的平均）"),
    "train_open": ("Open in Predict", "在“预测”中打开"),
    "train_models": ("Trained models", "已训练的模型"),
    "train_download": ("⬇ Download its checkpoint", "⬇ 下载其模型文件"),
    "train_delete": ("Delete this model", "删除此模型"),
    "train_who": (
        "Who may do what: every visitor of this page can train, open, download and delete the models "
        "trained here; models the operator put beside the app are served to everyone but cannot be "
        "downloaded or deleted from this page.",
        "谁能做什么：本页的每位访客都可以训练、打开、下载和删除在这里训练的模型；"
        "运营者放在应用旁的模型对所有人提供服务，但不能从本页下载或删除。",
    ),
    "train_confirm_delete": (
        "Delete **{name}** for good? Everyone using it loses it, and it cannot be brought back.",
        "确定永久删除 **{name}** 吗？所有正在使用它的人都会失去它，且无法恢复。",
    ),
    "train_delete_yes": ("Yes, delete it", "确定删除"),
    "train_delete_keep": ("Keep it", "保留"),
    # --- Inside: why this topic and not that one? (issue 29) ------------------------------------
    "explain_topic_label": ("Explain", "解释"),
    "rather_than_label": ("rather than", "而非"),
    "topic_answer": ("the answer", "答案"),
    "topic_any": ("any other topic", "任何其他主题"),
    "contrast_name": ("{cls} rather than {other}", "{cls}而非{other}"),
    "explaining_topic": (
        "Explaining **{cls}** ({p:.1%}), not the answer: red pushes toward {cls}, violet away from it.",
        "解释的是 **{cls}**（{p:.1%}），不是答案：红色推向{cls}，紫色推离它。",
    ),
    "explaining_contrast": (
        "Explaining **{cls}** rather than **{other}** (logit difference {d:+.2f}): red pushes toward {cls}, "
        "violet toward {other}.",
        "解释的是 **{cls}** 而非 **{other}**（logit 差 {d:+.2f}）：红色推向{cls}，紫色推向{other}。",
    ),
    "title_occlusion_contrast": (
        "Occlusion: drop in logit({cls}) − logit({other}) without each character",
        "遮挡：去掉每个字后 logit({cls}) − logit({other}) 的下降",
    ),
    "axis_logit_difference_drop": ("drop in logit difference", "logit 差的下降"),
    "title_reading_contrast": (
        "Reading the headline: logit({cls}) − logit({other}) after each character",
        "逐字阅读：读到每个字时的 logit({cls}) − logit({other})",
    ),
    "axis_logit_difference": ("logit difference", "logit 差"),
    "weights_textcnn_for": (
        "Winning n-grams (max-pool), all windows: their push toward {cls}",
        "胜出的 n 元组（最大池化），所有窗口：对{cls}的推动",
    ),
    "title_textcnn_for": ("N-gram contribution to {cls}, per character", "n 元组对{cls}的贡献（按字）"),
    "flip_to_line": (
        "**Smallest edit that makes it {cls}:** {edit} gives “{text}”, read as **{cls}** ({p:.0%}) instead of {was}.",
        "**让答案变成{cls}的最小改动**：{edit}，得到“{text}”，被判为 **{cls}**（{p:.0%}），而不是{was}。",
    ),
    "flip_to_none": (
        "**Smallest edit that makes it {cls}:** none of the {n} single-character edits tried makes it {cls}.",
        "**让答案变成{cls}的最小改动**：试过的 {n} 个单字改动都没有让答案变成{cls}。",
    ),
    "error_same_topics": (
        "“{topic}” rather than itself explains nothing: pick another topic to compare it with.",
        "“{topic}”与它自己相比说明不了什么：请另选一个主题来比较。",
    ),
    "cell_open_inside": (
        "Click a headline to look inside the model at it, explaining {what}.",
        "点击一条标题，即可在“模型内部”查看它，解释{what}。",
    ),
}


@lru_cache(maxsize=4096)
def convert(simplified, lang):
    """A Simplified Chinese string in the script and phrasing of lang (zh-TW, zh-HK)."""
    config = OPENCC_FROM_SIMPLIFIED.get(lang)
    return opencc_converter(config).convert(simplified) if config else simplified


def template(key, lang):
    english, simplified = TEXTS[key]
    return english if lang == "en" else convert(simplified, lang)


def text(key, lang="en", **fields):
    """The string for key in lang (a LANGUAGES code), its fields filled in."""
    return template(key, lang if lang in LANGUAGES else "en").format(**fields)


def language_for(tag):
    """The page language for a browser language tag or an Accept-Language header: zh-TW for
    Taiwan and Traditional script, zh-HK for Hong Kong and Macau, zh-CN for any other
    Chinese, English otherwise. The visitor's first preference decides."""
    first = (tag or "").split(",")[0].split(";")[0].strip().lower().replace("_", "-")
    if first in {code.lower() for code in LANGUAGES}:
        return next(code for code in LANGUAGES if code.lower() == first)
    parts = first.split("-")
    if parts[0] != "zh":
        return "en"
    if "hk" in parts or "mo" in parts:
        return "zh-HK"
    if "tw" in parts or "hant" in parts:
        return "zh-TW"
    return "zh-CN"


def class_name(name, lang="en"):
    """How the page names a THUCNews class: '体育 sports' in English (the API's form too),
    '体育' in Simplified, '體育' in Traditional Chinese; other names pass through."""
    if name not in CLASS_GLOSS:
        return name
    if lang == "en":
        return f"{CLASS_GLOSS[name]} {name}"
    return convert(CLASS_GLOSS[name], lang)
