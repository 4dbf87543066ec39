"""Actions: the bot looks things up in the company's own systems (order status, RMA status,
warranty) over HTTP, as declared in `DATA_DIR/actions.toml`.

- `config.py` reads and checks the declarations against the settings (allowlisted hosts,
  auth secrets): an action whose host is not allowlisted stays off;
- `values.py` says which identifier values may go into a URL (each kind's pattern, matched in
  full) and builds the URL: the value percent-encoded, the host checked again;
- `match.py` decides from a turn's triage whether an action runs, or must ask for its
  identifier first;
- `call.py` makes the call (explicit timeout, no redirects, bounded body) and picks the
  fields an answer may show;
- `runner.py` puts them together for the conversation service, logs every call (without the
  identifier) and reports it to the metrics.

Nothing here knows a web framework or the database: the conversation service
(app/conversation) asks the runner through its `Actions` port.
"""
