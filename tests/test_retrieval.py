"""Hybrid retrieval over the sample corpus with the real packaged embedder and Chroma."""
from datetime import date

import pytest

from rag import ChunkMeta, Filters, Passage
from rag.indexing.store import StoredChunk
from rag.retrieval import dedup, fuse, recency_boost


@pytest.mark.parametrize("question", [
    "Combien de drones ont été abattus au-dessus de Briansk ?",
    "How many drones were shot down over Bryansk?",
])
def test_hybrid_retrieval_finds_the_briansk_passage(qa, question):
    top = qa.retrieve(question, k=3)
    assert "Briansk, voisine de l'Ukraine, en a compté 30" in top[0].text


def test_bm25_uses_french_stemming(qa):
    hits = qa.retriever.lexical.search(qa.store, "abattre drone", 5, Filters())
    assert any("abattus" in c.text for c in qa.store.get([i for i, _ in hits]))


def test_retrieve_timed_reports_each_stage_of_the_same_retrieval(qa):
    question = "Combien de drones ont été abattus au-dessus de Briansk ?"
    passages, timings = qa.retrieve_timed(question, k=3)
    assert set(timings) == {"embed", "dense", "bm25", "fusion"} and all(t > 0 for t in timings.values())
    assert [p.id for p in passages] == [p.id for p in qa.retriever.retrieve(question, k=3)]


def test_filters_language_date_source(qa):
    en = qa.retrieve("drones cessez-le-feu ceasefire", k=10, filters={"lang": "en"})
    assert en and all(p.meta.lang == "en" for p in en)
    march = qa.retrieve("séisme earthquake", k=10, filters={"date_from": "2025-03-28", "date_to": "2025-03-31"})
    assert march and {p.meta.date for p in march} == {"2025-03-29", "2025-03-30"}
    assert qa.retrieve("drones", filters=Filters(source=["nobody"])) == []
    ids = qa.retrieve("drones", filters={"dispatch_ids": ["2025-03-13-drones-briansk.fr"]})
    assert ids and {p.dispatch_id for p in ids} == {"2025-03-13-drones-briansk.fr"}


def test_a_dispatch_left_out_is_found_neither_by_meaning_nor_by_words(qa):
    """How an evaluation asks a question with the passage holding its answer gone (a near miss to refuse)."""
    question = "Combien de drones ont été abattus au-dessus de Briansk ?"
    gone = "2025-03-13-drones-briansk.fr"
    assert gone in {p.dispatch_id for p in qa.retrieve(question, k=8)}
    left = qa.retrieve(question, k=8, filters={"exclude_dispatch_ids": [gone]})
    assert left and gone not in {p.dispatch_id for p in left}
    assert gone not in {qa.store.get([i])[0].meta.dispatch_id for i, _ in
                        qa.lexical_search(question, 20, {"exclude_dispatch_ids": [gone]})}


def test_captions_rank_below_body_text():
    body = StoredChunk("b", "texte", ChunkMeta("d"))
    cap = StoredChunk("c", "légende", ChunkMeta("d", is_caption=True))
    fused = fuse([(cap, 0.9), (body, 0.8)], [(cap, 5.0), (body, 4.0)], caption_weight=0.5)
    assert [p.id for p in fused] == ["b", "c"]


def test_a_passage_in_the_other_language_is_not_ranked_down_for_sharing_no_words():
    """BM25 cannot match across languages: the English passage first by meaning stays first for a French
    question, above a French passage on another story that shares its words."""
    other = StoredChunk("o", "Des centaines de bâtiments ont été détruits à Mandalay.", ChunkMeta("d1", lang="fr"))
    answer = StoredChunk("a", "More than 12,000 buildings have been destroyed.", ChunkMeta("d2", lang="en"))
    dense, words = [(answer, 0.86), (other, 0.80)], [(other, 7.0)]
    assert [p.id for p in fuse(dense, words, lang="fr")] == ["a", "o"]
    assert [p.id for p in fuse(dense, words)] == ["o", "a"]  # as plain RRF ranked them


def test_a_french_question_finds_the_english_passage_that_answers(qa):
    top = qa.retrieve("Combien de bâtiments ont été détruits ou endommagés par les incendies de Los Angeles ?", k=3)
    assert any("12,000 buildings" in p.text for p in top)


def test_the_other_language_passages_are_searched_with_the_question_translated(qa):
    """BM25 over the English passages also gets the question's words as English says them (lexicon:
    émissaire -> envoy, arrivé -> landed, Moscou -> Moscow), so the Witkoff passage, which shares no word
    with the French question, is a BM25 candidate and among the candidates fused. (Its final rank among
    French passages on the same talks moves with the stemmer and embedder releases: not asserted.)"""
    question = "Quel émissaire américain est arrivé à Moscou pour discuter du plan américain ?"
    from rag.language.names import translations
    english = {a for alts in translations(question).values() for a in alts}
    assert {"envoy", "landed", "moscow"} <= english

    def witkoff(ids):
        return [c.id for c in qa.store.get(ids) if "Steve Witkoff landed in Moscow" in c.text]

    n = qa.settings.candidates
    lexical = [i for i, _ in qa.lexical_search(question, n, filters={"lang": ["en"]})]
    assert witkoff(lexical)
    fused = qa.retriever.retrieve(question, k=n)
    assert set(witkoff(lexical)) & {p.id for p in fused}


def test_near_duplicate_passages_collapse():
    a = Passage("a", "Le ministère russe a affirmé avoir abattu 77 drones dont 30 au-dessus de Briansk.",
                ChunkMeta("1"))
    b = Passage("b", "Le ministère russe a affirmé jeudi avoir abattu 77 drones dont 30 au-dessus de Briansk.",
                ChunkMeta("2"))
    c = Passage("c", "Le G7 se réunit au Canada.", ChunkMeta("3"))
    assert [p.id for p in dedup([a, b, c], 0.6)] == ["a", "c"]


def test_recency_boost_halves_scores_per_half_life_and_spares_undated():
    old = Passage("old", "t", ChunkMeta("o", date="2025-03-01"), score=1.0)
    new = Passage("new", "t", ChunkMeta("n", date="2025-03-11"), score=0.6)
    undated = Passage("u", "t", ChunkMeta("u"), score=0.55)
    ranked = recency_boost([old, new, undated], date(2025, 3, 11), half_life_days=10)
    assert [(p.id, p.score) for p in ranked] == [("new", 0.6), ("u", 0.55), ("old", 0.5)]


def test_names_match_across_hyphens_and_acronyms_match_their_names():
    """PIAF questions refused at the gate: 'Tite Live' vs 'Tite-Live', 'la nouvelle Amsterdam' vs
    'la Nouvelle-Amsterdam', 'aux JO de 2016' vs 'aux Jeux olympiques de 2016'."""
    from rag.language.names import entities, entity_coverage
    assert entity_coverage(entities("Que veut dire pomérium selon Tite Live ?"), "selon Tite-Live, le mur") == 1.0
    assert entity_coverage({"amsterdam"}, "directeur général de la Nouvelle-Amsterdam") == 1.0
    assert entity_coverage({"jo"}, "Le Brésil a gagné aux Jeux olympiques de 2016.") == 1.0
    assert entity_coverage({"jo"}, "Le Brésil a gagné la Coupe du monde.") == 0.0
    assert entity_coverage({"etats-unis"}, "the United States said") == 1.0


def test_entity_match_accepts_french_and_english_spellings_of_a_place():
    from rag.language.names import entities, entity_coverage
    question = entities("What is the death toll in Myanmar?")
    assert entity_coverage(question, "Le séisme en Birmanie a fait 1.644 morts") == 1.0
    assert entity_coverage({"onu"}, "The United Nations warned") == 1.0
    assert entity_coverage({"onu"}, "a UN official said") == 0.0  # 'un' is also a French article: no short alias
    assert entity_coverage(entities("Quel bilan en Turquie ?"), "Le séisme en Birmanie") == 0.0
