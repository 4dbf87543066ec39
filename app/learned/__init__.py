"""Triage learned from examples: small classifier heads on the shared MiniLM sentence encoder.

Complaint, sentiment and intent are each a multinomial logistic regression over the 384-d
embedding the index already computes, trained by `supportbot triage train` from the company's
own examples, calibrated, thresholded on a development split and stored versioned under
`$SUPPORTBOT_HOME/models/`. Domain layer: imports only `app.ground` (and numpy/torch).
"""
