"""The report to hand out and the model card, written from what ships: the checkpoints'
records, the shipped caches and checkpoints/report-record.json (cls_core.app.report.record).
No model runs and no torch is imported to write them, except `--record`, which measures
that record (cls_core.app.report.measure).

    words       the report's and the card's words, in English and Simplified Chinese
    record      the shipped records, read and checked against the checkpoints
    measure     report-record.json: what only running the models gives
    story       the report's sections in one language: prose, figures and their commands
    page        one self-contained HTML file of a story (plotly.js inside)
    model_card  MODEL_CARD.md from the same records
    cli         python -m cls_core.report

It lies in the app layer (not above it) because the Overview tab offers the report as a
download; it imports no gradio.
"""
