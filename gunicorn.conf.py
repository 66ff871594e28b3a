"""gunicorn's settings for the shop; gunicorn reads this file from the folder it starts in
(``scripts/serve`` names it too)."""

#: the access log keeps paths, never the values of searches, codes or card numbers
logger_class = "core.accesslog.RedactingLogger"
