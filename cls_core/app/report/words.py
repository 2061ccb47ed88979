"""The words of the report and the model card: key -> (English, Simplified Chinese),
Markdown with str.format fields. Traditional Chinese (zh-TW, zh-HK) is converted from the
Simplified with OpenCC, as every string of the page is (cls_core.app.i18n.convert).

They live here rather than in cls_core.app.i18n because they are long prose that only the
report and the card use; the page's own words (the Overview's button) stay in i18n.
"""

from cls_core.app.i18n import LANGUAGES, convert

WORDS = {
    # --- the frame ------------------------------------------------------------------------
    "title": (
        "headline-lens: what the models do, how well, and where they fail",
        "headline-lens：模型做什么、做得多好、在哪里出错",
    ),
    "built": (
        "Written by `{command}` from the shipped checkpoints and their records; each figure "
        "names the command that reproduces it. Interactive: hover a figure for its numbers.",
        "由 `{command}` 根据随附的模型检查点及其记录生成；每"
        "张图都注明了复现它的命令。图是可交互的：把鼠标移到图上可看数值。",
    ),
    "reproduce": ("Reproduce: `{command}`", "复现命令：`{command}`"),
    "contents": ("Contents", "目录"),
    "stale": ("**Warning:** {problem}", "**警告**：{problem}"),
    # --- 1. what and for whom ---------------------------------------------------------------
    "h_what": ("What the models do, and for whom", "模型做什么，为谁而做"),
    "what": (
        "Three models read a Chinese news headline and say which of ten topics it belongs to "
        "({classes}): a **BiLSTM with attention**, a **TextCNN** and a classical **TF-IDF + linear SVM**; "
        "the **ensemble** averages their probabilities. Every probability is calibrated, and every answer "
        "comes with a verdict: *sure*, or *unsure* with a reason.\n\n"
        "They are meant for people who learn, teach or compare text classification, and for anyone who "
        "wants to see *why* a model answers as it does: the demo shows what each model looks at, what "
        "changes its answer and how sure it is. They are not meant to sort today's news unattended "
        "(see *Limitations*).",
        "三个模型读一条中文新闻标题，判断它属于十个主题中的哪一个（{classes}）：**带注意力的 BiLSTM**、"
        "**TextCNN** 和经典的 **TF-IDF + 线性 SVM**；**集成**取三者概率的平均。每个概率都经过校准，"
        "每个回答都附有判断：*有把握*，或*没把握*并说明原因。\n\n"
        "它们面向学习、讲授或比较文本分类的人，以及想看清模型*为什么*这样回答的人：演示展示每个模型看了什么、"
        "什么会改变它的回答、它有多大把握。它们不适合无人看管地给今天的新闻分类（见“局限”）。",
    ),
    # --- 2. accuracy --------------------------------------------------------------------------
    "h_accuracy": ("Test accuracy", "测试集准确率"),
    "accuracy": (
        "On the {n:,} headlines of the published test split, trained on {train:,} headlines. The reference "
        "project's published figures (grey) used {reference_train:,} THUCNews training headlines, four times ours. "
        "Both networks beat the linear baseline: the BiLSTM by {rnn_gain:.2f} points, the TextCNN by {cnn_gain:.2f}.",
        "在公开测试集的 {n:,} 条标题上测得，训练用 {train:,} 条标题。参考项目公布的结果（灰色）用了 "
        "{reference_train:,} 条 THUCNews 训练标题，是我们的四倍。"
        "两个神经网络都胜过线性基线：BiLSTM 高 {rnn_gain:.2f} 个百分点，"
        "TextCNN 高 {cnn_gain:.2f} 个百分点。",
    ),
    "col_model": ("model", "模型"),
    "col_accuracy": ("test accuracy", "测试准确率"),
    "col_macro_f1": ("macro-F1", "宏平均 F1"),
    "col_ece": ("ECE after calibration (before)", "校准后 ECE（校准前）"),
    "col_parameters": ("parameters", "参数量"),
    # --- 3. per class and confusions -----------------------------------------------------------
    "h_classes": ("Per class, and what is mistaken for what", "各类别的表现，以及什么被错认成什么"),
    "classes": (
        "F1 per topic for each model. The matrix is that of the {model}: each row is a true topic, each cell the "
        "share of its headlines answered as the column's topic.",
        "每个模型在各主题上的 F1。混淆矩阵是{model}的：每行是真实主题，每格是该行标题被判为该列主题的比例。",
    ),
    "title_f1": ("F1 per topic", "各主题的 F1"),
    "title_confusion": (
        "Confusion matrix: {model} (share of each true topic)",
        "混淆矩阵：{model}（占每个真实主题的比例）",
    ),
    "axis_true": ("true topic", "真实主题"),
    "axis_predicted": ("answer", "回答"),
    "h_confusions": ("The most frequent confusions", "最常见的混淆"),
    "confusion_line": (
        "**{true} → {predicted}**: {count} headlines. For example:",
        "**{true} → {predicted}**：{count} 条标题。例如：",
    ),
    "confusion_example": ("{text} ({p:.0%} sure)", "{text}（把握 {p:.0%}）"),
    # --- 4. calibration and unsure -------------------------------------------------------------------
    "h_calibration": ('Calibration, and what "unsure" buys', "校准，以及“没把握”换来了什么"),
    "calibration": (
        "A calibrated model that says 80 % is right about 80 % of the time. The diagram bins the "
        "test answers of the {model} by confidence; the expected calibration error (ECE) is the gap, "
        "weighted by the bins' sizes: {ece:.2%} after calibration, {ece_before:.2%} before.",
        "校准良好的模型说 80% 时，大约 80% 的时候是对的。下图按置信度把{model}的测试答案分组；期望校准误差（ECE）"
        "是两者之差按组大小加权的平均：校准后 {ece:.2%}，校准前 {ece_before:.2%}。",
    ),
    "unsure": (
        "Each model says *unsure* below a threshold fitted on dev so that 90 % of dev headlines are answered. "
        "On the test split the {model} flags {flagged:.1%} of the headlines; it is right on "
        "{answered:.2%} of those it answers, against {all:.2%} overall, and on only {wrong_flagged:.0%} of "
        "those it flags. The curve shows the trade: answer fewer, be right more often.",
        "每个模型的置信度低于某个阈值时就说*没把握*；阈值在验证集上拟合，使验证集 90% 的标题得到回答。"
        "在测试集上{model}标出 {flagged:.1%} 的标题；它回答的标题中答对 {answered:.2%}（全部标题为 "
        "{all:.2%}），而它标出的标题只答对 {wrong_flagged:.0%}。曲线展示了取舍：回答得越少，答对得越多。",
    ),
    # --- 5. robustness ------------------------------------------------------------------------------
    "h_robustness": (
        "Robustness: other scripts, unseen characters, today's headlines",
        "稳健性：其他字形、没见过的字、今天的标题",
    ),
    "robustness": (
        "The test split as published, converted to Traditional script (Taiwan `s2twp`, Hong Kong "
        "`s2hk`), with 15 % of its characters replaced by one no model has seen (a stand-in for new "
        "words and names), and {today} headlines written by hand in today's style. Traditional script "
        "costs at most {worst_script:.2f} points: every model reads text through one normalisation "
        "(OpenCC `tw2sp`). Today's headlines cost {today_loss:.0f} to {today_loss_max:.0f} points.",
        "公开的测试集原样、转成繁体（台湾 `s2twp`、香港 `s2hk`）、把 15% 的字换成模型没见过的字（代表新词和新名字），"
        "以及 {today} 条按今天的风格手写的标题。繁体最多只损失 {worst_script:.2f} 个百分点：每个模型都先经过同一种"
        "规范化（OpenCC `tw2sp`）再读文本。今天的标题损失 {today_loss:.0f} 到 {today_loss_max:.0f} 个百分点。",
    ),
    "title_robustness": ("Accuracy under changes of the input", "输入变化时的准确率"),
    "variant_test": ("test", "测试集"),
    "variant_s2twp": ("Traditional (Taiwan)", "繁体（台湾）"),
    "variant_s2hk": ("Traditional (Hong Kong)", "繁体（香港）"),
    "variant_unseen15": ("15 % unseen characters", "15% 没见过的字"),
    "variant_today": ("today's headlines", "今天的标题"),
    # --- 6. slices ----------------------------------------------------------------------------------
    "h_slices": ("Where accuracy drops: length and unknown characters", "准确率在哪里下降：长度与未知字"),
    "slices": (
        "Accuracy by the length of the headline as read, and by the share of its characters a model never "
        "saw in training. Short headlines and those with many unknown characters give the models the "
        "least to go on: the {model} is right on {short:.1%} of the headlines of at most 12 characters and "
        "{long:.1%} of those of 25 or more, and on {unknown:.1%} of the {unknown_n} with more than 10 % "
        "unknown characters.",
        "按模型读到的标题长度，以及标题中模型训练时从未见过的字所占比例，分别统计准确率。短标题和未知字多的标题给模型的"
        "线索最少：{model}在不超过 12 个字的标题上答对 {short:.1%}，在 25 个字及以上的标题上答对 {long:.1%}，"
        "在未知字超过 10% 的 {unknown_n} 条标题上答对 {unknown:.1%}。",
    ),
    # --- 7. attention -------------------------------------------------------------------------------
    "h_attention": ("Does attention explain the prediction?", "注意力能解释预测吗？"),
    "attention": (
        "Rank agreement (Spearman ρ) per headline between the explanation methods, over {n:,} test "
        "headlines. For the BiLSTM, attention agrees with occlusion (what actually moves the answer "
        "when a character is hidden) at ρ = {att_occ:.2f} on average, less than integrated gradients "
        "do ({ig_occ:.2f}): attention explains the prediction only in part.",
        "在 {n:,} 条测试标题上，逐条计算各解释方法之间的秩相关（Spearman ρ）。对 BiLSTM，注意力与遮挡"
        "（遮住一个字时真正改变回答的东西）的平均相关为 ρ = {att_occ:.2f}，低于积分梯度与遮挡的 {ig_occ:.2f}："
        "注意力只能部分解释预测。",
    ),
    # --- 8. worked examples -------------------------------------------------------------------------
    "h_examples": ("Three worked examples", "三个详解示例"),
    "examples": (
        "Three test headlines chosen by rule (12 to 22 characters, in test-file order), as the {model} "
        "answers them: the first it gets right and is sure of, the first it gets wrong while sure, and "
        "the first it is unsure of. Each chart scales every method to its largest score; red pushes "
        "toward the answer.",
        "按规则选出的三条测试标题（12 到 22 个字，按测试文件顺序），看{model}怎么回答：第一条答对且有把握的、"
        "第一条有把握却答错的、第一条没把握的。每张图把每种方法按其最大值缩放；红色推向该回答。",
    ),
    "example_right": ("Right and sure", "答对且有把握"),
    "example_wrong": ("Wrong while sure", "有把握却答错"),
    "example_unsure": ("Unsure", "没把握"),
    "example_head": (
        "**{headline}** — true topic {truth}; the model answers {answer} ({p:.1%}).",
        "**{headline}** —— 真实主题{truth}；模型回答{answer}（{p:.1%}）。",
    ),
    # --- 9. experiments -----------------------------------------------------------------------------
    "h_experiments": ("The tutorials' claims, measured", "教程中的说法，实测"),
    "experiments": (
        "A shortened schedule, the same within each comparison ({train:,} training headlines, {epochs} "
        "epochs, seed {seed}): which recurrent cell, one direction or two, a fixed pad size against "
        "full-length packing, the batch size, and how the gradient fades along the headline.",
        "用缩短的训练方案，每组比较内相同（{train:,} 条训练标题、{epochs} 个轮次、随机种子 {seed}）："
        "哪种循环单元、单向还是双向、固定填充长度还是按实际长度打包、批大小，以及梯度沿标题如何衰减。",
    ),
    # --- 10. limitations ----------------------------------------------------------------------------
    "h_limits": ("Limitations, in plain words", "局限，直白地说"),
    "limits": (
        "- **Old news.** Every headline the models learnt from is from Sina News, 2005 to 2011. Topics, names "
        "and words that came later (smartphone brands, live-streaming sales, new diseases, new leaders) "
        "are unknown characters or unknown combinations to them.\n"
        "- **Little data.** They learnt from {train:,} headlines, a quarter of the published training split.\n"
        "- **Ten topics only.** A headline about anything else (weather, health, travel, cars) still gets one "
        "of the ten, most often the nearest in words.\n"
        "- **Finance and stocks overlap.** The two topics share their vocabulary; {fs} of the "
        "{errors} test mistakes of the {model} are between them.\n"
        "- **Today's headlines.** On {today} hand-written headlines in today's style the ensemble is right on "
        "{today_acc:.1%} (against {test_acc:.2%} on the test split) and says unsure on {today_unsure} of "
        "them. Some it gets wrong:\n{today_wrong}\n"
        "- **When it says unsure.** Fewer than 2 Chinese characters or mostly non-Chinese text "
        "(`not_chinese`), more than 30 % characters it never saw (`unknown_chars`), or a calibrated top "
        "probability below its threshold (`low_confidence`). An unsure answer is right only about half "
        'of the time: treat it as "ask a person".',
        "- **旧闻。** 模型学过的每条标题都来自 2005 到 2011"
        " 年的新浪新闻。之后才出现的话题、名字和词（手机品牌、直播带货、"
        "新的疾病、新的领导人）对它们来说是未知的字或未知的组合。\n"
        "- **数据少。** 它们只学了 {train:,} 条标题，是公开训练集的四分之一。\n"
        "- **只有十个主题。** 其他主题的标题（天气、健康、旅游"
        "、汽车）也会被分到十个主题之一，通常是用词最接近的那个。\n"
        "- **财经与股票重叠。** 这两个主题共享词汇；{model}的 {errors} 个测试错误中有 {fs} 个发生在二者之间。\n"
        "- **今天的标题。** 在 {today} 条按今天风格手写的标题上，集成模型答对 {today_acc:.1%}（测试集上为 "
        "{test_acc:.2%}），其中 {today_unsure} 条说没把握。答错的例子：\n{today_wrong}\n"
        "- **什么时候说没把握。** 中文字少于 2 个或大部分不是中文（`not_chinese`）、超过 30% 的字从未见过"
        "（`unknown_chars`），或校准后的最高概率低于阈值（`low_confidence`）。没把握的回答只有大约一半是对的："
        "把它当作“请人来看”。",
    ),
    "today_wrong": (
        "  - {text} — written as {truth}, answered {answer} ({p:.0%}{unsure})",
        "  - {text} —— 写作{truth}，回答{answer}（{p:.0%}{unsure}）",
    ),
    "unsure_mark": (", unsure", "，没把握"),
    # --- 11. reproduce ------------------------------------------------------------------------------
    "h_reproduce": ("How to reproduce", "如何复现"),
    "reproduce_all": (
        "Everything above comes from these commands. THUCNews comes from its public repository "
        "(`python -m cls_core.data fetch`); the NLPCC 2017 and Toutiao 2018 headlines are files of their "
        "own (`N`: NLPCC's train.tsv; `python -m cls_core.evaluation.outlets` reads both from "
        "`$CLS_SOURCES_DIR`, see the README). The full split is needed only to train and for the "
        "robustness figures:",
        "上面的一切都来自这些命令。THUCNews 取自其公开仓库（`python -m cls_core.data fetch`）；NLPCC 2017 "
        "和今日头条 2018 的标题是单独的文件（`N`：NLPCC 的 train.tsv；`python -m cls_core.evaluation.outlets` "
        "从 `$CLS_SOURCES_DIR` 读取二者，见 README）。只有训练和稳健性数字需要完整数据集：",
    ),
    # --- the model card (cls_core.app.report.model_card) -------------------------------------------
    "card_title": ("Model card: headline-lens topic classifiers", "模型卡：headline-lens 主题分类模型"),
    "card_generated": (
        "Written by `{command}` from the checkpoints' records (`checkpoints/*.metrics.json`, "
        "`ensemble.metrics.json`, `robustness.json`, `report-record.json`); a test fails when this "
        "card and the checkpoints disagree. Other language: {other}.",
        "由 `{command}` 根据模型检查点的记录（`checkpoints/*.metrics.json`、`ensemble.metrics.json`、"
        "`robustness.json`、`report-record.json`）生成；此卡与检查点不一致时测试会失败。其他语言：{other}。",
    ),
    "card_version": (
        "Version: the checkpoints {checkpoints} (sha256), measured on {date}. Every figure here is "
        "computed in fp32, as training and `{record}` measure; the app serves in bf16 where the "
        "processor computes it natively, and its figures may then differ by a few hundredths of a point "
        "(`python -m cls_core.bench --answers` compares the two).",
        "版本：模型检查点 {checkpoints}（sha256），测量于 {date}。这里的每个数字都以 fp32 计算，"
        "与训练和 `{record}` 的测量一致；应用在处理器原生支持 bf16 时以 bf16 提供服务，"
        "其数字可能相差百分之零点零几（`python -m cls_core.bench --answers` 对比二者）。",
    ),
    "card_h_details": ("Model details", "模型详情"),
    "card_details": (
        "Four classifiers of Chinese news headlines into ten topics, in PyTorch and scikit-learn, "
        "served by a Gradio demo:\n\n"
        "- **BiLSTM-attention** (`checkpoints/bilstm_att.pt`): each character read as its "
        "Tencent-initialised vector joined to a vector for the character bigram starting there; 2 layers × "
        "128 units per direction, additive attention masked to the real characters; distilled from "
        "out-of-fold linear-SVM probabilities.\n"
        "- **TextCNN** (`checkpoints/textcnn.pt`): the same input, windows of 2, 3 and 4 characters with "
        "256 filters each, max-pooled over the headline.\n"
        "- **Linear** (`checkpoints/linear.npz`): TF-IDF of character 1–2-grams and a linear SVM (C = 1).\n"
        "- **Ensemble**: the average of the three calibrated probability vectors.\n\n"
        "Every model reads text through one normalisation (Unicode NFKC, invisible characters dropped, "
        "OpenCC `tw2sp`), and its probabilities are calibrated by a temperature fitted on dev.",
        "四个把中文新闻标题分到十个主题的分类器，用 PyTorch 和 scikit-learn 实现，由 Gradio 演示提供服务：\n\n"
        "- **BiLSTM-attention**（`checkpoints/bilstm_att.pt`）：每个字读作它的向量（用腾讯向量初始化）拼接上以它开头的"
        "二字组的向量；每个方向 2 层 × 128 个单元，加性注意力只作用在真实的字上；从交叉预测的线性 SVM "
        "概率蒸馏而来。\n"
        "- **TextCNN**（`checkpoints/textcnn.pt`）：同样的输入，2、3、4 字的窗口各 256 个卷积核，在标题上最大池化。\n"
        "- **线性模型**（`checkpoints/linear.npz`）：字的 1–2 元组的 TF-IDF 加线性 SVM（C = 1）。\n"
        "- **集成**：三个校准后概率向量的平均。\n\n"
        "每个模型都先经过同一种规范化（Unicode NFKC、去掉不可见字符、OpenCC `tw2sp`）再读文本，"
        "概率由在验证集上拟合的温度校准。",
    ),
    "col_temperature": ("temperature", "温度"),
    "card_sources": (
        "What each model learned from (`--extra-train FILE,map=MAP,weight=W,per_label=N,marked`; "
        "the checkpoint records each file's sha256, the map, the weight and the lines used per class). "
        "Headlines of other outlets are mapped to the ten topics; a label that means two topics "
        "(NLPCC's finance: finance or stocks) is learnt as either. A *marked* source's headlines carry "
        "a marker while the model learns, so that what is that outlet's own (which topics it files "
        "most) does not tilt the answers for other headlines; no headline carries it when the model answers.",
        "每个模型学自哪些数据（`--extra-train FILE,map=MAP,weight=W,per_label=N,marked`；"
        "检查点记录了每个文件的 sha256、标签对应表、权重和每个类别用到的行数）。"
        "其他媒体的标题被对应到十个主题；一个标签对应两个主题时"
        "（NLPCC 的 finance：财经或股票），学成二者之一即可。*标记*的数据在训练时每条标题带一个标记，"
        "该媒体自身的特点（哪些主题发得多）便归于标记，不会让模型对其他标题的回答偏向它；"
        "模型回答时没有标题带此标记。",
    ),
    "col_source": ("data", "数据"),
    "marked": ("marked", "标记"),
    "col_headlines": ("headlines", "标题数"),
    "col_weight": ("weight", "权重"),
    "col_lines_per_class": ("lines per topic", "每个主题的行数"),
    "card_outlets": (
        "**On other outlets** (`{command}`): THUCNews test beside the *report* halves of two outlets "
        "the models were measured on once, after every choice was made on the *fit* halves: Toutiao "
        "(2018; never trained on; 8 channels mapped) and NLPCC 2017 dev (6 labels). A finance headline "
        "counts as right when the answer is finance or stocks. *answered*: share not flagged unsure; "
        "*right*: accuracy of those.",
        "**在其他媒体上**（`{command}`）：THUCNews 测试集，以"
        "及两家媒体的 *report* 半份（所有选择都在 *fit* 半份上做完后"
        "只测一次）：今日头条（2018 年；从未训练过；对应了 8 个频道）和 "
        "NLPCC 2017 验证集（6 个标签）。财经标题答财经或股票都算对。"
        "*回答*：未标为没把握的比例；*答对*：其中的准确率。",
    ),
    "col_set_test": ("THUCNews test", "THUCNews 测试集"),
    "col_set_toutiao": ("Toutiao (never trained on)", "今日头条（从未训练过）"),
    "col_set_nlpcc": ("NLPCC dev", "NLPCC 验证集"),
    "col_epochs": ("epochs", "轮次"),
    "col_train_seconds": ("training time", "训练时间"),
    "col_dev_accuracy": ("dev accuracy", "验证集准确率"),
    "card_h_use": ("Intended use and out-of-scope use", "预期用途与不适用的用途"),
    "card_use": (
        "**Intended:** teaching and comparing text classification; looking inside a model's decision "
        "(attention, integrated gradients, occlusion, counterfactual edits); a baseline for Chinese "
        "headline topics of the same period and style.\n\n"
        "**Out of scope:** sorting, filtering or moderating today's news without a person checking; any "
        "decision about people; text that is not a news headline (long articles, social media posts, "
        "questions); topics other than the ten.",
        "**预期用途：** 讲授和比较文本分类；查看模型的决策（注意力、积分梯度、遮挡、反事实改写）；作为同一时期、"
        "同一风格的中文标题主题分类的基线。\n\n"
        "**不适用：** 无人核查地对今天的新闻分类、过滤或审核；任何关于人的决定；不是新闻标题的文本（长文章、"
        "社交媒体帖子、问题）；十个主题以外的主题。",
    ),
    "card_h_training": ("Training data and its provenance", "训练数据及其来源"),
    "card_training": (
        "THUCNews (Tsinghua University NLP lab): news filtered from the Sina News RSS channels of "
        "2005 to 2011. The headline split of the public project `649453932/Chinese-Text-Classification-Pytorch` "
        "(`THUCNews/data`): **{train:,}** training headlines (the first 45,000 of its 180,000; sha256 "
        "`{train_sha}`), {dev:,} dev and {test:,} test headlines, ten of THUCNews's fourteen "
        "categories, balanced. About 42 test "
        "headlines also occur in the training file (duplicates in the published data). Character vectors: "
        "Tencent AI Lab embeddings as extracted by the same project (4,762 characters × 200). Training "
        "data and embeddings are never committed; the test split ships in `data/demo/` (checked by sha256).",
        "THUCNews（清华大学自然语言处理实验室）：从新浪新闻 2005 到 2011 年的 RSS 频道中筛选的新闻。使用公开项目 "
        "`649453932/Chinese-Text-Classification-Pytorch`（`THUCNews/data`）的标题划分：**{train:,}** 条训练标题"
        "（其 180,000 条中的前 45,000 条；sha256 `{train_sha}`）"
        "、{dev:,} 条验证和 {test:,} 条测试标题，取 THUCNews 十四个类别中的十个，"
        "各类数量相同。约 42 条测试标题也出现在训练文件中（公开数据中的重复）。字向量：同一项目提取的腾讯 AI Lab "
        "向量（4,762 个字 × 200 维）。训练数据和向量从不提交到仓库；测试集随仓库放在 `data/demo/`（用 sha256 校验）。",
    ),
    "card_h_evaluation": ("Evaluation data and figures", "评估数据与结果"),
    "card_evaluation": (
        "The {test:,} headlines of the published test split (`data/demo/test.txt`), never used for a "
        "choice (every choice was made on dev). Figures as the checkpoints record them; reproduce "
        "with `python -m cls_core.evaluate --checkpoint FILE` (the ensemble: `{ensemble}`).",
        "公开测试集的 {test:,} 条标题（`data/demo/test.txt`），从不用来做选择（所有选择都在验证集上做）。"
        "数字取自检查点的记录；复现：`python -m cls_core.evaluate --checkpoint FILE`（集成：`{ensemble}`）。",
    ),
    "card_per_class": ("F1 per topic on the test split (`{command}`):", "测试集上各主题的 F1（`{command}`）："),
    "card_h_calibration": ("Calibration", "校准"),
    "card_calibration": (
        "Probabilities are divided by a temperature fitted on dev. Expected calibration error (ECE, "
        "15 bins) on the test split, and the threshold below which each model says *unsure* (fitted "
        "on dev to answer 90 % of it; `{command}`):",
        "概率除以在验证集上拟合的温度。测试集上的期望校准误差（ECE，15 个区间），以及每个模型低于它就说*没把握*的"
        "阈值（在验证集上拟合，使 90% 得到回答；`{command}`）：",
    ),
    "col_threshold": ("unsure below", "低于此值没把握"),
    "col_flagged": ("flagged unsure", "标为没把握"),
    "col_answered": ("accuracy of the answered", "回答部分的准确率"),
    "col_accuracy_flagged": ("accuracy of the flagged", "没把握部分的准确率"),
    "card_h_robustness": ("Robustness", "稳健性"),
    "card_robustness": (
        "Test accuracy with the input changed (`{command}`): converted to Traditional script, 15 % of the "
        "characters replaced by an unseen one, and {today} hand-written headlines in today's style "
        "(`data/today/headlines.txt`).",
        "输入改变后的测试准确率（`{command}`）：转成繁体、15% 的字换成没见过的字，以及 {today} 条按今天风格"
        "手写的标题（`data/today/headlines.txt`）。",
    ),
    "card_h_limits": ("Limitations and risks", "局限与风险"),
    "card_limits": (
        "- Trained on news of 2005–2011: topics that did not exist then (smartphones and apps, "
        "live-streaming sales, COVID-19, new leaders and companies) are read through unknown characters "
        "and old associations; on today's-style headlines the ensemble is right on {today_acc:.1%} "
        "against {test_acc:.2%} on the test split.\n"
        "- Only {train:,} training headlines, a quarter of the published split.\n"
        "- Ten topics only: anything else is forced into one of them.\n"
        "- Finance and stocks share their vocabulary: {fs} of the ensemble's {errors} test mistakes are "
        "between them. Treat the two as one topic where the difference matters.\n"
        "- Unsure answers (about {flagged:.0%} of the test split) are right only about half of the time; "
        "text that is mostly not Chinese is always flagged.\n"
        "- Attention is not an explanation: it agrees with occlusion less than integrated gradients do.\n"
        "- Sina's editorial categories carry its editors' choices; the models inherit them.",
        "- 用 2005–2011 年的新闻训练：之后才出现的话题（智能手机和应用、直播带货、新冠、新的领导人和公司）只能通过"
        "未知的字和旧的联想来读；在今天风格的标题上集成模型答对 {today_acc:.1%}，测试集上为 {test_acc:.2%}。\n"
        "- 只有 {train:,} 条训练标题，是公开训练集的四分之一。\n"
        "- 只有十个主题：其他内容都会被硬分到其中之一。\n"
        "- 财经和股票共享词汇：集成模型的 {errors} 个测试错误中有"
        " {fs} 个在二者之间。在需要区分的场合，把二者当作一个主题。\n"
        "- 没把握的回答（约占测试集的 {flagged:.0%}）只有大约一半是对的；大部分不是中文的文本总被标为没把握。\n"
        "- 注意力不是解释：它与遮挡的一致程度不如积分梯度。\n"
        "- 新浪的栏目分类带有编辑的选择；模型继承了这些选择。",
    ),
    "card_h_licences": ("Licences of the data and the embeddings", "数据与向量的许可"),
    "card_licences": (
        "As their sources state them, as far as we could read them:\n\n"
        "- **THUCNews**: published by the Tsinghua University NLP lab with its THUCTC toolkit "
        "(`http://thuctc.thunlp.org/`); we could not read a licence text for the corpus from its "
        "source here. The news itself comes from Sina News. Use it for research, and check the source's "
        "terms before anything else.\n"
        "- **The headline split** and the extracted Tencent vectors: the repository "
        "`649453932/Chinese-Text-Classification-Pytorch`, whose `LICENSE` file is the MIT licence "
        "(Copyright (c) 2019 huwenxing).\n"
        "- **Tencent AI Lab embeddings**: their page (`https://ai.tencent.com/ailab/nlp/en/embedding.html`) "
        "describes them for downstream tasks and further research; we found no licence statement on it.\n"
        "- This repository ships only the test split (`data/demo/`) and models trained on the data; "
        "neither the training split nor the embeddings.",
        "按来源的说明，就我们能读到的而言：\n\n"
        "- **THUCNews**：由清华大学自然语言处理实验室随 THUCTC 工具包发布（`http://thuctc.thunlp.org/`）；"
        "我们在这里无法从来源读到该语料的许可文本。新闻本身来自新浪新闻。请用于研究，其他用途请先查看来源的条款。\n"
        "- **标题划分**及提取出的腾讯向量：来自仓库 `649453932/Chinese-Text-Classification-Pytorch`，其 `LICENSE` "
        "文件为 MIT 许可（Copyright (c) 2019 huwenxing）。\n"
        "- **腾讯 AI Lab 向量**：其页面（`https://ai.tencent.com/ailab/nlp/en/embedding.html`）说明可用于下游任务和"
        "进一步研究；我们在该页面上没有找到许可声明。\n"
        "- 本仓库只随附测试集（`data/demo/`）和在数据上训练出的模型；不含训练集，也不含向量。",
    ),
    "card_h_reproduce": ("How to reproduce", "如何复现"),
}


def say(key, lang="en", **fields):
    """The words for key in lang (a cls_core.app.i18n.LANGUAGES code), fields filled in."""
    english, simplified = WORDS[key]
    lang = lang if lang in LANGUAGES else "en"
    return (english if lang == "en" else convert(simplified, lang)).format(**fields)
