"""E-mail normalization as DuckDB SQL expressions.

Canonical form: lower-case ``local@domain`` with whitespace removed, full-width characters folded,
provider aliases and common domain typos replaced, ``+tag`` sub-addresses dropped and, for Gmail,
dots removed from the local part. QQ numeric addresses must be a plausible QQ number.

The SQL is built in layers (see :func:`normalize_sql`); each column comes from one small function.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import pyarrow as pa

from linker.normalize import junk
from linker.normalize.junk import re_full, re_replace_all, split_part, sql_in, sql_str

#: Domains that are the same mailbox as another domain.
PROVIDER_ALIASES: Final[Mapping[str, str]] = {
    "googlemail.com": "gmail.com",
    "me.com": "icloud.com",
    "mac.com": "icloud.com",
}

#: Big providers whose misspellings are corrected. Numeric names only get top-level-domain fixes,
#: because a one-digit change of ``163`` or ``126`` is another, possibly real, domain.
PROVIDERS: Final = (
    "qq.com", "163.com", "126.com", "139.com", "189.cn", "sina.com", "sohu.com", "yeah.net",
    "foxmail.com", "aliyun.com", "gmail.com", "hotmail.com", "outlook.com", "yahoo.com", "icloud.com",
)

_TLD_TYPOS: Final[Mapping[str, tuple[str, ...]]] = {
    "com": ("con", "cm", "co", "comm", "om", "cpm", "vom", "xom", "c0m", "cim", "coom", "ocm", "cmo", "colm"),
    "net": ("ner", "nt", "nte", "met", "bet", "nett", "ent"),
    "cn": ("cm", "nc"),
}
_EXTRA_TYPOS: Final[Mapping[str, str]] = {
    "gnail.com": "gmail.com", "gmaik.com": "gmail.com", "hitmail.com": "hotmail.com",
    "hotnail.com": "hotmail.com", "outlool.com": "outlook.com", "yahooo.com": "yahoo.com",
    "qqcom": "qq.com", "163com": "163.com",
}
#: Near-misses that are real, different mail domains and must not be "fixed".
_NOT_TYPOS: Final = frozenset({"mail.com", "cloud.com", "live.com", "gail.com"})
_MIN_NAME_TYPO_LEN: Final = 5


def _name_typos(name: str) -> set[str]:
    """Return deletions (not of the first letter), adjacent swaps and doubled letters of ``name``."""
    typos = {name[:i] + name[i + 1:] for i in range(1, len(name))}
    typos |= {name[:i] + name[i + 1] + name[i] + name[i + 2:] for i in range(len(name) - 1)}
    typos |= {name[:i] + name[i] + name[i:] for i in range(len(name))}
    return typos - {name}


def _domain_typos(domain: str) -> set[str]:
    """Return one-mistake misspellings of a provider ``domain``: in its name or in its TLD."""
    name, _, tld = domain.rpartition(".")
    names = _name_typos(name) if name.isalpha() and len(name) >= _MIN_NAME_TYPO_LEN else set()
    return {f"{n}.{tld}" for n in names} | {f"{name}.{t}" for t in _TLD_TYPOS.get(tld, ())}


def domain_fixes() -> dict[str, str]:
    """Return ``{misspelled or alias domain: canonical domain}``.

    Returns
    -------
    dict of str to str
        Built from :data:`PROVIDER_ALIASES`, generated typos of :data:`PROVIDERS` and a short list of
        extra typos; real domains in ``_NOT_TYPOS`` and the providers themselves are never rewritten.

    Examples
    --------
    >>> fixes = domain_fixes()
    >>> fixes["qq.con"], fixes["gmial.com"], fixes["googlemail.com"]
    ('qq.com', 'gmail.com', 'gmail.com')
    """
    fixes = {typo: domain for domain in PROVIDERS for typo in _domain_typos(domain)}
    fixes.update(_EXTRA_TYPOS)
    fixes.update(PROVIDER_ALIASES)
    return {k: v for k, v in fixes.items() if k not in _NOT_TYPOS and k not in PROVIDERS}


_DOMAIN_FIXES: Final = domain_fixes()
_LOCAL_RE: Final = r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
_LABEL_RE: Final = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_DOMAIN_RE: Final = rf"(?:{_LABEL_RE}\.)+(?:[a-z]{{2,63}}|xn--[a-z0-9-]+)"
_MAX_LOCAL: Final = 64
_NOISE_RE: Final = r"\s+|^mailto:|^<|>$|\.+$"
_MAX_ADDRESS: Final = 254


def fast_sql(raw: str) -> str:
    """Return SQL that is true for a well-formed address in any case with nothing to clean.

    Such an address only needs lower-casing; its syntax needs no further checks.
    """
    return (f"({re_full(raw, f'(?i:{_LOCAL_RE}@{_DOMAIN_RE})')} AND length({raw}) <= {_MAX_ADDRESS} "
            f"AND strpos({raw}, '@') <= {_MAX_LOCAL + 1})")


def clean_sql(text: str, fast: str) -> str:
    """Return SQL lower-casing ``text`` and dropping whitespace, ``mailto:``, ``<>`` and trailing dots."""
    stripped = re_replace_all(f"lower({text})", _NOISE_RE)
    return f"CASE WHEN {fast} THEN lower({text}) ELSE {stripped} END"


def syntax_reason_sql(clean: str, local: str, domain: str, fast: str) -> str:
    """Return SQL for the invalid reason of an address's syntax, NULL when well-formed.

    ``domain`` is the domain after typo fixes (``qqcom`` is fixed, not invalid). Fast spellings
    are well-formed.
    """
    return (f"CASE WHEN {fast} THEN NULL "
            f"WHEN NOT {re_full(clean, '[^@]+@[^@]+')} THEN {sql_str(junk.BAD_FORMAT)} "
            f"WHEN length({clean}) > {_MAX_ADDRESS} OR length({local}) > {_MAX_LOCAL} "
            f"THEN {sql_str(junk.TOO_LONG)} "
            f"WHEN NOT {re_full(local, _LOCAL_RE)} THEN {sql_str(junk.BAD_FORMAT)} "
            f"WHEN NOT {re_full(domain, _DOMAIN_RE)} THEN {sql_str(junk.BAD_DOMAIN)} END")


def domain_fix_table() -> pa.Table:
    """Return :func:`domain_fixes` as an Arrow table ``(_fx_from, _fx_to)`` to register and join."""
    return pa.table({"_fx_from": pa.array(list(_DOMAIN_FIXES), pa.string()),
                     "_fx_to": pa.array(list(_DOMAIN_FIXES.values()), pa.string())})


def canonical_local_sql(local: str, domain: str) -> str:
    """Return SQL dropping the ``+tag`` of ``local`` and, for Gmail, its dots."""
    untagged = split_part(local, "+", 1)
    return f"CASE WHEN {domain} = 'gmail.com' THEN replace({untagged}, '.', '') ELSE {untagged} END"


def unverified_sql(local: str, domain: str) -> str:
    """Return SQL that is true for a well-formed address that cannot exist as written: a QQ address whose number
    is not 5-11 digits without a leading zero. It stays usable (kind ``email_unverified``): an exact agreement on
    it is still evidence; validity is not a veto."""
    return (f"({domain} = 'qq.com' AND {re_full(local, '[0-9]+')} "
            f"AND NOT {re_full(local, '[1-9][0-9]{4,10}')})")


def invalid_sql(syntax: str, local: str) -> str:
    """Return SQL for the final invalid reason (syntax, empty local after the tag)."""
    return (f"CASE WHEN {syntax} IS NOT NULL THEN {syntax} WHEN {local} = '' THEN {sql_str(junk.BAD_FORMAT)} END")


def junk_sql(local: str, domain: str) -> str:
    """Return SQL that is ``'test_address'`` for test, no-reply, example and disposable addresses."""
    digit_junk = junk.digit_junk_sql(local, junk.EMAIL_MIN_DIGITS, junk.EMAIL_MIN_DIGITS)
    tests = " OR ".join([
        sql_in(local, junk.TEST_LOCAL_PARTS),
        f"({local} LIKE 'test%' AND {re_full(local, 'test[0-9]*')})",
        sql_in(domain, junk.TEST_DOMAINS),
        f"(left({local}, 1) BETWEEN '0' AND '9' AND {digit_junk} IS NOT NULL)",
        f"(length({local}) = 1 AND {re_full(domain, '[a-z0-9][.][a-z]+')})",
    ])
    return f"CASE WHEN {tests} THEN {sql_str(junk.TEST_ADDRESS)} END"


def normalize_sql(rows: str, keep: str, fixes: str) -> str:
    """Return a SELECT normalizing the e-mail rows of relation ``rows``.

    Parameters
    ----------
    rows : str
        SQL relation with the source columns plus ``_n_t`` (folded raw text) and ``_n_fast``.
    keep : str
        Comma-separated columns of ``rows`` to pass through.
    fixes : str
        Name of the registered :func:`domain_fix_table`.

    Returns
    -------
    str
        SQL selecting ``keep`` plus ``_n_cand`` (canonical address), ``_n_kind``, ``_n_invalid`` and
        ``_n_junk`` (reason codes or NULL).
    """
    parsed = junk.nest(rows, [
        [("_e_c", clean_sql("_n_t", "_n_fast"))],
        [("_e_l", split_part("_e_c", "@", 1)), ("_e_d", split_part("_e_c", "@", 2))],
    ])
    fixed = (f"(SELECT p.*, coalesce(fx._fx_to, p._e_d) AS _e_fd FROM ({parsed}) p "
             f"LEFT JOIN {fixes} fx ON fx._fx_from = p._e_d)")
    canonical = junk.nest(fixed, [[("_e_syn", syntax_reason_sql("_e_c", "_e_l", "_e_fd", "_n_fast")),
                                   ("_e_cl", canonical_local_sql("_e_l", "_e_fd"))]])
    return (f"SELECT {keep}, CASE WHEN _e_syn IS NULL THEN _e_cl || '@' || _e_fd END AS _n_cand, "
            f"CASE WHEN _e_syn IS NOT NULL THEN NULL WHEN {unverified_sql('_e_cl', '_e_fd')} "
            f"THEN 'email_unverified' ELSE 'email' END AS _n_kind, "
            f"{invalid_sql('_e_syn', '_e_cl')} AS _n_invalid, "
            f"{junk_sql('_e_cl', '_e_fd')} AS _n_junk FROM ({canonical}) e")
