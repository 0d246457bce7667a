"""The Spark dialect: each construct that sqlglot alone translates into different rows (or refuses) gives the
same rows on Spark as on DuckDB."""

import duckdb
import pyarrow as pa
import pytest

from linker.engine import DuckDBEngine, EngineError
from linker.engine.dialect import SparkDialect

INPUT = """
    SELECT * FROM (VALUES (1, 'abc', ['x', 'y'], 2, 'C1', 'b'), (2, '', ['z'], 1, 'C2', NULL),
                          (3, NULL, NULL, 1, 'A3', 'a'), (4, '张伟 Wei', ['y', NULL, 'y'], 2, 'C4', 'c'))
    t(a, s, l, k, node, name)
"""

CASES = {
    "list in order, NULLs kept": "SELECT k, list(name ORDER BY a DESC) AS xs FROM t GROUP BY k",
    "list in order of two keys": "SELECT list(a ORDER BY k, name DESC NULLS FIRST) AS xs FROM t",
    "string_agg in order, filtered": "SELECT k, string_agg(name, '-' ORDER BY a) FILTER (WHERE a > 1) FROM t GROUP BY k",
    "two unnest step together": "SELECT a, unnest(string_split(s, '')) AS ch, unnest(range(length(s))) AS i FROM t",
    "one unnest": "SELECT a, unnest(l) AS x FROM t",
    "string_split on nothing": "SELECT a, string_split(s, ''), string_split(s, ' '), len(string_split(s, '')) FROM t",
    "qualify with star": "SELECT * FROM t QUALIFY row_number() OVER (PARTITION BY k ORDER BY a) = 1",
    "list index and slice": "SELECT a, l[1], l[-1], l[2:], l[1:1], l[5] FROM t",
    "substr of strings": "SELECT substr(node, 1, 1), substr(node, 3), left(node, 1) FROM t",
    "list functions": "SELECT a, len(l), list_distinct(l) IS NULL, len(list_distinct(l)), list_filter(l, lambda v: v <> 'y'), "
                      "list_transform(l, lambda v: upper(v)), list_sort(list_filter(l, lambda v: v IS NOT NULL)), "
                      "array_to_string(l, '+'), [name] || coalesce(l, []) FROM t",
    "regular expressions": "SELECT a, regexp_full_match(s, '[a-z]+'), regexp_matches(s, 'b'), "
                           "regexp_replace(s, '[^\\p{Han}]', '', 'g'), regexp_replace(s, 'c$', 'C'), "
                           "regexp_extract_all(coalesce(s, ''), '([a-z])', 1), "
                           "regexp_full_match(s, '\\p{Han}{2}.*') FROM t",
    "windowed filter and arg_min": "SELECT a, max(a) FILTER (WHERE k = 1) OVER (PARTITION BY k), "
                                   "arg_min(node, a) OVER (PARTITION BY k), count(*) FILTER (WHERE s <> '') OVER () FROM t",
    "aggregates": "SELECT k, arg_min(node, a), arg_max(name, a), bool_or(s = ''), count(*) FILTER (WHERE a > 1), "
                  "any_value(k) FROM t GROUP BY ALL",
    "semi and anti joins": "SELECT a FROM t SEMI JOIN (SELECT 2 AS k) USING (k) UNION ALL "
                           "SELECT -a FROM t ANTI JOIN (SELECT 2 AS k) USING (k)",
    "structs": "SELECT a, {'a': a, 'n': name} AS s, list_filter([{'l': a, 'w': 1.5}, {'l': NULL, 'w': 2.5}], "
               "lambda e: e.l IS NOT NULL) AS e FROM t",
    "isnan and isfinite": "SELECT isnan(try_cast(s AS DOUBLE)), isfinite(CAST(a AS DOUBLE) / 0), isfinite(a / 2), strlen(s) FROM t",
    "a hash both engines compute": "SELECT md5_number_upper(node || ':x') % 1000003, md5_number_upper(node) FROM t",
    "range table": "SELECT k % 3 AS m, count(*) FROM range(10) r(k) GROUP BY ALL",
    "to_json keeps NULL fields": "SELECT to_json({'a': a, 'name': name}) FROM t",
    "dates": "SELECT strftime(DATE '2024-05-01' + INTERVAL 2 YEAR, '%Y%m%d'), "
             "CAST(TIMESTAMP '2024-05-01 10:30:00' AS DATE), date_diff('day', DATE '2024-01-01', DATE '2024-03-01')",
    "times": "SELECT try_strptime(x, ['%Y-%m-%d %H:%M:%S', '%Y/%m/%d', '%Y%m%d', '%Y年%m月%d日']) "
             "FROM (VALUES ('2024-05-01 10:00:00'), ('2024/5/1'), ('20240501'), ('2024年5月1日'), ('x')) v(x)",
    "offsets to a time zone": "SELECT CAST(timezone('Asia/Shanghai', try_cast(x AS TIMESTAMPTZ)) AS TIMESTAMP) "
                              "FROM (VALUES ('2024-05-01T02:00:00Z'), ('2024-05-01 02:00:00+05:30')) v(x)",
    "similarity": "SELECT damerau_levenshtein(name, 'ab'), round(jaro_winkler_similarity(s, 'abd'), 9) FROM t",
    "distinct lists, NULL kept": "SELECT k, list_sort(list(DISTINCT name)), len(list(DISTINCT name)) FROM t GROUP BY k",
    "ordered lists filtered": "SELECT k, (list(name ORDER BY a DESC) FILTER (WHERE a > 1))[1:1], "
                              "list(DISTINCT name) FILTER (WHERE a > 1) IS NULL FROM t GROUP BY k",
    "list_position": "SELECT a, list_position(['abc', '', 'x'], s) FROM t",
    "division is DOUBLE": "SELECT a, pow(0.5, a / 45.0), k / 3.0, 2.5 / 0.7, a / 2 FROM t",
}


def _sorted(rows):
    return sorted(rows, key=repr)


@pytest.fixture(scope="module")
def duck():
    engine = DuckDBEngine(duckdb.connect())
    engine.create_table("t", INPUT)
    yield engine
    engine.close()


@pytest.mark.spark
@pytest.mark.parametrize("case", CASES)
def test_spark_gives_duckdbs_rows(case, duck, spark_engine):
    spark_engine.create_table("t", INPUT)
    assert _sorted(spark_engine.rows(CASES[case])) == _sorted(duck.rows(CASES[case]))


def test_statements_that_cannot_be_made_equal_are_refused():
    spark = SparkDialect()
    with pytest.raises(EngineError, match="first match on DuckDB"):
        spark.translate("SELECT regexp_replace(s, 'a', 'b') FROM t")
    with pytest.raises(EngineError, match="bitstring_agg"):
        spark.translate("SELECT bitstring_agg(a) FROM t")
    with pytest.raises(EngineError, match="POSIX"):
        spark.translate("SELECT regexp_matches(s, '[[:alpha:]]') FROM t")


def test_duckdb_spelling_runs_unchanged_on_duckdb():
    from linker.engine.dialect import DuckDBDialect

    assert DuckDBDialect().translate(CASES["two unnest step together"]) == CASES["two unnest step together"]


@pytest.mark.spark
def test_patterns_given_as_data_are_written_for_java(duck, spark_engine):
    written = "(?i)^\\p{Han}+ ?wei$"
    assert SparkDialect().pattern(written) == "(?i)^\\p{IsHan}+ ?wei$"
    duck.register_arrow("patterns", pa.table({"p": [written]}))
    spark_engine.register_arrow("patterns", pa.table({"p": [SparkDialect().pattern(written)]}))
    spark_engine.create_table("t", INPUT)
    query = "SELECT a, regexp_matches(coalesce(s, ''), p) FROM t, patterns"
    assert _sorted(spark_engine.rows(query)) == _sorted(duck.rows(query))
    assert (4, True) in duck.rows(query)
