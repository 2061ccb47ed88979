"""The page's Gradio layer, one module per tab: each builds its widgets, draws its views from
the visitor's state (cls_core.app.visitor) and wires its events; the views' content comes
from cls_core.app.views. `page.build_page` puts them together with the API endpoints."""
