"""Questions offered after an answer (rag/answer/examples.py follow_ups, Assistant.follow_up_questions), built
from the dispatches the answer cites, on the real sample corpus."""
from rag import Answer, Assistant, Citation


def cited(qa: Assistant, dispatch_id: str, holding: str) -> Answer:
    """An answer of ours citing the passage of `dispatch_id` that holds `holding` (what the model wrote does not
    matter here: the questions come from the dispatches)."""
    c = next(c for c in qa.store.chunks_of(dispatch_id) if holding in c.text)
    citation = Citation(1, c.id, dispatch_id, c.meta.path, c.meta.date, c.meta.title, c.meta.lang, "", "",
                        c.text, 0, len(c.text), False)
    return Answer("Combien de drones ont été abattus au-dessus de Briansk ?",
                  "La région de Briansk en a compté 30 à elle seule [1].", "fr", [citation])


def test_the_questions_offered_are_what_the_cited_dispatch_says_beyond_the_answer(qa: Assistant):
    ans = cited(qa, "2025-03-13-drones-briansk.fr", "en a compté 30")
    offered = qa.follow_up_questions(ans, n=3)
    assert len(offered) == 3 and "Qu'a déclaré Dmitri Peskov ?" in offered and \
        "Kherson : que s'est-il passé le 13 mars 2025 ?" in offered, offered
    assert not any("Briansk" in q for q in offered)  # the place just asked about
    # in the UI's language, a place named as English writes it; nothing already asked is offered again
    english = qa.follow_up_questions(ans, ["What did Dmitri Peskov say?"], n=5, lang="en")
    assert "Kaluga: what happened on March 13, 2025?" in english, english
    assert not any("Peskov" in q for q in english), english
    assert not any("Kalouga" in q for q in english)


def test_a_place_asked_under_another_spelling_is_not_offered_again(qa: Assistant):
    """After 'Birmanie : quel est le dernier bilan ?', 'Myanmar : quel est le dernier bilan ?' was offered."""
    ans = cited(qa, "2025-03-29-seisme-birmanie.fr", "1.644")
    offered = qa.follow_up_questions(ans, ["Myanmar : quel est le dernier bilan ?"], n=10)
    assert offered and not any("Birmanie" in q or "Myanmar" in q or "Burma" in q for q in offered), offered


def test_a_refusal_offers_nothing_and_a_caption_or_a_cut_name_is_not_asked_about(qa: Assistant):
    ans = cited(qa, "2025-03-13-drones-briansk.fr", "en a compté 30")
    assert qa.follow_up_questions(Answer(ans.question, "Je ne trouve pas.", "fr", refused=True)) == []
    every = qa.follow_up_questions(ans, n=20)
    assert not any("STRINGER" in q or "AFP" in q for q in every), every  # the photo caption's credit
    assert not any(q.startswith("Qu'a déclaré un ") for q in every), every  # "un diplomate européen"


def test_first_screen_examples_ask_about_places_named_in_the_ui_language(qa: Assistant):
    """'Valery Gerasimov : combien de prisonniers ?' was offered (a person is no headline topic), and an English
    screen offered 'Briansk: how many drones were shot down?' in the French dispatch's spelling."""
    fr, en = qa.example_questions("fr", 3), qa.example_questions("en", 4)
    assert "Briansk : combien de drones ont été abattus ?" in fr and "Bryansk: how many drones were shot down?" in en
    assert not any("Gerasimov" in q for q in fr + en), (fr, en)
