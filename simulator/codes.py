"""National identifier standards, as the simulator writes them.

The pipeline has its own implementation (it never imports the simulator); the two are checked
against each other only through the data, which is the point.
"""
from __future__ import annotations

# GB 32100-2015: the 31 characters of a USCC, in the order that gives their values 0..30.
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_VALUE = {c: i for i, c in enumerate(USCC_CHARS)}
USCC_WEIGHTS = [pow(3, i, 31) for i in range(17)]

# GB 11714-1997: body characters 0-9 then A=10 .. Z=35.
ORG_VALUE = {c: i for i, c in enumerate("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")}
ORG_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2]

# GB 11643-1999 citizen ID number (ISO 7064 MOD 11-2).
ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
ID_CHECK = "10X98765432"


def uscc_check_char(first17: str) -> str:
    total = sum(USCC_VALUE[c] * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_CHARS[(31 - total % 31) % 31]


def is_valid_uscc(code: str) -> bool:
    if len(code) != 18 or any(c not in USCC_VALUE for c in code):
        return False
    return uscc_check_char(code[:17]) == code[17]


def org_check_char(body8: str) -> str:
    c = 11 - sum(ORG_VALUE[ch] * w for ch, w in zip(body8, ORG_WEIGHTS, strict=True)) % 11
    return "X" if c == 10 else "0" if c == 11 else str(c)


def is_valid_org_code(code: str) -> bool:
    code = code.replace("-", "")
    if len(code) != 9 or any(c not in ORG_VALUE for c in code[:8]):
        return False
    return org_check_char(code[:8]) == code[8]


def make_uscc(authority: str, category: str, division: str, org_code: str) -> str:
    first17 = authority + category + division + org_code
    return first17 + uscc_check_char(first17)


def regno_check_digit(first14: str) -> str:
    """Check digit of a 15-digit 工商注册号 (GB/T 17710, ISO 7064 MOD 11,10)."""
    p = 10
    for ch in first14:
        s = (p + int(ch)) % 10 or 10
        p = (2 * s) % 11
    return str((11 - p) % 10)


def id_number_check(first17: str) -> str:
    return ID_CHECK[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


_FULL_WIDTH = {ord(c): ord(c) + 0xFEE0 for c in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-"}


def to_full_width(text: str) -> str:
    return text.translate(_FULL_WIDTH)


def break_check(code: str, replacement_index: int) -> str:
    """A one-character typo that makes the GB 32100 check fail (a different valid-looking char)."""
    last = code[17]
    alt = USCC_CHARS[(USCC_VALUE[last] + 1 + replacement_index % 29) % 31]
    return code[:17] + alt
