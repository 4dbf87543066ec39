"""Front doors: the CLI, the web app, evaluation and the operators' endpoints.

They assemble the domain packages; nothing below imports them.
"""
