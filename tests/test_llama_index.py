"""Dispatch QA as LlamaIndex components, over the real sample-corpus index and the packaged models."""
import asyncio

import pytest
from llama_index.core.schema import QueryBundle
from llama_index.core.vector_stores.types import FilterOperator, MetadataFilter, MetadataFilters

from rag import Assistant, recording
from rag.answer.query import analyze
from rag.errors import ConfigError
from rag.llama_index import (
    DispatchLLM,
    DispatchQueryEngine,
    DispatchRetriever,
    NamesHeld,
    SimilarityFloor,
    Speaker,
    WordsShared,
    gate,
)

BRIANSK = "Combien de drones ont été abattus au-dessus de Briansk ?"


def test_the_retriever_returns_what_assistant_retrieve_returns_in_order_with_true_offsets(qa: Assistant):
    nodes = DispatchRetriever(qa, k=6).retrieve(BRIANSK)
    passages = qa.retrieve(BRIANSK, k=6)
    assert [n.node.node_id for n in nodes] == [p.id for p in passages]
    assert [n.score for n in nodes] == [p.score for p in passages]
    for n in nodes:
        m = n.node.metadata
        dispatch = next(d for d in qa.dispatch_passages(m["dispatch_id"]) if d[0] == m["start"])
        assert n.node.get_content() == dispatch[2]  # the exact text, at its offsets
        assert {"dense", "bm25", "fused", "title", "date", "lang", "source", "file"} <= set(m)


def test_llama_index_metadata_filters_are_our_filters(qa: Assistant):
    only_en = MetadataFilters(filters=[MetadataFilter(key="lang", value="en")])
    assert {n.node.metadata["lang"] for n in DispatchRetriever(qa, metadata_filters=only_en).retrieve(BRIANSK)} \
        == {"en"}
    march = MetadataFilters(filters=[MetadataFilter(key="date", value="2025-03-13", operator=FilterOperator.GTE),
                                     MetadataFilter(key="date", value="2025-03-13", operator=FilterOperator.LTE)])
    assert {n.node.metadata["date"] for n in DispatchRetriever(qa, metadata_filters=march).retrieve(BRIANSK)} \
        == {"2025-03-13"}
    with pytest.raises(ConfigError, match="cannot filter on title"):
        DispatchRetriever(qa, metadata_filters=MetadataFilters(filters=[MetadataFilter(key="title", value="x")]))


def test_each_gate_postprocessor_drops_what_our_gate_drops_and_says_why(qa: Assistant):
    question = "Quel est le bilan du séisme en Turquie ?"  # no passage names Turkey
    nodes = DispatchRetriever(qa, k=6).retrieve(question)
    names = NamesHeld(qa=qa)
    assert names.postprocess_nodes(nodes, QueryBundle(question)) == []
    assert [(i, reason) for i, reason in names.dropped] == [(n.node.node_id, "names_absent") for n in nodes]
    kept = SimilarityFloor(qa=qa).postprocess_nodes(DispatchRetriever(qa, k=6).retrieve(BRIANSK), QueryBundle(BRIANSK))
    _, evidence, _ = qa.answerer.gather(analyze(BRIANSK), 6)
    assert {e.passage.id for e in evidence} <= {n.node.node_id for n in kept}
    speaker = Speaker(qa=qa)
    said = "Qu'a déclaré Dmitri Peskov ?"
    left = speaker.postprocess_nodes(DispatchRetriever(qa, k=8).retrieve(said), QueryBundle(said))
    assert left and all("Peskov" in n.node.get_content() for n in left)
    vague = "Qui est sur le podium ?"  # names nothing: the passage must share most of its words
    shared = WordsShared(qa=qa)
    shared.postprocess_nodes(DispatchRetriever(qa, k=6).retrieve(vague), QueryBundle(vague))
    _, _, rejected = qa.answerer.gather(analyze(vague), 6)
    failed = {r.passage.id for r in rejected if any(v.check == "words_shared" and not v.ok for v in r.verdicts)}
    assert failed and {i for i, _ in shared.dropped} == failed
    assert [type(p).__name__ for p in gate(qa)] == ["SimilarityFloor", "NamesHeld", "WordsShared", "Speaker",
                                                    "StorySiblings"]
    from rag.answer.checks import REGISTRY
    assert {p.check for p in gate(qa)} == {name for name, c in REGISTRY.items() if "gate" in c.stages}


def test_the_query_engine_answers_with_our_checked_citations(qa: Assistant):
    response = DispatchQueryEngine(qa).query(BRIANSK)
    answer = response.metadata["answer"]
    assert response.response == answer.text and "30" in answer.text
    assert [n.node.node_id for n in response.source_nodes] == [c.chunk_id for c in answer.citations]
    assert [n.node.metadata["number"] for n in response.source_nodes] == sorted(c.number for c in answer.citations)
    refused = DispatchQueryEngine(qa).query("Quel est le prix du Bitcoin aujourd'hui ?")
    assert refused.metadata["answer"].refused and refused.source_nodes == []


def test_the_query_engine_streams_and_answers_async(qa: Assistant):
    streaming = DispatchQueryEngine(qa, streaming=True).query(BRIANSK)
    text = "".join(streaming.response_gen)
    assert text == streaming.metadata["answer"].text.strip() or "30" in text
    assert streaming.source_nodes and streaming.metadata["answer"].citations
    response = asyncio.run(DispatchQueryEngine(qa).aquery(BRIANSK))
    assert "30" in response.response


def test_another_llama_index_llm_writes_and_our_checks_judge_it(qa: Assistant):
    """llama-index's own MockLLM (a fake: it writes "text text text...") in place of our model: nothing it writes
    is supported by the passages, so our checks leave it all out and the answer falls back on a checked quote."""
    from llama_index.core.llms import MockLLM
    response = DispatchQueryEngine(qa, llm=MockLLM(max_tokens=20)).query(BRIANSK)
    answer = response.metadata["answer"]
    assert answer.backend == "llama-index:MockLLM"
    written = [s for s in answer.sentences if s.text.lower().startswith("text text")]
    assert written and not any(s.supported for s in written) and "text text" not in answer.text.lower()
    assert answer.extractive and "30" in answer.text


def test_a_llama_index_citation_query_engine_over_our_retriever_and_our_model(qa: Assistant):
    """LlamaIndex's CitationQueryEngine end to end, on DispatchRetriever and DispatchLLM (the packaged model)."""
    from llama_index.core.query_engine import CitationQueryEngine
    engine = CitationQueryEngine(retriever=DispatchRetriever(qa, k=3), llm=DispatchLLM(qa=qa, max_tokens=60),
                                 node_postprocessors=gate(qa))
    response = engine.query(BRIANSK)
    assert response.response and response.source_nodes
    assert any("Briansk" in n.node.get_content() for n in response.source_nodes)


def test_our_eval_scores_a_llama_index_retriever_and_query_engine_beside_ours(qa: Assistant, tmp_path):
    """The comparison `rag eval --compare-llama-index N` prints, on a few questions of our set: retrieval on all
    of them, answers (ours and a plain VectorStoreIndex query engine over our Chroma collection, written by the
    same model) on N spread over them. With a generation cache, as `rag eval` runs: our query engine then reads
    what the model wrote for our run instead of asking it the same prompts again."""
    from rag.apps.evaluation import compare_with_llama_index, load_questions, run_questions, score_query_engine, spread

    from conftest import ROOT
    qa = Assistant(qa.settings.replace(generation_cache=str(tmp_path / "generations.jsonl")))
    questions = [q for q in load_questions(ROOT / "eval" / "questions" / "dispatches.jsonl") if q.answerable][:12]
    asked = spread([q for q in questions if not q.follow_up_of], 2)
    results = run_questions(qa, asked, 8, generate=True)  # (only the questions compared are answered)
    table = compare_with_llama_index(qa, questions, k=8, results=results, n=2)
    assert set(table) == {"dispatch_retriever", "vector_store_index", "dispatch_qa_answers", "llama_index_answers"}
    assert table["dispatch_retriever"]["questions"] == table["vector_store_index"]["questions"] > 5
    assert table["dispatch_retriever"]["recall@k"] >= 0.8 and table["vector_store_index"]["recall@k"] >= 0.5
    theirs = table["llama_index_answers"]
    assert table["dispatch_qa_answers"]["questions"] == theirs["questions"] == len(theirs["answers"]) == 2
    assert [a["id"] for a in theirs["answers"]] == [q.id for q in asked] and asked[0] is questions[0]
    assert all(a["answer"] and not a["refused"] for a in theirs["answers"])  # a plain engine answers everything
    with recording() as calls:
        ours = score_query_engine(DispatchQueryEngine(qa), asked)
    assert ours["questions"] == 2 and ours["right_among_answerable"] is not None
    assert calls and all(c.replayed for c in calls)  # the same prompts as our run's: the same answers
