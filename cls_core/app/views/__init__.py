"""What each tab of the page shows, without the page: plain functions from a question (a
headline, a model, the visitor's language) to plain values, tables and plotly figures,
worded in that language. They take the app's shared state (cls_core.app.service.Demo) as
their first argument and know nothing of Gradio, so the tabs (cls_core.app.tabs) only wire
widgets to them and everything a visitor can trigger is testable without a browser.

    predict      the Predict tab: answers side by side, a random test headline, batch files
    inside       Inside the model: weights, occlusion, reading, hidden states; one look inside
    deeper       Inside's "look deeper": integrated gradients, agreement, counterfactuals
    units        Inside's hidden units of the BiLSTM
    map          the Map of the test split
    evaluate     Evaluate: reports, confusion, slices, disagreements, attention agreement
    overview     Overview: the data, the models, their training curves
    experiments  Experiments: the tutorials' claims measured

The heavy ones pass the gates of cls_core.app.concurrency here, and nowhere else.
"""
