"""The app layer: what the Gradio page needs, testable without a browser, then the page
itself (tabs/). The only layer that imports gradio, plotly or pandas.

    service      Demo: what all visitors share, made of the parts below
    registry     ModelRegistry: the shipped models and your own (models/NAME/MODEL), their names,
                 groups, ensembles, locks and shapes; folders added and removed while serving
    served_data  the test splits served: THUCNews's (the data directory's, else data/demo/'s,
                 verified), and each models folder's test.tsv
    evaluations  Evaluations: the test-split reports computed so far, each computed once
    concurrency  every limit on how much runs at once: the gates and the workers
    inputs       input limits, cleaning a headline, CSV cells, the downloads folder
    links        links that open one view of the page
    batch        a file of headlines in, a CSV of predictions out
    api          the /predict, /inspect, /evaluate and /flag answers
    corrections  visitors' corrections: topics in any language, the rate limit, what is kept
    views/       what each tab shows (plain values, tables, figures)
    deep         the look-deeper views of one model; figures, deep_figures: plotly figures
    wording      how answers are worded, and UserError; i18n: every word, in four languages
    serving      process settings for serving many small requests
    address      where to listen: a flag, else the host's environment, else localhost:7860
    allocator    glibc malloc's settings for a long-running server, made before any thread starts
    recent       the results of visitors' questions, kept to redraw their views
    visitor      one visitor's state: what they asked, as keys
    report/      the report to hand out (one HTML file) and the model card, from the shipped records
    tabs/        the page: one module per tab, each drawing its views from the visitor's state
"""
