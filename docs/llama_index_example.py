"""Using Dispatch QA from LlamaIndex: run `python docs/llama_index_example.py` after `make demo` (or any ingest)."""
from llama_index.core.query_engine import CitationQueryEngine
from llama_index.core.vector_stores.types import MetadataFilter, MetadataFilters

from rag import Assistant
from rag.llama_index import DispatchLLM, DispatchQueryEngine, DispatchRetriever, gate

qa = Assistant.open("index/")
question = "Combien de drones ont été abattus au-dessus de Briansk ?"

# Our hybrid retriever, with LlamaIndex filters; node text is the exact passage, offsets in its metadata.
french = MetadataFilters(filters=[MetadataFilter(key="lang", value="fr")])
for n in DispatchRetriever(qa, k=4, metadata_filters=french).retrieve(question):
    print(f"{n.score:.3f}  {n.node.metadata['dispatch_id']}  {n.node.get_content()[:70]}")

# Our checked answer as a LlamaIndex response: source_nodes are the cited passages, in marker order.
response = DispatchQueryEngine(qa).query(question)
print(response, [n.node.metadata["number"] for n in response.source_nodes])

# A LlamaIndex pipeline of your own on our parts: our retriever, our gates, our packaged model.
engine = CitationQueryEngine(retriever=DispatchRetriever(qa, k=4), llm=DispatchLLM(qa=qa), node_postprocessors=gate(qa))
print(engine.query(question))
