from pathlib import Path

from rag.ingest.chunking import chunk_dispatch
from rag.ingest.dispatch import read_file
from rag.language.sentences import split_sentences

CORPUS = Path(__file__).resolve().parent.parent / "eval" / "corpus"


def test_chunk_offsets_quote_exact_source_text():
    for f in CORPUS.iterdir():
        d = read_file(f, 10**7).dispatches[0]
        raw = f.read_text(encoding="utf-8")
        for c in chunk_dispatch(d, 40):
            assert raw[c.meta.start:c.meta.end] == c.text
            assert c.text.strip() == c.text and c.text


def test_chunks_stay_inside_paragraphs_and_respect_size():
    d = read_file(CORPUS / "2025-03-13-drones-briansk.fr.txt", 10**7).dispatches[0]
    small = chunk_dispatch(d, 30)
    big = chunk_dispatch(d, 1000)
    assert len(small) > len(big)
    assert all("\n\n" not in c.text for c in small)
    assert {c.meta.paragraph for c in small} == {c.meta.paragraph for c in big}
    caption = [c for c in big if c.meta.is_caption]
    assert len(caption) == 1 and caption[0].text.endswith("( AFP / STRINGER )")
    assert any(c.meta.section == '"Une pression maximale"' for c in big)


def test_chunk_ids_are_stable_and_version_specific():
    d = read_file(CORPUS / "2025-03-13-drones-briansk.fr.txt", 10**7).dispatches[0]
    ids = [c.id for c in chunk_dispatch(d)]
    assert ids == [c.id for c in chunk_dispatch(d)]
    d.text = d.text.replace("77", "78")
    assert not set(ids) & {c.id for c in chunk_dispatch(d)}


def test_sentence_split_keeps_abbreviations():
    text = "M. Zelensky a parlé. Le porte-parole, Dmitri Peskov, a répondu ! Fin"
    parts = [text[s:e] for s, e in split_sentences(text)]
    assert parts == ["M. Zelensky a parlé.", "Le porte-parole, Dmitri Peskov, a répondu !", "Fin"]
