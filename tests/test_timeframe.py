"""Time expressions become date ranges relative to as_of; answers use them as filters."""
from datetime import date

import pytest

from rag import Filters
from rag.errors import ConfigError
from rag.language.timeframe import parse_as_of, resolve

AS_OF = date(2025, 3, 14)  # a Friday


@pytest.mark.parametrize("question, start, end", [
    ("Combien de drones ont été abattus hier ?", "2025-03-13", "2025-03-13"),
    ("Qu'a dit Zelensky la semaine dernière ?", "2025-03-03", "2025-03-09"),
    ("Que s'est-il passé en mars 2025 ?", "2025-03-01", "2025-03-31"),
    ("Qui a gagné en mai ?", "2024-05-01", "2024-05-31"),  # the last May before as_of
    ("What happened on March 13?", "2025-03-13", "2025-03-13"),
    ("What happened on March 13, 2024?", "2024-03-13", "2024-03-13"),  # as AP writes a day (the comma)
    ("Quel bilan le 12 mars 2025 ?", "2025-03-12", "2025-03-12"),
    ("What was said 3 days ago?", "2025-03-11", "2025-03-14"),
    ("What happened last month?", "2025-02-01", "2025-02-28"),
    ("Who won in 2024?", "2024-01-01", "2024-12-31"),
])
def test_time_expressions_resolve_against_as_of(question, start, end):
    frame = resolve(question, AS_OF)
    assert (frame.start.isoformat(), frame.end.isoformat()) == (start, end)


@pytest.mark.parametrize("question", ["Quel est le bilan du séisme ?", "Eurovision 2025 winner?",
                                      "Que s'est-il passé le 31 février ?"])
def test_no_time_expression_no_range(question):
    assert resolve(question, AS_OF) is None


@pytest.mark.parametrize("question, as_of", [
    ("How has Ukraine fared since its war with Russia began in 2022?", "2025-03-14"),
    ("What does the plan announced on Friday refer to 2 April?", "2025-03-28"),  # the coming 2 April
    ("On July 4, 1776, what did the colonies declare?", "2025-03-14"),  # history, not the news' date
    ("Was the vote delayed until May 2026?", "2025-03-14"),  # the future
    ("Depuis 2014, combien de morts dans le Donbass ?", "2025-03-14"),
])
def test_dates_that_are_not_when_the_news_happened_filter_nothing(question, as_of):
    from datetime import date as d
    assert resolve(question, d.fromisoformat(as_of)) is None


def test_a_date_without_a_year_is_the_nearest_one():
    from datetime import date as d
    assert resolve("Que s'est-il passé le 27 mars ?", d(2025, 3, 28)).start == d(2025, 3, 27)
    assert resolve("Que s'est-il passé le 20 décembre ?", d(2025, 1, 5)).start == d(2024, 12, 20)


def test_as_of_parsing_and_filter_narrowing():
    assert parse_as_of("2025-03-14") == AS_OF and parse_as_of(None) == date.today()
    with pytest.raises(ConfigError, match="YYYY-MM-DD"):
        parse_as_of("14/03/2025")
    narrowed = Filters(date_from="2025-03", lang=["fr"]).narrow(date(2025, 2, 20), date(2025, 3, 13))
    assert (narrowed.date_from, narrowed.date_to, narrowed.lang) == ("2025-03-01", "2025-03-13", ["fr"])


def test_hier_with_a_fixed_as_of_finds_that_days_dispatch_and_only_it(qa):
    """Real index: "hier" on 2025-03-14 is 13 March (drones over Briansk); on 2025-03-20 nothing matches."""
    answer = qa.ask("Combien de drones ont été abattus hier ?", as_of="2025-03-14")
    assert not answer.refused and answer.timeframe.startswith("hier")
    assert {p.meta.date for p in answer.passages} == {"2025-03-13"}
    assert all(c.date == "2025-03-13" for c in answer.citations) and ("77" in answer.text or "30" in answer.text)
    later = qa.ask("Combien de drones ont été abattus hier ?", as_of="2025-03-20")
    assert later.refused and "2025-03-19" in later.text


def test_as_of_hides_later_dispatches(qa):
    passages = qa.retrieve("Who won the Eurovision Song Contest?", as_of="2025-04-30")
    assert passages and all(p.meta.date <= "2025-04-30" for p in passages)
    assert "2025-05-18" in {p.meta.date for p in qa.retrieve("Who won the Eurovision Song Contest?")}


def test_weekdays_and_today_in_a_dispatch_mean_days_before_its_date():
    from rag.language.dates import days_meant
    friday = date(2025, 5, 9)
    assert days_meant("Le pape a été élu jeudi.", friday) == {date(2025, 5, 8)}
    assert days_meant("Il s'exprimera vendredi ; hier, il s'était tu.", friday) == {friday, date(2025, 5, 8)}
    assert days_meant("The toll rose on Tuesday, officials said today.", date(2025, 4, 1)) == {date(2025, 4, 1)}
    assert days_meant("Le 8 mai, le conclave a voté.", friday) == set()

