"""The customer center's dashboards: the figures, their tables (CSV and JSON), and the
pages that chart them."""
