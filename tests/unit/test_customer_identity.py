"""The site's signed customer token, the contact checks and the pre-chat form's steps."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest

from app.chat.prechat import ASK_NAME, FormState, take_answer
from app.chat.site_token import (
    TOKEN_MAX_CHARS,
    SiteCustomer,
    TokenRefused,
    make_site_token,
    read_site_token,
)
from app.ground.contact import ContactError, clean_email, clean_name

SECRET = "a secret shared with the website"
NOW = datetime(2026, 12, 8, 12, 0, tzinfo=UTC)
ANA = SiteCustomer(site_id="cust-4711", name="Ana Silva", email="ana@Example.COM")


def read(token: str, *, secret: str = SECRET, now: datetime = NOW) -> SiteCustomer:
    return read_site_token(token, secret, now=now, max_age_s=3600)


def token_for(customer: SiteCustomer = ANA, minutes: int = 10) -> str:
    return make_site_token(customer, SECRET, expires=NOW + timedelta(minutes=minutes))


def test_a_good_token_names_the_customer_with_checked_details() -> None:
    customer = read(token_for())
    assert customer.site_id == "cust-4711"
    assert customer.name == "Ana Silva"
    assert customer.email == "ana@example.com"  # the domain is lower-cased


def test_the_same_site_customer_gets_the_same_chat_identity_on_every_device() -> None:
    first = read(token_for())
    later = read(token_for(SiteCustomer("cust-4711", None, None), minutes=50))
    other = read(token_for(SiteCustomer("cust-4712", None, None)))
    assert first.identifier == later.identifier
    assert first.identifier != other.identifier
    assert "4711" not in first.identifier  # the site's id stays out of the chat's identifier


def test_the_recipe_in_the_docs_makes_tokens_the_app_accepts() -> None:
    import hashlib
    import hmac

    payload = json.dumps({"sub": "42", "name": "Bo", "exp": int(NOW.timestamp()) + 600})
    body = base64.urlsafe_b64encode(payload.encode()).rstrip(b"=").decode()
    digest = hmac.new(SECRET.encode(), body.encode(), hashlib.sha256).digest()
    signature = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    assert read(f"{body}.{signature}") == SiteCustomer("42", "Bo", None)


def test_an_expired_token_is_refused() -> None:
    token = token_for(minutes=10)
    with pytest.raises(TokenRefused, match="expired"):
        read(token, now=NOW + timedelta(minutes=11))


def test_a_token_living_longer_than_allowed_is_refused() -> None:
    with pytest.raises(TokenRefused, match="ahead"):
        read(token_for(minutes=61))


def test_a_token_signed_with_another_secret_is_refused() -> None:
    forged = make_site_token(ANA, "the attacker's guess", expires=NOW + timedelta(minutes=5))
    with pytest.raises(TokenRefused, match="bad signature"):
        read(forged)


def test_a_tampered_payload_is_refused() -> None:
    body, signature = token_for().split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    claims["sub"] = "cust-1"  # somebody else's account
    tampered = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    with pytest.raises(TokenRefused, match="bad signature"):
        read(f"{tampered}.{signature}")


def test_an_oversized_token_is_refused_before_any_work() -> None:
    huge = SiteCustomer("x", "A" * 80, None)
    token = token_for(huge) + "A" * TOKEN_MAX_CHARS
    with pytest.raises(TokenRefused, match="longer than"):
        read(token)


@pytest.mark.parametrize(
    "token, reason",
    [
        ("", "not a token"),
        ("no-dot-here", "not a token"),
        ("abc.", "not a token"),
    ],
)
def test_malformed_tokens_are_refused(token: str, reason: str) -> None:
    with pytest.raises(TokenRefused, match=reason):
        read(token)


def test_tokens_are_refused_while_no_secret_is_configured() -> None:
    with pytest.raises(TokenRefused, match="site_token_secret"):
        read(token_for(), secret="")


def test_signed_but_unusable_claims_are_refused_without_echoing_them() -> None:
    def signed(claims: dict[str, object]) -> str:
        import hashlib
        import hmac

        body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
        digest = hmac.new(SECRET.encode(), body.encode(), hashlib.sha256).digest()
        return f"{body}.{base64.urlsafe_b64encode(digest).rstrip(b'=').decode()}"

    exp = int(NOW.timestamp()) + 60
    with pytest.raises(TokenRefused, match="no expiry"):
        read(signed({"sub": "1"}))
    with pytest.raises(TokenRefused, match="sub must be"):
        read(signed({"sub": "has space", "exp": exp}))
    with pytest.raises(TokenRefused, match="unusable") as refused:
        read(signed({"sub": "1", "exp": exp, "email": "ana at example"}))
    assert "ana at example" not in str(refused.value)  # refusals are logged: no personal data
    with pytest.raises(TokenRefused, match="JSON object"):
        read(signed([1, 2]))  # type: ignore[arg-type]


def test_names_and_addresses_are_checked_with_a_reason() -> None:
    assert clean_name("  Ana   Silva ") == "Ana Silva"
    assert clean_email(" bo@Mail.Example.org ") == "bo@mail.example.org"
    for bad, reason in [
        ("", "type your name"),
        ("A" * 81, "too long"),
        ("<script>", "< and >"),
        ("bell\x07", "control"),
        ("ana@example.com", "e-mail address"),
    ]:
        with pytest.raises(ContactError, match=reason):
            clean_name(bad)
    for bad in [
        "ana",
        "ana@",
        "@example.com",
        "ana@example",
        "a b@example.com",
        "x" * 250 + "@e.io",
    ]:
        with pytest.raises(ContactError):
            clean_email(bad)


def test_the_pre_chat_form_asks_name_then_email_and_says_what_was_wrong() -> None:
    step = take_answer(FormState("name"), "How do I reset my AP-1?")
    assert step.state == FormState("name") and ASK_NAME in step.reply  # a question, asked again
    step = take_answer(FormState("name"), "Ana Silva")
    assert step.state == FormState("email", "Ana Silva") and "Ana Silva" in step.reply
    step = take_answer(step.state, "ana at example")
    assert step.state == FormState("email", "Ana Silva")
    assert "doesn't look like an e-mail address" in step.reply
    step = take_answer(step.state, "ana@example.com")
    assert step.state is None  # complete
    assert (step.name, step.email) == ("Ana Silva", "ana@example.com")
    assert "How can I help" in step.reply
