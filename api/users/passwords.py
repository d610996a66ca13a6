"""The password rule: at least 10 characters, not a common password, not easy to guess.

Common passwords come from zxcvbn's bundled frequency list (30,000 leaked passwords) plus
a short list of those common in China that it lacks; "easy to guess" is zxcvbn's estimate
(score below 2: fewer than 10^6 guesses), told the user's name and the service's words.
Nothing is looked up online.
"""

from __future__ import annotations

from functools import cache

from zxcvbn import zxcvbn
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from api.errors import InvalidBodyError

__all__ = ["MAX_PASSWORD_CHARS", "MIN_PASSWORD_CHARS", "check_password", "password_problem"]

MIN_PASSWORD_CHARS = 10
MAX_PASSWORD_CHARS = 200
_JUDGED_CHARS = 72
_MIN_SCORE = 2
#: common in China and missing from zxcvbn's list (pinyin, 520/1314 numerology, keyboard runs)
_COMMON_ZH = (
    "woaini1314", "woaini520", "woaini5201314", "5201314520", "1314520520", "5201314woaini",
    "aini1314520", "iloveyou1314", "woaiwojia123", "zhang123456", "wang123456", "li123456789",
    "liu123456789", "chen123456", "a1234567890", "qq1234567890", "qwe1234567", "1qaz2wsx3edc",
    "1qaz@wsx3edc", "zaq12wsxcde3", "abc1234567", "abcd123456", "aa123456789", "147258369a",
    "1472583690", "1234567890a", "mima123456", "mimamima123", "admin123456", "admin@1234",
    "root123456", "beijing2008", "beijing123", "zhongguo123", "minzheng123", "mzgis12345",
    "p@ssw0rd123", "password@123", "Aa123456789", "Abc@123456",
)  # fmt: skip
_SERVICE_WORDS = ("mzgis", "minzheng", "民政", "beijing", "jiezhuang", "lianjian")


@cache
def _common() -> frozenset[str]:
    listed = FREQUENCY_LISTS["passwords"]
    return frozenset({*(p.lower() for p in listed), *(p.lower() for p in _COMMON_ZH)})


def password_problem(password: str, *, username: str = "", display_name: str = "") -> str | None:
    """Why ``password`` is refused (bilingual), or ``None`` when it may be used."""
    if len(password) < MIN_PASSWORD_CHARS:
        return (
            f"must have at least {MIN_PASSWORD_CHARS} characters"
            f" / 密码至少需要 {MIN_PASSWORD_CHARS} 个字符"
        )
    if len(password) > MAX_PASSWORD_CHARS:
        most = MAX_PASSWORD_CHARS
        return f"must have at most {most} characters / 密码最多 {most} 个字符"
    lowered = password.lower()
    if lowered in _common() or (username and username.lower() in lowered):
        return "is a common password or holds the user name / 密码过于常见或包含用户名"
    hints = [h for h in (username, display_name, *_SERVICE_WORDS) if h]
    # zxcvbn refuses to judge more than 72 characters; a longer password is judged by its start
    if zxcvbn(password[:_JUDGED_CHARS], user_inputs=hints)["score"] < _MIN_SCORE:
        return "is too easy to guess / 密码太容易被猜到"
    return None


def check_password(password: str, *, username: str = "", display_name: str = "") -> None:
    """Raise :class:`InvalidBodyError` (422, field ``password``) for a refused password;
    the password itself is never shown."""
    reason = password_problem(password, username=username, display_name=display_name)
    if reason is not None:
        en, _, zh = reason.partition(" / ")
        raise InvalidBodyError("password", "***", en, zh)
