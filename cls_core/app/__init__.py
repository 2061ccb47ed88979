"""The app layer: what the Gradio page needs, testable without a browser: models loaded for
the app, the tab views, figures and the page's words. The only layer that imports gradio or plotly."""
