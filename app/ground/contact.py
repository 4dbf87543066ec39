"""A customer's name and e-mail address as the chat accepts them, from whichever source.

The embedding site's signed token (app/chat/site_token.py) and the pre-chat form
(app/chat/prechat.py) both hand the app a name and an e-mail address; both go through these
checks, so the console shows only values of a sane shape and size. A failed check says what
was wrong, in words a customer can act on.
"""

from __future__ import annotations

import re
import unicodedata

NAME_MAX = 80
EMAIL_MAX = 254  # the longest address SMTP carries (RFC 5321 path limit)
# One @, a local part without spaces or brackets, a domain of dotted labels ending in letters.
_EMAIL_SHAPE = re.compile(
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+"
    r"[A-Za-z]{2,63}"
)


class ContactError(ValueError):
    """A name or e-mail address that is not accepted; the message says why."""


def clean_name(raw: str) -> str:
    """A person's name: trimmed, inner whitespace collapsed, 1 to NAME_MAX characters, no
    control characters or markup brackets."""
    name = " ".join(raw.split())
    if not name:
        raise ContactError("Please type your name.")
    if len(name) > NAME_MAX:
        raise ContactError(f"That name is too long: at most {NAME_MAX} characters, please.")
    if any(unicodedata.category(ch).startswith("C") or ch in "<>" for ch in name):
        raise ContactError("A name can't contain control characters or < and >.")
    if "@" in name:
        raise ContactError("That looks like an e-mail address; please type your name.")
    return name


def clean_email(raw: str) -> str:
    """An e-mail address of the usual shape (name@example.com), at most EMAIL_MAX
    characters; the domain is lower-cased."""
    email = raw.strip()
    if not email:
        raise ContactError("Please type your e-mail address.")
    if len(email) > EMAIL_MAX:
        raise ContactError(f"That e-mail address is too long: at most {EMAIL_MAX} characters.")
    if not _EMAIL_SHAPE.fullmatch(email):
        raise ContactError("That doesn't look like an e-mail address (like name@example.com).")
    local, domain = email.rsplit("@", 1)
    return f"{local}@{domain.lower()}"
