"""Dispatch QA as LlamaIndex components: our hybrid retriever, each evidence gate as a node postprocessor, our
checked answers as a query engine, and our packaged model as a LlamaIndex LLM; and the other way, any LlamaIndex
LLM writing answers that our checks then judge.

    from rag import Assistant
    from rag.llama_index import DispatchQueryEngine, DispatchRetriever
    qa = Assistant.open("index/")
    nodes = DispatchRetriever(qa, k=8).retrieve("Combien de drones au-dessus de Briansk ?")
    response = DispatchQueryEngine(qa).query("Combien de drones au-dessus de Briansk ?")
    response.source_nodes        # exactly the cited passages, in marker order
    response.metadata["answer"]  # our Answer: sentences, verdicts, refusal

A node's text is the exact passage text, so `start` / `end` in its metadata stay true offsets in its dispatch.
"""
from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import Any

from llama_index.core.base.base_query_engine import BaseQueryEngine
from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.base.llms.types import ChatMessage, CompletionResponse, CompletionResponseGen, LLMMetadata
from llama_index.core.base.response.schema import Response, StreamingResponse
from llama_index.core.llms import CustomLLM
from llama_index.core.llms.llm import LLM as LlamaLLM
from llama_index.core.postprocessor.types import BaseNodePostprocessor
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode
from llama_index.core.vector_stores.types import FilterOperator, MetadataFilters
from pydantic import ConfigDict, Field

from rag.answer.answerer import Answer, Answerer, AnswerStream
from rag.answer.checks import REGISTRY
from rag.answer.query import analyze
from rag.assistant import Assistant
from rag.errors import ConfigError
from rag.filters import Filters
from rag.values import Passage

# node metadata that is ours to read, not text for a model to see
_SCORES = ("dense", "bm25", "fused", "start", "end", "chunk_id")


def node(p: Passage) -> NodeWithScore:
    """A passage as a LlamaIndex node: its exact text, and what we know of it as metadata."""
    m = p.meta
    text_node = TextNode(id_=p.id, text=p.text, metadata={
        "dispatch_id": m.dispatch_id, "file": m.path, "date": m.date, "title": m.title, "lang": m.lang,
        "source": m.source, "section": m.section, "is_caption": m.is_caption, "start": m.start, "end": m.end,
        "dense": p.dense, "bm25": p.bm25, "fused": p.score, "chunk_id": p.id},
        excluded_llm_metadata_keys=list(_SCORES), excluded_embed_metadata_keys=list(_SCORES))
    return NodeWithScore(node=text_node, score=p.score)


def our_filters(flt: MetadataFilters | None, base: Filters | dict | None = None) -> Filters:
    """LlamaIndex MetadataFilters as ours: lang / source / dispatch_id (== or in), date (>= and <=), over `base`."""
    out = Filters.coerce(base)
    for f in (flt.filters if flt else []):
        if isinstance(f, MetadataFilters):
            raise ConfigError("Nested MetadataFilters are not supported by DispatchRetriever; give one flat list.",
                              "filters")
        values = f.value if isinstance(f.value, list) else [f.value]
        if f.key in ("lang", "source", "dispatch_id") and f.operator in (FilterOperator.EQ, FilterOperator.IN):
            field = {"dispatch_id": "dispatch_ids"}.get(f.key, f.key)
            out = replace(out, **{field: [str(v) for v in values]})
        elif f.key == "date" and f.operator in (FilterOperator.GTE, FilterOperator.GT):
            out = replace(out, date_from=str(f.value))
        elif f.key == "date" and f.operator in (FilterOperator.LTE, FilterOperator.LT):
            out = replace(out, date_to=str(f.value))
        else:
            raise ConfigError(f"DispatchRetriever cannot filter on {f.key} {f.operator.value}: it filters lang, "
                              "source and dispatch_id (== or in) and date (>= and <=).", "filters")
    return out


class DispatchRetriever(BaseRetriever):
    """Our hybrid retrieval (dense + BM25 per language, fused) as a LlamaIndex retriever: the passages
    `Assistant.retrieve` returns, in the same order. Filters come as ours (`filters`) and/or LlamaIndex's."""

    def __init__(self, qa: Assistant, k: int | None = None, filters: Filters | dict | None = None,
                 metadata_filters: MetadataFilters | None = None, as_of: str | None = None) -> None:
        super().__init__()
        self.qa, self.k, self.as_of = qa, k, as_of
        self.filters = our_filters(metadata_filters, filters)

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        passages = self.qa.retrieve(query_bundle.query_str, filters=self.filters, k=self.k, as_of=self.as_of)
        return [node(p) for p in passages]


class GatePostprocessor(BaseNodePostprocessor):
    """One check of our evidence gate as a node postprocessor: nodes it fails are dropped, and why is kept in
    `dropped` (node id, reason). Works on nodes of a DispatchRetriever (their ids are our chunk ids)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    qa: Any = Field(exclude=True)
    check: str = ""
    dropped: list[tuple[str, str]] = Field(default_factory=list)

    @classmethod
    def class_name(cls) -> str:
        return f"Dispatch{cls.__name__}"

    def _postprocess_nodes(self, nodes: list[NodeWithScore],
                           query_bundle: QueryBundle | None = None) -> list[NodeWithScore]:
        query = analyze(query_bundle.query_str if query_bundle else "")
        suite = self.qa.answerer.suite
        stored = {c.id: c for c in self.qa.store.get([n.node.node_id for n in nodes])}
        kept, anchors = [], []
        for n in nodes:
            chunk = stored.get(n.node.node_id)
            if chunk is None:  # not one of ours (or deleted since): nothing to judge it by
                kept.append(n)
                continue
            p = Passage(chunk.id, chunk.text, chunk.meta, score=n.score or 0.0,
                        dense=float(n.node.metadata.get("dense", 0.0)))
            verdict = self._verdict(suite, query, p, anchors)
            if verdict is None or verdict.ok:
                kept.append(n)
                anchors.append(p)
            else:
                self.dropped.append((n.node.node_id, verdict.reason))
        return kept

    def _verdict(self, suite, query, p: Passage, anchors: list[Passage]):
        if self.check == "story_sibling":
            return suite.sibling(query, p, anchors) if anchors else None
        check = suite.checks.get(self.check)
        if check is None or not check.applies(query):
            return None
        from rag.answer.checks.gate import gate_source
        return check(None, gate_source(p), query)


class SimilarityFloor(GatePostprocessor):
    """Drops a node whose cosine to the question is under the relevance floor."""
    check: str = "similar"


class NamesHeld(GatePostprocessor):
    """Drops a node that does not hold (nor its dispatch) the people, places and bodies the question names."""
    check: str = "names_held"


class StorySiblings(GatePostprocessor):
    """Drops a node that is not about the same story as the nodes already kept before it."""
    check: str = "story_sibling"


class Speaker(GatePostprocessor):
    """For a "what did X say" question, drops a node where X does not speak."""
    check: str = "speaker"


class WordsShared(GatePostprocessor):
    """When the question names nobody and nothing: drops a node not clearly closer than the floor nor sharing
    most of the question's words."""
    check: str = "words_shared"


_NAMED = {cls.model_fields["check"].default: cls
          for cls in (SimilarityFloor, NamesHeld, WordsShared, Speaker, StorySiblings)}


def gate(qa: Assistant) -> list[GatePostprocessor]:
    """Every gate check of the registry as a postprocessor, in the order our evidence step applies them (a
    story's sibling, which rescues what the others dropped, last); a check added to the gate joins it."""
    names = [name for name, cls in REGISTRY.items() if "gate" in cls.stages and name != "story_sibling"]
    return [_NAMED.get(name, GatePostprocessor)(qa=qa, check=name) for name in [*names, "story_sibling"]]


def source_nodes(answer: Answer) -> list[NodeWithScore]:
    """The cited passages of an answer as nodes, in marker order ([1], [2], ...)."""
    out = []
    for c in sorted(answer.citations, key=lambda c: c.number):
        text_node = TextNode(id_=c.chunk_id, text=c.text, metadata={
            "number": c.number, "dispatch_id": c.dispatch_id, "file": c.file, "date": c.date, "title": c.title,
            "lang": c.lang, "source": c.source, "section": c.section, "start": c.start, "end": c.end,
            "support": c.support}, excluded_llm_metadata_keys=["number", "start", "end", "support"])
        out.append(NodeWithScore(node=text_node, score=c.support))
    return out


class DispatchQueryEngine(BaseQueryEngine):
    """Our checked, cited answers as a LlamaIndex query engine (sync, async, streaming). The response text
    carries our [n] markers, `source_nodes` are exactly the cited passages in marker order, and
    `metadata["answer"]` is our Answer. With `llm` (any LlamaIndex LLM, e.g. llama-index-llms-ollama), that
    model writes and our checks still judge every sentence it writes."""

    def __init__(self, qa: Assistant, llm: LlamaLLM | None = None, k: int | None = None,
                 filters: Filters | dict | None = None, metadata_filters: MetadataFilters | None = None,
                 streaming: bool = False) -> None:
        super().__init__(callback_manager=None)
        self.qa, self.k, self.streaming = qa, k, streaming
        self.filters = our_filters(metadata_filters, filters)
        self.answerer = qa.answerer if llm is None else Answerer(
            qa.settings, qa.retriever, qa.embedder, lambda: FromLlamaIndex(llm))

    def _get_prompt_modules(self) -> dict:
        return {}

    def _query(self, query_bundle: QueryBundle) -> Response | StreamingResponse:
        question = query_bundle.query_str
        if self.streaming:
            stream = AnswerStream(self.answerer.run(question, filters=self.filters, k=self.k, stream=True))
            return _Streaming(stream)
        answer = self.answerer.ask(question, filters=self.filters, k=self.k)
        return Response(answer.text, source_nodes=source_nodes(answer), metadata={"answer": answer})

    async def _aquery(self, query_bundle: QueryBundle) -> Response | StreamingResponse:
        return await asyncio.to_thread(self._query, query_bundle)


class _Streaming(StreamingResponse):
    """Checked sentences as they pass; once the stream is over, `source_nodes` and `metadata` are filled."""

    def __init__(self, stream: AnswerStream) -> None:
        self._stream = stream
        super().__init__(response_gen=self._sentences(), source_nodes=[], metadata={})

    def _sentences(self) -> Iterator[str]:
        first = True
        for sentence in self._stream:
            yield sentence if first else f" {sentence}"
            first = False
        answer = self._stream.answer
        self.source_nodes[:] = source_nodes(answer)
        self.metadata = {"answer": answer}


class FromLlamaIndex:
    """A LlamaIndex LLM in our LLM protocol: it writes, our checks judge."""

    def __init__(self, llm: LlamaLLM) -> None:
        self.llm = llm
        self.name = f"llama-index:{type(llm).__name__}"

    def describe(self) -> str:
        return f"LlamaIndex LLM {type(self.llm).__name__}"

    def generate(self, messages: list[dict[str, str]], max_tokens: int, temperature: float) -> str:
        return str(self.llm.chat(_chat(messages)).message.content or "")

    def stream(self, messages: list[dict[str, str]], max_tokens: int, temperature: float,
               cancel: threading.Event | None = None) -> Iterator[str]:
        for part in self.llm.stream_chat(_chat(messages)):
            if cancel is not None and cancel.is_set():
                return
            if part.delta:
                yield part.delta


def _chat(messages: Sequence[dict[str, str]]) -> list[ChatMessage]:
    return [ChatMessage(role=m["role"], content=m["content"]) for m in messages]


class DispatchLLM(CustomLLM):
    """Our model (Ollama or the packaged embedded one, as `Assistant.llm` chooses) as a LlamaIndex LLM, for a
    LlamaIndex pipeline of your own (a CitationQueryEngine over DispatchRetriever, for example)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    qa: Any = Field(exclude=True)
    max_tokens: int = 256

    @property
    def metadata(self) -> LLMMetadata:
        s = self.qa.settings
        return LLMMetadata(context_window=s.embedded_ctx, num_output=self.max_tokens, model_name=self.qa.llm.name)

    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        text = self.qa.llm.generate([{"role": "user", "content": prompt}], self.max_tokens, 0.0)
        return CompletionResponse(text=text)

    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponseGen:
        text = ""
        for token in self.qa.llm.stream([{"role": "user", "content": prompt}], self.max_tokens, 0.0):
            text += token
            yield CompletionResponse(text=text, delta=token)


def vector_index(qa: Assistant):
    """A plain LlamaIndex VectorStoreIndex over our own Chroma collection (ChromaVectorStore: the same chunks
    and vectors), queried with the same embedder (ours is a LlamaIndex BaseEmbedding): the pipeline a
    LlamaIndex user would build on our index, to compare with ours."""
    from llama_index.core import VectorStoreIndex
    from llama_index.vector_stores.chroma import ChromaVectorStore
    return VectorStoreIndex.from_vector_store(ChromaVectorStore(chroma_collection=qa.store.col),
                                              embed_model=qa.embedder.backend)


def plain_query_engine(qa: Assistant, k: int, max_tokens: int = 128):
    """That index's default query engine (LlamaIndex's compact synthesis over the top `k` nodes), written by
    our model: the same model and passages store as ours, with neither our gate nor our checks."""
    return vector_index(qa).as_query_engine(llm=DispatchLLM(qa=qa, max_tokens=max_tokens), similarity_top_k=k)
