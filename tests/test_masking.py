"""One masking policy: personal properties of the schema, columns that read them, graphs for show."""

from __future__ import annotations

import json

import networkx as nx
from hypothesis import given
from hypothesis import strategies as st

from linker.graph.cypher import QueryResult
from linker.masking import identifier_kind, mask, mask_evidence, mask_graph, mask_result


def test_a_result_is_masked_by_node_labels_and_by_the_properties_columns_read() -> None:
    result = QueryResult(["who", "n", "phones", "c"], [[
        "张小伟", 3, ["+8613812345678"], {"_label": "Customer", "customer_id": "C1", "name": "张小伟",
                                          "birth_date": "1985-03-02", "city": "北京"}]])
    query = "MATCH (c:Customer)-[:HAS_PHONE]->(p) RETURN c.name AS who, count(p), collect(p.value) AS phones, c"
    masked = mask_result(result, query)
    assert masked.rows[0][:3] == ["张*伟", 3, ["+86 138****5678"]]
    assert masked.rows[0][3] == {"_label": "Customer", "customer_id": "C1", "name": "张*伟",
                                 "birth_date": "1985-**-**", "city": "北京"}
    assert result.rows[0][0] == "张小伟"   # the result itself is left as it is


def test_evidence_values_are_masked_by_their_type() -> None:
    evidence = [{"comparison": "email", "id_type": "email", "value": "zhangwei@gmail.com", "weight": 20.5},
                {"comparison": "name", "level": "exact", "value": "张伟"},
                {"comparison": "city", "level": "same", "weight": 0.9}]
    masked = json.loads(mask_evidence(json.dumps(evidence, ensure_ascii=False)))
    assert [m.get("value") for m in masked] == ["z******i@gmail.com", "张*", None]
    assert masked[0]["weight"] == 20.5


def test_a_graph_is_masked_and_nodes_keyed_by_a_value_renamed() -> None:
    graph = nx.MultiDiGraph(focus="Customer:C1")
    graph.add_node("Customer:C1", type="Customer", key="C1", label="张伟 (C1)", name="张伟")
    graph.add_node("Phone:+8613812345678", type="Phone", key="+8613812345678", label="+8613812345678",
                   value="+8613812345678")
    graph.add_edge("Customer:C1", "Phone:+8613812345678", key="HAS_PHONE", type="HAS_PHONE")
    masked = mask_graph(graph)
    assert sorted(masked.nodes) == ["Customer:C1", "Phone:+86 138****5678"]
    assert masked.nodes["Customer:C1"]["label"] == "张* (C1)"
    assert masked.nodes["Phone:+86 138****5678"]["label"] == "+86 138****5678"
    assert masked.has_edge("Customer:C1", "Phone:+86 138****5678") and masked.graph["focus"] == "Customer:C1"
    assert "+8613812345678" not in json.dumps(nx.node_link_data(masked, edges="links"), ensure_ascii=False)


@given(st.from_regex(r"\+86 ?1[3-9][0-9]{9}", fullmatch=True))
def test_a_phone_never_shows_its_middle_digits(phone: str) -> None:
    digits = phone.replace(" ", "")
    national = digits[3:]
    assert identifier_kind(digits) == "phone"
    assert mask("value", digits) == f"+86 {national[:3]}****{national[-4:]}"
