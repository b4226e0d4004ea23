"""The reply address: it names a ticket and a recipient, and cannot be made without SECRET_KEY."""

from __future__ import annotations

from mail.inbound import tokens


def test_the_address_round_trips(settings):
    settings.INBOUND_ADDRESS = "support@atm-consulting.fr"
    address = tokens.reply_address(123, 42)
    local, domain = address.split("@")
    assert domain == "atm-consulting.fr"
    assert local.startswith("support+0000123.42.")
    assert len(local) <= 64
    assert tokens.read_tag(local.split("+", 1)[1]) == (123, 42)
    # Servers that fold the case of local parts do not break it.
    assert tokens.read_tag(local.split("+", 1)[1].upper()) == (123, 42)


def test_a_changed_ticket_user_or_signature_is_refused(settings):
    settings.INBOUND_ADDRESS = "support@atm-consulting.fr"
    tag = tokens.reply_tag(123, 42)
    number, user, signature = tag.split(".")
    assert tokens.read_tag(f"0000124.{user}.{signature}") is None
    assert tokens.read_tag(f"{number}.43.{signature}") is None
    flipped = ("0" if signature[0] != "0" else "1") + signature[1:]
    assert tokens.read_tag(f"{number}.{user}.{flipped}") is None
    for junk in ["", "123", "123.42", "a.b.c", f"{tag}.x", "1" * 200]:
        assert tokens.read_tag(junk) is None


def test_another_secret_key_makes_other_signatures(settings):
    settings.INBOUND_ADDRESS = "support@atm-consulting.fr"
    tag = tokens.reply_tag(123, 42)
    settings.SECRET_KEY = "une-autre-clé-" + "x" * 50
    assert tokens.read_tag(tag) is None


def test_no_reply_address_while_e_mail_in_is_off(settings):
    settings.INBOUND_ADDRESS = ""
    assert tokens.reply_address(123, 42) == ""
