"""The customer center's dashboards: the figures, and the SVG charts drawn from them."""
