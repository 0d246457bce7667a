import pytest

from linker.errors import QueryError
from linker.graph.dialect import LADYBUG, NEO4J, parameter_names, strip_literals


@pytest.mark.parametrize(("ladybug", "neo4j"), [
    ("MATCH (n:Phone|Email) RETURN label(n) AS t", "MATCH (n:Phone|Email) RETURN labels(n)[0] AS t"),
    ("MATCH (a)-[h]->(b) WHERE h.since > CAST(a.last_seen_at AS DATE) RETURN a",
     "MATCH (a)-[h]->(b) WHERE h.since > date(a.last_seen_at) RETURN a"),
    (("MATCH p = (a:Customer {customer_id: $a})-[:HAS_PHONE|LINKED_TO* SHORTEST 1..6]-(b:Customer {customer_id: $b}) "
     "RETURN length(p)"),
     ("MATCH p = shortestPath((a:Customer {customer_id: $a})-[:HAS_PHONE|LINKED_TO*1..6]-"
      "(b:Customer {customer_id: $b})) RETURN length(p)")),
    ("MATCH p = (a:Customer)-[* SHORTEST 1..3 (r, n | WHERE n.is_hub = false)]-(b:Customer) RETURN p",
     ("MATCH p = shortestPath((a:Customer)-[*1..3]-(b:Customer)) WHERE all(n IN nodes(p) WHERE n.is_hub = false) "
      "RETURN p")),
    ("MATCH (n) RETURN n.name AS label", "MATCH (n) RETURN n.name AS label"),
])
def test_neo4j_rewrites(ladybug: str, neo4j: str) -> None:
    assert NEO4J.render(ladybug) == neo4j
    assert LADYBUG.render(ladybug) == ladybug


@pytest.mark.parametrize(("text", "message"), [
    ("MATCH (a)-[:T* SHORTEST 1..3]->(b) RETURN a", "SHORTEST"),  # directed: no rewrite
    ("RETURN list_transform([1], x -> x + 1)", "list_transform"),
    ("MATCH (n) RETURN CAST(n.x AS STRING)", "CAST"),
    ("MATCH p = (a)-[* SHORTEST 1..3 (r, n | WHERE r.since > 0)]-(b) RETURN p", "relationships"),
    ("MATCH p = (a)-[:T* SHORTEST 1..3]-(b) RETURN rels(p)", "relationships"),
])
def test_ladybug_only_constructs_never_reach_neo4j(text: str, message: str) -> None:
    with pytest.raises(QueryError, match=f"Neo4j: .*{message}"):
        NEO4J.render(text)


@pytest.mark.parametrize(("text", "message"), [
    ("MATCH (n) RETURN labels(n)[0]", "label\\(n\\)"),
    ("RETURN datetime('2024-01-01')", "timestamp"),
    ("RETURN [x IN [1, 2] | x * 2]", "list_transform"),
    ("MATCH p = shortestPath((a)-[*]-(b)) RETURN p", "SHORTEST"),
])
def test_silent_ladybug_pitfalls_are_refused_with_the_fix(text: str, message: str) -> None:
    with pytest.raises(QueryError, match=f"LadybugDB: .*{message}"):
        LADYBUG.check(text)


def test_pitfall_words_inside_strings_and_comments_are_not_pitfalls() -> None:
    LADYBUG.check("MATCH (n) WHERE n.name = 'labels(n)[0]' RETURN n // datetime()")


def test_known_puzzling_errors_get_a_hint() -> None:
    assert "label(r)" in LADYBUG.hint("Catalog exception: function TYPE does not exist.")
    assert NEO4J.hint("function TYPE does not exist") == "function TYPE does not exist"


def test_strip_literals_and_parameter_names() -> None:
    text = "MATCH (n {name: \"$x\"}) WHERE n.a = $a /* $b */ AND n.`$c` = $d RETURN n // $e"
    assert parameter_names(text) == ["a", "d"]
    assert "$x" not in strip_literals(text)
