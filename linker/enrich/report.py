"""A one-file HTML report of a run, for people who would rather look than read.

It opens with what a reader wants first: how many accounts were linked, ambiguous and rejected and why, the hub
identifiers, the needs found, the rows quarantined. Then charts (PNG, embedded, bars with their values): link
decisions and their match weights, identifier degrees against the hub threshold,
cluster sizes, how events reached customers, need signals and their scores, spend by need domain. Tables: the
run's enrichment settings (last), the rules that fired, the top unmapped categories. Only the run database is
read, through its engine (DuckDB or Spark): every figure is a small summary computed there; sections whose tables
are missing are left out.
"""

from __future__ import annotations

import base64
import html
import io
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import duckdb

from linker.engine import Engine, as_engine

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2em auto;max-width:1100px;color:#222}
h1{font-size:1.6em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ddd}
.grid{display:flex;flex-wrap:wrap;gap:1em}.grid figure{margin:0;flex:1 1 480px}
img{max-width:100%}table{border-collapse:collapse;font-size:.9em}td,th{padding:.25em .6em;border-bottom:1px solid #eee;
text-align:left}td.n{text-align:right}.muted{color:#777}
.kpis{display:flex;flex-wrap:wrap;gap:.8em;margin:1em 0}.kpi{border:1px solid #ddd;border-radius:6px;padding:.6em 1em;
min-width:9em}.kpi b{display:block;font-size:1.5em}.kpi span{color:#555;font-size:.85em}
"""

CURRENCIES = {"CN": "¥", "HK": "HK$", "TW": "NT$", "US": "$", "GB": "£", "JP": "¥", "SG": "S$"}
"""Currency sign of amounts by the run's region (amounts are read as the sources write them, in one currency)."""


@dataclass(frozen=True)
class ReportContext:
    """What the report shows beside the run database: the decision thresholds and the currency of amounts."""

    link_threshold: float | None = None
    review_threshold: float | None = None
    currency: str = ""

    @classmethod
    def of(cls, config: Any) -> ReportContext:
        """From a run's :class:`linker.config.Config`."""
        return cls(config.resolution.link_threshold, config.resolution.review_threshold,
                   CURRENCIES.get(config.region, ""))

    def money(self, value: float) -> str:
        """An amount for people: currency sign, thousands separators, no cents.

        >>> ReportContext(currency="¥").money(667577.2599999997)
        '¥667,577'
        """
        return f"{self.currency}{value:,.0f}"


def render_report(con: Engine | duckdb.DuckDBPyConnection, context: ReportContext | None = None) -> str:
    """The HTML text of the report of the run in ``con`` (an engine, or a DuckDB run database; tables only, and a
    note, without matplotlib)."""
    con = as_engine(con)
    global _context
    _context = context or ReportContext()
    sections = []
    if not _charts_available():
        sections.append("<p class='muted'>Charts need matplotlib (<code>pip install matplotlib</code>); "
                        "tables only.</p>")
    info = _rows(con, "SELECT key, value FROM enrichment_info ORDER BY key") if con.exists("enrichment_info") else []
    settings = dict(info)
    title = f"linker run report — as of {html.escape(settings.get('as_of', '?'))}"
    if con.exists("links"):
        sections.append(_section("Summary", _summary(con)))
    builders: list[tuple[str, tuple[str, ...], Callable[[Engine], list[str]]]] = [
        ("Links", ("links",), _links),
        ("Match model", ("match_weights",), _match_weights),
        ("Identifiers and hubs", ("identifier_degrees",), _hubs),
        ("Clusters", ("clusters",), _clusters),
        ("Events attributed to customers", ("customer_events",), _attribution),
        ("Need signals", ("signals",), _signals),
        ("Engagement baselines", ("need_baselines",), _baselines),
        ("Spend by domain", ("domain_spend", "taxonomy_domains"), _domains),
        ("Category mapping", ("categories",), _matching),
        ("Unmapped categories", ("unmapped_categories",), _unmapped),
    ]
    for name, needs, build in builders:
        if all(con.exists(t) for t in needs):
            sections.append(_section(name, build(con)))
    sections.append(_section("Run settings", [_table(["setting", "value"], info)] if info else []))
    return (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{title}</title>"
            f"<style>{_CSS}</style></head><body><h1>{title}</h1>{''.join(sections)}</body></html>\n")


_context = ReportContext()
"""The context of the report being rendered (set by :func:`render_report`)."""


def _summary(con: Engine) -> list[str]:
    """The figures a reader looks for first, then the reasons behind the decisions and the quarantine."""
    accounts = _rows(con, "SELECT count(*) FROM accounts")[0][0] if con.exists("accounts") else 0
    by_account = dict(_rows(con, """
        SELECT decision, count(*) FROM (
            SELECT account_id, CASE WHEN bool_or(decision = 'linked') THEN 'linked'
                                    WHEN bool_or(decision = 'ambiguous') THEN 'ambiguous' ELSE 'rejected' END
                                    AS decision
            FROM links GROUP BY account_id) GROUP BY 1"""))
    kpis = [("linked", f"{by_account.get('linked', 0):,}",
             f"accounts linked to a customer ({by_account.get('linked', 0) / accounts:.1%} of {accounts:,})"
             if accounts else "accounts linked to a customer"),
            ("ambiguous", f"{by_account.get('ambiguous', 0):,}", "accounts ambiguous (never aggregated)"),
            ("rejected", f"{by_account.get('rejected', 0):,}", "accounts whose candidates were all rejected")]
    if con.exists("hubs"):
        kpis.append(("hubs", f"{_rows(con, 'SELECT count(*) FROM hubs')[0][0]:,}",
                     "hub identifiers (held by too many owners: never link)"))
    if con.exists("signals"):
        kpis.append(("needs", f"{_rows(con, 'SELECT count(DISTINCT customer_id) FROM signals')[0][0]:,}",
                     "customers with a need signal"))
    if con.exists("quarantine"):
        kpis.append(("quarantined", f"{_rows(con, 'SELECT count(*) FROM quarantine')[0][0]:,}",
                     "input rows quarantined (see quarantine/)"))
    cards = "".join(f"<div class='kpi' id='kpi-{key}'><b>{value}</b><span>{html.escape(text)}</span></div>"
                    for key, value, text in kpis)
    parts = [f"<div class='kpis'>{cards}</div>"]
    reasons = _rows(con, r"""
        SELECT decision, regexp_replace(regexp_replace(reason, '^customer \S+ is', 'another customer is'),
                                        '^\d+ customers share', 'several customers share') AS why, count(*)
        FROM links WHERE decision <> 'linked' GROUP BY 1, 2 ORDER BY 1, 3 DESC, 2""")
    parts.append(_table(["decision", "why (candidate pairs)", "pairs"], reasons))
    if con.exists("signals"):
        parts.append(_table(["need", "customers"], _rows(
            con, "SELECT need, count(DISTINCT customer_id) FROM signals GROUP BY 1 ORDER BY 2 DESC, 1")))
    if con.exists("quarantine"):
        parts.append(_table(["table", "quarantine reason", "rows"], _rows(
            con, "SELECT table_name, reason, count(*) FROM quarantine GROUP BY 1, 2 ORDER BY 1, 3 DESC, 2")))
    return parts


def _rows(con: Engine, sql: str) -> list[tuple[Any, ...]]:
    return con.rows(sql)


def _section(title: str, parts: list[str]) -> str:
    body = "".join(parts) if parts else "<p class='muted'>Nothing to show.</p>"
    return f"<h2>{html.escape(title)}</h2><div class='grid'>{body}</div>"


def _table(header: list[str], rows: list[tuple[Any, ...]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td class='n'>{v:,}</td>" if isinstance(v, int) and not isinstance(v, bool)
                         else f"<td>{html.escape('' if v is None else str(v))}</td>" for v in row) + "</tr>"
        for row in rows)
    return f"<figure><table><tr>{head}</tr>{body}</table></figure>"


def _charts_available() -> bool:
    try:
        import matplotlib
    except ImportError:
        return False
    matplotlib.use("Agg")
    return True


def _figure(draw: Callable[[Any], None], caption: str, size: tuple[float, float] = (6, 3.4)) -> str:
    if not _charts_available():
        return ""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=size, dpi=100)
    try:
        draw(ax)
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
    finally:
        plt.close(fig)
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return (f"<figure><img alt='{html.escape(caption)}' src='data:image/png;base64,{data}'>"
            f"<figcaption class='muted'>{html.escape(caption)}</figcaption></figure>")


def _bars(ax: Any, labels: list[str], values: list[float], *, horizontal: bool = False, color: str = "#4c72b0",
          fmt: Callable[[float], str] = lambda v: f"{v:,.0f}") -> None:
    bars = ax.barh(labels[::-1], values[::-1], color=color) if horizontal else ax.bar(labels, values, color=color)
    ax.bar_label(bars, labels=[fmt(v) for v in (values[::-1] if horizontal else values)], fontsize=7, padding=2)
    ax.margins(x=0.15) if horizontal else ax.margins(y=0.12)
    ax.spines[["top", "right"]].set_visible(False)


def match_weight_histogram(con: Engine | duckdb.DuckDBPyConnection, bins: int = 50
                           ) -> tuple[list[float], dict[str, list[int]]]:
    """The match weights of ``links`` counted in ``bins`` equal bins between the lowest and the highest, per
    decision: (bin edges, {decision: count per bin}), counted in SQL (there is a row per candidate pair: 9M at
    5M customers, too many to bring into Python). Bins are closed on the left, the last one on both sides,
    as in ``numpy.histogram``; with a single weight, one bin around it. No weight: ([], {}).
    """
    con = as_engine(con)
    low, high = con.rows("SELECT min(match_weight), max(match_weight) FROM links")[0]
    if low is None:
        return [], {}
    low, high = float(low), float(high)
    if high <= low:
        low, high, bins = low - 0.5, high + 0.5, 1
    edges = [low + (high - low) * i / bins for i in range(bins)] + [high]
    counts: dict[str, list[int]] = {}
    # the bin from the arithmetic, moved by one where rounding put a weight beside an edge (edges[k] is the
    # left edge of bin k - 1: lists count from 1)
    # the edges are a small table (bin, left, right), their floats written in full (repr): both engines compare
    # with the same values
    width = (high - low) / bins
    bounds = ", ".join(f"({k}, CAST({edges[k]!r} AS DOUBLE), CAST({edges[k + 1]!r} AS DOUBLE))" for k in range(bins))
    for decision, i, n in con.rows(f"""
            WITH b AS (SELECT decision, match_weight AS w,
                              least(greatest(CAST(floor((match_weight - CAST({low!r} AS DOUBLE))
                                                        / CAST({width!r} AS DOUBLE)) AS INTEGER), 0), {bins - 1}) AS k
                       FROM links WHERE match_weight IS NOT NULL),
                 e AS (SELECT * FROM (VALUES {bounds}) AS e(k, lo, hi)),
                 binned AS (SELECT b.decision, CASE WHEN b.k > 0 AND b.w < e.lo THEN b.k - 1
                                                    WHEN b.k < {bins - 1} AND b.w >= e.hi THEN b.k + 1
                                                    ELSE b.k END AS bin
                            FROM b JOIN e ON e.k = b.k)
            SELECT decision, bin, count(*) FROM binned GROUP BY decision, bin"""):
        counts.setdefault(decision, [0] * bins)[i] += n
    return edges, counts


def _links(con: Engine) -> list[str]:
    counts = _rows(con, "SELECT decision, count(*) FROM links GROUP BY 1 ORDER BY 1")
    edges, binned = match_weight_histogram(con)
    parts = [_figure(lambda ax: _bars(ax, [d for d, _ in counts], [n for _, n in counts]),
                     "Candidate pairs by decision (ambiguous links are never aggregated)")]

    def hist(ax: Any) -> None:
        colors = {"linked": "#55a868", "ambiguous": "#dd8452", "rejected": "#c44e52"}
        centers = [(a + b) / 2 for a, b in zip(edges, edges[1:])]
        for decision in ("rejected", "ambiguous", "linked"):
            if decision in binned:
                ax.hist(centers, bins=edges, weights=binned[decision], alpha=0.7, label=decision,
                        color=colors[decision])
        ax.set_xlabel("match weight (bits)")
        ax.set_yscale("log")
        for name, threshold, style in (("link", _context.link_threshold, "-"),
                                       ("review", _context.review_threshold, "--")):
            if threshold is not None and 0 < threshold < 1:   # where a sole candidate reaches the threshold
                weight = math.log2(threshold / (1 - threshold))
                ax.axvline(weight, color="#333", ls=style, lw=1, label=f"{name} threshold ({threshold:g})")
        if ax.get_legend_handles_labels()[0]:
            ax.legend()
    if binned:
        parts.append(_figure(hist, "Match weights of candidate pairs by decision; vertical lines: the weight at "
                                   "which an account's only candidate reaches the link and review thresholds "
                                   "(with several candidates, the owner probability decides)"))
    return parts


def _match_weights(con: Engine) -> list[str]:
    """The weight of every comparison level, as Splink's match-weights chart: what each kind of evidence is worth
    in this data."""
    rows = _rows(con, "SELECT comparison, level, weight, m, u FROM match_weights")
    labels = [f"{c} · {lv}" if c != "prior" else "prior" for c, lv, _, _, _ in rows]
    weights = [float(w) for _, _, w, _, _ in rows]

    def draw(ax: Any) -> None:
        colors = ["#777777" if c == "prior" else "#55a868" if w >= 0 else "#c44e52"
                  for (c, *_), w in zip(rows, weights)]
        ax.barh(labels[::-1], weights[::-1], color=colors[::-1])
        ax.axvline(0, color="#333", lw=0.8)
        ax.set_xlabel("weight (bits): log2(m / u)")
        ax.tick_params(axis="y", labelsize=7)
        ax.spines[["top", "right"]].set_visible(False)
    chart = _figure(draw, "Weight of every comparison level, learned from this run's data", (7, 0.17 * len(rows) + 1))
    table = _table(["comparison", "level", "weight (bits)", "m", "u"],
                   [(c, lv, f"{w:+.2f}", f"{m:.3g}", f"{u:.3g}") for c, lv, w, m, u in rows])
    return [chart, table]


def _hubs(con: Engine) -> list[str]:
    rows = _rows(con, """SELECT id_type, customers + accounts AS degree, count(*), any_value(hub_threshold)
                         FROM identifier_degrees GROUP BY 1, 2 ORDER BY 1, 2""")
    types = sorted({r[0] for r in rows})

    def draw(ax: Any) -> None:
        for t in types:
            pts = [(d, n) for tt, d, n, _ in rows if tt == t]
            ax.plot([d for d, _ in pts], [n for _, n in pts], marker="o", ms=3, label=t)
            threshold = next(h for tt, _, _, h in rows if tt == t)
            ax.axvline(threshold + 0.5, ls="--", lw=0.8, color=ax.lines[-1].get_color())
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("owners holding the value (customers + accounts)")
        ax.set_ylabel("values")
        if ax.get_legend_handles_labels()[0]:
            ax.legend()
    hubs = _rows(con, "SELECT id_type, count(*) FILTER (WHERE is_hub), max(customers + accounts) "
                      "FROM identifier_degrees GROUP BY 1 ORDER BY 1")
    return [_figure(draw, "Identifier degrees; dashed lines: hub thresholds (values beyond never link)"),
            _table(["type", "hubs", "largest degree"], hubs)]


def _clusters(con: Engine) -> list[str]:
    rows = _rows(con, """SELECT least(cluster_size, 11) AS size, count(DISTINCT cluster_id) FROM clusters
                         GROUP BY 1 ORDER BY 1""")
    return [_figure(lambda ax: (_bars(ax, [str(s) if s < 11 else ">10" for s, _ in rows], [n for _, n in rows]),
                                ax.set_yscale("log"), ax.set_xlabel("members (customers + accounts)")),
                    "Clusters by size")]


def _attribution(con: Engine) -> list[str]:
    rows = _rows(con, "SELECT attribution || ' / ' || kind, count(*) FROM customer_events GROUP BY 1 ORDER BY 2 DESC, 1")
    parts = [_figure(lambda ax: _bars(ax, [r[0] for r in rows], [r[1] for r in rows], horizontal=True),
                     "Events attributed to customers, by route and kind")]
    if con.exists("device_attribution"):
        dev = _rows(con, "SELECT status, count(*), sum(events) FROM device_attribution GROUP BY 1 ORDER BY 2 DESC, 1")
        parts.append(_table(["device-only browsing: device status", "devices", "events"], dev))
    return parts


def _signals(con: Engine) -> list[str]:
    rows = _rows(con, "SELECT need, count(*), round(avg(score), 3) FROM signals GROUP BY 1 ORDER BY 2 DESC, 1")
    scores = _rows(con, "SELECT score FROM signals")
    parts = [_figure(lambda ax: _bars(ax, [r[0] for r in rows], [r[1] for r in rows], horizontal=True,
                                      color="#8172b3"), "Customers per need signal")]
    if scores:
        parts.append(_figure(lambda ax: (ax.hist([s for (s,) in scores], bins=20, color="#8172b3"),
                                         ax.set_xlabel("engagement score (lift over the population)")), "Scores of fired signals"))
    top = _rows(con, """SELECT need, found_by, coalesce(rule, '') AS rule, count(*) AS customers,
                               round(avg(score), 3) AS mean_score, min(action) AS action
                        FROM signals GROUP BY 1, 2, 3 ORDER BY need, customers DESC, 2, 3""")
    parts.append(_table(["need", "found by", "refining rule", "customers", "mean engagement score", "action"], top))
    return parts


def _baselines(con: Engine) -> list[str]:
    rows = _rows(con, """SELECT need, window_days, population, round(weighted_events, 3), round(spend, 2),
                                round(active_days, 3), round(breadth, 3), CAST(learned_as_of AS VARCHAR)
                         FROM need_baselines ORDER BY need""")
    return ["<p>The mean of each measure over the customers active in the need's window: a customer's lift is "
            "their measure over this mean. A baseline learned from an earlier run's data (saved in its "
            "<code>baselines.json</code>; an update takes them) says so by its date.</p>" + _table(
                ["need", "window (days)", "active customers", "weighted events", "spend", "active days",
                 "breadth (classes)", "learned from data as of"], rows)]


def _matching(con: Engine) -> list[str]:
    from linker.enrich.category_match import matching_summary

    rows = [(m, n, e, f"{s:,.2f}", f"{se:.1%}", f"{ss:.1%}") for m, n, e, s, se, ss in matching_summary(con)]
    return ["<p>How the category names of every event were mapped to a class (exact name, pattern, a name found "
            "inside it, fuzzy match, card code), with the share of events and of spend.</p>"
            + _table(["method", "category names", "events", "spend", "share of events", "share of spend"], rows)]


def _domains(con: Engine) -> list[str]:
    # the longest window: a column spend_<days>d of domain_spend
    windows = [int(name[6:-1]) for name, _ in con.columns("domain_spend") if re.fullmatch(r"spend_[0-9]+d", name)]
    if not windows:
        return []
    spend = f"spend_{max(windows)}d"
    # a parent domain's spend holds its children's: only top-level domains add up to the whole
    rows = _rows(con, f"""SELECT s.domain, round(s.{spend}) FROM domain_spend s
                          JOIN taxonomy_domains d ON d.domain = s.domain AND d.parent IS NULL
                          WHERE s.{spend} > 0
                          ORDER BY 2 DESC, 1 LIMIT 20""")
    children = _rows(con, f"""SELECT d.parent, s.domain, round(s.{spend}),
                                     round(s.{spend} / nullif(p.{spend}, 0), 3)
                              FROM domain_spend s JOIN taxonomy_domains d ON d.domain = s.domain AND d.parent IS NOT NULL
                              LEFT JOIN domain_spend p ON p.domain = d.parent
                              WHERE s.{spend} > 0
                              ORDER BY 1, 3 DESC, 2""")
    def draw(ax: Any) -> None:
        _bars(ax, [r[0] for r in rows], [float(r[1]) for r in rows], horizontal=True, color="#55a868",
              fmt=_context.money)
        ax.set_xlabel(f"spend ({_context.currency or 'amount'})")
        ax.xaxis.set_major_formatter(lambda v, _: _context.money(v))
    return [_figure(draw, f"Spend by top-level domain, all customers, last {max(windows)}d (online and card; a "
                          "parent domain holds its sub-domains, so only top-level domains are drawn)", (6, 4.5)),
            _table(["domain", "sub-domain", "spend", "share of the domain"],
                   [(parent, key, _context.money(float(spend)), share) for parent, key, spend, share in children])]


def _unmapped(con: Engine) -> list[str]:
    rows = _rows(con, """SELECT coalesce(name, '(missing)'), source, events, customer_events, customers
                         FROM unmapped_categories ORDER BY events DESC, name, source LIMIT 20""")
    total = _rows(con, "SELECT count(*), coalesce(sum(events), 0) FROM unmapped_categories")[0]
    note = (f"<p>{total[0]:,} category names ({total[1]:,} events) are not in the taxonomy; they count under "
            f"'unmapped'. Add them to a taxonomy file to give them a need domain.</p>") if total[0] else ""
    return [note + _table(["category", "source", "events", "customer events", "customers"], rows)] if rows else [
        "<p>Every category is mapped.</p>"]
