"""A parcel's codes: an unguessable token, and a short code that catches typing slips."""

from __future__ import annotations

import base64
import random
import re

import pytest

from kitlog.services.parcel_codes import (
    ALPHABET,
    check_symbol,
    format_short_code,
    is_valid,
    new_short_code,
    new_token,
    normalise_short_code,
)

_RANDOM = random.Random(20201207)  # the same sample in every test worker
_BODIES = ["".join(_RANDOM.choice(ALPHABET) for _ in range(8)) for _ in range(300)]
SAMPLE = [body + check_symbol(body) for body in _BODIES + ["22222222", "ZZZZ2222"]]


def test_the_alphabet_has_no_look_alikes():
    assert len(ALPHABET) == len(set(ALPHABET)) == 30
    assert not set("01OILU") & set(ALPHABET)


def test_a_short_code_is_eight_symbols_and_a_check_symbol():
    for code in SAMPLE + [new_short_code() for _ in range(300)]:
        assert len(code) == 9 and set(code) <= set(ALPHABET)
        assert is_valid(code)
        assert check_symbol(code[:8]) == code[8]


@pytest.mark.parametrize("code", SAMPLE[:60])
def test_every_single_wrong_symbol_is_detected(code):
    for position in range(9):
        for symbol in ALPHABET:
            if symbol != code[position]:
                typo = code[:position] + symbol + code[position + 1 :]
                assert normalise_short_code(typo) is None, (code, typo)


def test_every_adjacent_swap_is_detected():
    for code in SAMPLE:
        for i in range(8):
            if code[i] != code[i + 1]:
                swapped = code[:i] + code[i + 1] + code[i] + code[i + 2 :]
                assert normalise_short_code(swapped) is None, (code, swapped)


def _code_with(position: int, a: str, b: str) -> str:
    """A valid code whose symbols at `position` and `position + 1` are a and b."""
    body = list("3456789A")
    body[position] = a
    if position < 7:
        body[position + 1] = b
        return "".join(body) + check_symbol("".join(body))
    for first in ALPHABET:  # b is the check symbol: find the body that gives it
        body[0] = first
        if check_symbol("".join(body)) == b:
            return "".join(body) + b
    raise AssertionError("every check symbol is reachable")


def test_every_adjacent_swap_of_every_pair_of_symbols_is_detected_everywhere():
    """Exhaustive over symbol pairs and positions: Luhn mod 30 would miss 2↔Z here."""
    for position in range(8):
        for a in ALPHABET:
            for b in ALPHABET:
                if a == b:
                    continue
                code = _code_with(position, a, b)
                assert is_valid(code) and code[position : position + 2] == a + b
                swapped = code[:position] + b + a + code[position + 2 :]
                assert not is_valid(swapped), (code, swapped)


def test_a_typed_code_may_be_lower_case_spaced_or_hyphenated():
    code = SAMPLE[0]
    shown = format_short_code(code)
    assert re.fullmatch(r"[A-Z2-9]{3}-[A-Z2-9]{3}-[A-Z2-9]{3}", shown)
    for typed in (shown, shown.lower(), shown.replace("-", " "), f"  {code.lower()} "):
        assert normalise_short_code(typed) == code


@pytest.mark.parametrize("text", ["", "ABC", "ABCDEFGHJK", "0BCDEFGHJ", "ABC_DEF_GHJ", "ÄBCDEFGHJ"])
def test_what_is_not_nine_symbols_of_the_alphabet_is_no_short_code(text):
    assert normalise_short_code(text) is None


def test_a_token_holds_80_random_bits_and_is_url_safe():
    tokens = {new_token() for _ in range(20_000)}
    assert len(tokens) == 20_000
    for token in list(tokens)[:100]:
        assert re.fullmatch(r"[A-Z2-7]{16}", token)
        assert len(base64.b32decode(token + "=" * (-len(token) % 8))) * 8 >= 80


def test_short_codes_are_random():
    assert len({new_short_code() for _ in range(5000)}) == 5000
