"""News-aware answers on small corpora written for these tests (tests/data/news): two versions of one
story with different tolls, two same-day sources that disagree, a quote with its speaker."""
import pytest

from rag import Assistant
from rag.reading.figures import asked_quantities, figures
from rag.reading.quotes import find_quotes

from conftest import DATA, make_settings

NEWS = DATA / "news"


@pytest.fixture(scope="module")
def news(tmp_path_factory) -> Assistant:
    qa = Assistant(make_settings(tmp_path_factory.mktemp("news-index")))
    report = qa.ingest([NEWS], progress=False)
    assert len(report.added) == 4, report.summary()
    return qa


def test_figures_and_their_quantities():
    found = figures("Le bilan s'est alourdi samedi à 1.644 morts. More than 4,500 people were injured and "
                    "441 were still missing. Il est mort le 21 avril à 88 ans, en 2025.")
    assert [(f.key, f.value) for f in found] == [("dead", 1644), ("injured", 4500), ("missing", 441)]
    assert asked_quantities("Quel est le bilan des inondations ?") == {"dead"}
    assert asked_quantities("How many people were injured?") == {"injured"}


def test_newer_version_wins_and_older_is_named_with_both_citations(news: Assistant):
    answer = news.ask("Quel est le bilan des inondations à Montrival ?")
    assert not answer.refused and len(answer.disagreements) == 1
    d = answer.disagreements[0]
    assert (d.key, d.newer.value, d.older.value, d.newer_date, d.older_date, d.same_day) == \
        ("dead", 19, 12, "2025-06-03", "2025-06-02", False)
    assert answer.text.startswith("Selon la dépêche la plus récente (3 juin 2025), le bilan est de 19 morts [1]. "
                                  "Une version antérieure (2 juin 2025) donnait 12 morts [2].")
    assert answer.citations[0].date == "2025-06-03" and "19 morts" in answer.citations[0].text
    assert answer.citations[1].date == "2025-06-02" and "12 morts" in answer.citations[1].text
    # No other sentence states either toll on its own.
    rest = answer.text.split("12 morts [2].", 1)[1]
    assert "12 morts" not in rest and "19 morts" not in rest


def test_repeated_paragraph_of_an_older_version_is_collapsed_into_the_newest(news: Assistant):
    passages = news.retrieve("Pourquoi la rivière Aubrelle est-elle sortie de son lit ?", k=6)
    repeated = [p for p in passages if p.text.startswith("La rivière Aubrelle est sortie de son lit")]
    assert len(repeated) == 1 and repeated[0].meta.date == "2025-06-03"


def test_same_day_sources_that_disagree_are_both_cited(news: Assistant):
    answer = news.ask("Combien de blessés le déraillement du train près de Valbrune a-t-il fait ?")
    assert len(answer.disagreements) == 1 and answer.disagreements[0].same_day
    assert answer.text.startswith("Les dépêches divergent : le nombre de blessés est de ")
    values = {answer.disagreements[0].newer.value, answer.disagreements[0].older.value}
    assert values == {23, 31}
    cited = {c.source for c in answer.citations[:2]}
    assert cited == {"TESTWIRE", "OTHERWIRE"}


def test_speakers_of_quotes_are_found():
    quotes = find_quotes('"La balle est dans le camp de la Russie", a déclaré Marco Rubio devant la presse. '
                         'Le porte-parole du Kremlin, Dmitri Peskov, a jugé possible un appel "dans un délai court". '
                         'Mark Carney a prêté serment. "Nous sommes plus forts", a-t-il déclaré à Ottawa. '
                         '"We are not out of danger yet," fire chief Anthony Marrone told reporters. '
                         'Trump called it "very promising" and said more.')
    assert [(q.text, q.speaker) for q in quotes] == [
        ("La balle est dans le camp de la Russie", "Marco Rubio"), ("dans un délai court", "Dmitri Peskov"),
        ("Nous sommes plus forts", "Mark Carney"), ("We are not out of danger yet,", "Anthony Marrone"),
        ("very promising", "Trump")]


def test_a_speaker_named_after_his_title_is_the_person_not_the_title():
    quotes = find_quotes('"Ils ont volé un patrimoine inestimable", a déclaré la ministre de la Culture, Rachida '
                         'Dati, qui s\'est rendue sur place. "Nous restons unis", a déclaré Emmanuel Macron, aux '
                         'côtés d\'Olaf Scholz.')
    assert [q.speaker for q in quotes] == ["Rachida Dati", "Emmanuel Macron"]


def test_quoted_claim_is_attributed_to_its_speaker(news: Assistant, scripted):
    """Scripted LLM: the model states a quote as a fact; the answer says who said it."""
    ans = scripted(news, "Nous reconstruirons chaque maison [1].").ask("Que promet le maire de Montrival ?")
    assert ans.text.startswith("Selon Paul Vernet, nous reconstruirons chaque maison [1]")
    assert ans.sentences[0].speaker == "Paul Vernet" and "Paul Vernet" in ans.citations[0].speakers


def test_sentence_with_a_number_not_in_its_passage_is_dropped(news: Assistant, scripted):
    """Scripted LLM: '45' appears in no passage, so that sentence goes; the supported one stays."""
    ans = scripted(news, "L'eau a atteint deux mètres dans les quartiers bas [1]. La crue a détruit 45 ponts [1].") \
        .ask("Quelle hauteur l'eau a-t-elle atteint à Montrival ?")
    assert "45" not in ans.text and [s.text for s in ans.dropped] == ["La crue a détruit 45 ponts."]
    assert ans.dropped[0].support < 0.45 and ans.sentences[0].support >= 0.45
    assert ans.text.startswith("L'eau a atteint deux mètres dans les quartiers bas [1].")


def test_nothing_supported_becomes_a_refusal_without_extractive_fallback(news: Assistant, scripted):
    """Scripted LLM: its only sentence has a figure no passage holds."""
    answerer = scripted(news, "L'eau a atteint 45 mètres à Montrival [1].", extractive_fallback=False)
    ans = answerer.ask("Quelle hauteur l'eau a-t-elle atteint à Montrival ?")
    assert ans.refused and ans.text == "Je ne trouve pas cette information dans les dépêches."
    # asked twice (the second time on the best sentence alone), dropped twice
    assert ans.citations == [] and [s.text for s in ans.dropped] == ["L'eau a atteint 45 mètres à Montrival."] * 2


def test_version_notes_are_an_answer_even_when_the_models_sentence_fails(news: Assistant, scripted):
    """Scripted LLM: its toll is wrong, but the checked note on the two versions was shown first and stays."""
    answerer = scripted(news, "La crue a fait 45 morts [1].", extractive_fallback=False)
    ans = answerer.ask("Quel est le bilan des inondations à Montrival ?")
    assert not ans.refused and ans.text.startswith("Selon la dépêche la plus récente (3 juin 2025)")
    assert "45" not in ans.text and [s.text for s in ans.dropped] == ["La crue a fait 45 morts."]


def test_counts_leave_out_magnitudes_ordinals_years_and_dates():
    from rag.reading.figures import counts
    assert counts("La région de Briansk en a compté 30, le 13 mars 2025.") == {30}
    assert counts("The magnitude 7.7 earthquake; Carney, 24e Premier ministre, a 69 ans.") == set()
    assert counts("More than 4,500 people were injured") == {4500}


def test_figures_of_two_different_stories_are_not_versions():
    from rag import ChunkMeta, Passage
    from rag.answer.versions import disagreements
    from rag.values import Evidence

    def passage(n, dispatch, date, text, names):
        meta = ChunkMeta(dispatch_id=dispatch, date=date, doc_names=tuple(names.split()))
        return Evidence(n, Passage(dispatch, text, meta))

    flood_new = passage(1, "crue-2", "2025-06-03", "Le bilan s'est alourdi à 19 morts.", "montrival aubrelle vernet")
    flood_old = passage(2, "crue-1", "2025-06-02", "Le bilan s'élève à 12 morts.", "montrival aubrelle")
    fire = passage(0, "feu", "2025-06-03", "L'incendie a fait 3 morts.", "lorvel entrepot")  # best ranked
    later = passage(4, "crue-9", "2025-09-30", "Le bilan final est de 25 morts.", "montrival aubrelle")
    found = disagreements([flood_new, flood_old, fire], {"dead"})
    assert [(d.newer.value, d.older.value) for d in found] == [(19, 12)]
    assert disagreements([flood_new, fire], {"dead"}) == []
    assert disagreements([later, flood_old], {"dead"}) == []  # months apart: another story


def test_a_newer_version_in_the_other_language_is_compared(qa: Assistant):
    """Sample corpus: Birmanie 1.644 (29 March, fr), 1.700 (30 March, fr), Myanmar 2,719 (1 April, en)."""
    answer = qa.ask("Quel est le bilan du séisme en Birmanie ?", as_of="2025-04-02")
    d = answer.disagreements[0]
    assert (d.newer.value, d.newer_date, d.older.value, d.older_date) == (2719, "2025-04-01", 1700, "2025-03-30")
    assert answer.text.startswith("Selon la dépêche la plus récente (1er avril 2025), le bilan est de "
                                  "2\u00a0719 morts [1].")  # the English figure, written the French way
    assert answer.citations[0].lang == "en" and answer.citations[1].lang == "fr"
    assert "Une version antérieure (29 mars 2025) donnait 1\u00a0644 morts [3]." in answer.text  # and the first one
    earlier = qa.ask("Quel est le bilan du séisme en Birmanie ?", as_of="2025-03-31")  # before the English one
    assert (earlier.disagreements[0].newer.value, earlier.disagreements[0].older.value) == (1700, 1644)
