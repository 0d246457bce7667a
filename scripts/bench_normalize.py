"""Benchmark :func:`linker.normalize.normalize_identifiers` on generated identifier rows.

Usage (with linker installed, ``pip install -e .``)::

    python scripts/bench_normalize.py --rows 10000000 --threads 2

Generates a source table in DuckDB, then times the normalization alone and prints rows/s, the CPU
time of the process (all DuckDB threads; a fairer figure than wall time on a shared machine), the
number of distinct leftovers sent to Python and the status counts.

The mix is a stress mix: 55 % phones (a fifth of them not plain 11 digits: ``+86``/``0086``
prefixes, dashes, full width, landlines, 0.2 % foreign numbers from a pool of 5,000, some junk),
25 % e-mails (a fifth with ``+tags``, mixed case, typo and alias domains, some test addresses) and
20 % device IDs (upper-case UUIDs, Android IDs and random 15-digit strings, most failing Luhn).
"""

from __future__ import annotations

import argparse
import time

import duckdb

from linker.normalize import normalize_identifiers, phones

# Every branch draws from hash(i, seed) so the data is reproducible for a given --seed.
_SOURCE_SQL = """
CREATE OR REPLACE TABLE bench_source AS
WITH r AS (
  SELECT i, CAST(hash(i, {seed}) % 1000 AS BIGINT) AS p,
         CAST(hash(i * 7 + 1, {seed}) % 4000000000000000000 AS BIGINT) AS h FROM range({rows}) t(i)
), m AS (
  SELECT *, (['138', '139', '135', '186', '188', '159', '150', '177', '199', '131'])[1 + h % 10]
            || lpad(CAST(h % 100000000 AS VARCHAR), 8, '0') AS mob
  FROM r
)
SELECT CASE WHEN p < 550 THEN 'customer' ELSE 'account' END AS owner_kind,
       'O' || CAST(i % 3000000 AS VARCHAR) AS owner_id,
       CASE WHEN p < 550 THEN 'phone' WHEN p < 800 THEN 'email' ELSE 'device' END AS id_type,
       CASE
         WHEN p < 420 THEN mob
         WHEN p < 460 THEN '+86 ' || substr(mob, 1, 3) || ' ' || substr(mob, 4, 4) || ' ' || substr(mob, 8)
         WHEN p < 480 THEN substr(mob, 1, 3) || '-' || substr(mob, 4, 4) || '-' || substr(mob, 8)
         WHEN p < 490 THEN translate(mob, '0123456789', '０１２３４５６７８９')
         WHEN p < 500 THEN '0086' || mob
         WHEN p < 530 THEN (['010-', '021-', '0755-', '(020)', '0571 '])[1 + h % 5]
                           || CAST(20000000 + h % 60000000 AS VARCHAR)
         WHEN p < 532 THEN '+44 20 7946 ' || lpad(CAST(h % 5000 AS VARCHAR), 4, '0')
         WHEN p < 535 THEN (['13800138000', '', '未知', 'null', '00000000000', '12345678901', '15400000001',
                             '13812345678 ext ' || CAST(h % 100 AS VARCHAR)])[1 + h % 8]
         WHEN p < 550 THEN mob
         WHEN p < 790 THEN (['Zhang.Wei', 'li_na', 'wang', 'USER', 'chen+shop'])[1 + h % 5]
                           || CAST(h % 2000000 AS VARCHAR) || '@'
                           || (['qq.com', '163.com', 'Gmail.com', 'googlemail.com', 'qq.con', '126.com',
                                'hotmail.com', 'sina.com'])[1 + (h // 7) % 8]
         WHEN p < 800 THEN (['test@163.com', 'noreply@jd.com', ' ', 'a@a.com'])[1 + h % 4]
         WHEN p < 900 THEN upper(CAST(uuid() AS VARCHAR))
         WHEN p < 950 THEN substr(md5(CAST(h AS VARCHAR)), 1, 16)
         ELSE '86' || lpad(CAST(h % 10000000000000 AS VARCHAR), 13, '0')
       END AS raw,
       DATE '2020-01-01' + CAST(h % 1500 AS INTEGER) AS since,
       i + 1 AS _row,
       'bench' AS _source
FROM m
"""


def main() -> None:
    """Generate the source table, time the normalization and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--threads", type=int, default=None, help="DuckDB threads (default: all cores)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--database", default=":memory:", help="DuckDB file (default in memory)")
    args = parser.parse_args()

    con = duckdb.connect(args.database)
    if args.threads:
        con.execute(f"SET threads = {int(args.threads)}")
    start = time.perf_counter()
    con.execute(_SOURCE_SQL.format(rows=int(args.rows), seed=int(args.seed)))
    print(f"generated {args.rows:,} rows in {time.perf_counter() - start:.1f} s")

    parsed = 0
    original = phones.parse_leftover

    def counting(text: str, region: str) -> phones.PhoneParse:
        nonlocal parsed
        parsed += 1
        return original(text, region)

    phones.parse_leftover = counting
    try:
        start, cpu = time.perf_counter(), time.process_time()
        normalize_identifiers(con, "bench_source", "bench_identifiers")
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    finally:
        phones.parse_leftover = original
    threads = con.execute("SELECT current_setting('threads')").fetchall()[0][0]
    print(f"normalized {args.rows:,} rows in {elapsed:.2f} s on {threads} threads: "
          f"{args.rows / elapsed:,.0f} rows/s (CPU {cpu:.2f} s); "
          f"{parsed:,} distinct leftovers parsed in Python")
    for status, reason, n in con.execute(
            "SELECT status, reason, count(*) FROM bench_identifiers GROUP BY ALL ORDER BY 3 DESC").fetchall():
        print(f"  {status:8} {reason or '':20} {n:>12,}")


if __name__ == "__main__":
    main()
