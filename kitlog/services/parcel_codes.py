"""A parcel's two codes: the token in its QR code, and a short code for typing.

The token is 80 random bits, base32: unguessable, and safe in a URL
(`<BASE_URL>/p/<token>`). The short code is 8 random symbols from an alphabet without
look-alikes (no 0/O, 1/I/L, U/V) and one check symbol, stored as 9 characters and shown
as ABC-DEF-GHJ.

Why not Luhn mod N: over an alphabet of 30 symbols, Luhn mod N misses one adjacent swap
(the first and the last symbol, "2Z" ↔ "Z2"): no check over the integers mod an even
number catches every swap. The check symbol here is Verhoeff's scheme over the dihedral
group D15, which has exactly 30 elements; with the permutation σ below (anti-symmetric:
x·σ(y) ≠ y·σ(x) whenever x ≠ y), it detects every single wrong symbol and every swap of
two adjacent symbols.
"""

from __future__ import annotations

import base64
import secrets

ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
BODY_LENGTH = 8
CODE_LENGTH = BODY_LENGTH + 1
TOKEN_BITS = 80
_INDEX = {symbol: i for i, symbol in enumerate(ALPHABET)}

# D15 (order 30): element r^k s^f is the number f*15 + k; 15 rotations then 15 reflections.
_N = 15


def _multiply(a: int, b: int) -> int:
    r1, f1 = a % _N, a // _N
    r2, f2 = b % _N, b // _N
    return (r1 + (r2 if f1 == 0 else -r2)) % _N + _N * (f1 ^ f2)


def _sigma(a: int) -> int:
    """Rotations r^k ↦ r^(14-k); reflections stay: anti-symmetric on D15."""
    return (_N - 1 - a) % _N if a < _N else a


_PRODUCT = [[_multiply(a, b) for b in range(2 * _N)] for a in range(2 * _N)]
# σ^i for every position of a code, the rightmost (the check symbol) being position 0
_POWERS: list[list[int]] = [list(range(2 * _N))]
for _ in range(CODE_LENGTH):
    _POWERS.append([_sigma(x) for x in _POWERS[-1]])


def _product(values: list[int], first_position: int) -> int:
    """σ^p(v_rightmost) · σ^(p+1)(v_next) · …, starting at position `first_position`."""
    total = 0  # the identity
    for offset, value in enumerate(reversed(values)):
        total = _PRODUCT[total][_POWERS[first_position + offset][value]]
    return total


def check_symbol(body: str) -> str:
    """The check symbol that makes body + symbol a valid short code."""
    values = [_INDEX[symbol] for symbol in body]
    rest = _product(values, 1)
    for candidate in range(2 * _N):  # the check symbol sits at position 0, where σ^0 = id
        if _PRODUCT[candidate][rest] == 0:
            return ALPHABET[candidate]
    raise AssertionError("D15 always has an inverse")  # pragma: no cover


def is_valid(code: str) -> bool:
    """Is this (normalised, 9-symbol) code's check symbol right?"""
    if len(code) != CODE_LENGTH or any(symbol not in _INDEX for symbol in code):
        return False
    return _product([_INDEX[symbol] for symbol in code], 0) == 0


def new_short_code() -> str:
    """8 random symbols and their check symbol (about 39 bits: for typing, not secrecy)."""
    number = secrets.randbelow(len(ALPHABET) ** BODY_LENGTH)  # one draw, not eight
    symbols = []
    for _ in range(BODY_LENGTH):
        number, digit = divmod(number, len(ALPHABET))
        symbols.append(ALPHABET[digit])
    body = "".join(symbols)
    return body + check_symbol(body)


def new_token() -> str:
    """80 random bits, base32 upper case without padding: 16 URL-safe characters."""
    return base64.b32encode(secrets.token_bytes(TOKEN_BITS // 8)).decode("ascii").rstrip("=")


def clean_symbols(text: str) -> str:
    """Upper case, without spaces and hyphens (what a person types or reads aloud)."""
    return "".join(ch for ch in (text or "").upper() if ch not in " -\t\u00a0")


def looks_like_short_code(text: str) -> bool:
    """Nine symbols of the alphabet, whatever the check symbol says."""
    symbols = clean_symbols(text)
    return len(symbols) == CODE_LENGTH and all(symbol in _INDEX for symbol in symbols)


def normalise_short_code(text: str) -> str | None:
    """The stored form of a typed short code, or None when it is not a valid one."""
    symbols = clean_symbols(text)
    return symbols if is_valid(symbols) else None


def format_short_code(code: str) -> str:
    """ABCDEFGHJ → ABC-DEF-GHJ."""
    return "-".join(code[i : i + 3] for i in range(0, len(code), 3))
