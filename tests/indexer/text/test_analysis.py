"""The keyword analyser: per-script rules, one function for passages and queries."""

from __future__ import annotations

import bm25s
import Stemmer

from indexer.store.keyword import KeywordIndex
from indexer.text.analysis import acronym_terms, analyse, analyse_passage, analyse_query


def test_english_terms_are_what_bm25s_made_before() -> None:
    # The English part of the analyser must not move the English figures: compare it with
    # bm25s's own English tokenizer, stemmer and stopwords, which built the index until now.
    text = "When was the representative office in Shanghai opened? Delegations, the 2016 co-operation, it's e.g. ATURC"
    reference = bm25s.tokenize(
        [text], stopwords="en", stemmer=Stemmer.Stemmer("english"), return_ids=False, show_progress=False
    )[0]
    assert analyse(text) == list(reference)


def test_russian_is_stemmed_without_stopwords_and_yo_reads_as_ye() -> None:
    assert analyse("Когда открылось представительство в Шанхае?") == ["откр", "представительств", "шанха"]
    assert analyse("Ковалёва") == analyse("Ковалева")
    # Inflected forms meet: the question's "Шанхае" finds the title's "Шанхай".
    assert analyse("Шанхай") == analyse("в Шанхае")
    # Number words are kept: "сколько" questions are answered by them.
    assert "два" in analyse("два года")


def test_chinese_runs_become_bigrams_and_mixed_text_works() -> None:
    assert analyse("上海代表处") == ["上海", "海代", "代表", "表处"]
    assert analyse("海") == ["海"]
    assert analyse("苏州JITRI访问") == ["苏州", "jitri", "访问"]
    assert analyse("визит JITRI в Сучжоу") == ["виз", "jitri", "сучжо"]


def test_keyword_index_finds_russian_and_chinese_across_inflection() -> None:
    index = KeywordIndex.build(
        ["Представительство открылось в Шанхае", "上海代表处成立", "The office in Shanghai", "Летняя школа"]
    )
    russian = index.scores("представительства в Шанхае")
    assert int(russian.argmax()) == 0 and russian[1] == 0 and russian[3] == 0
    chinese = index.scores("上海代表处")
    assert int(chinese.argmax()) == 1 and chinese[0] == 0
    assert index.query_terms("Шанхай") == ["шанха"]
    # An unseen term has the highest IDF, a common one less.
    assert index.idf("неизвестн") > index.idf("шанха")


def test_a_query_is_searched_by_its_topic_not_its_question_words() -> None:
    assert analyse_query("What does TSARI stand for?") == ["tsari", "stand", "tsari~"]
    assert analyse_query("Whose official trip was it?") == ["offici", "trip"]
    # Passages keep those words: only the query drops them.
    assert "what" in analyse("What we did")
    # In an archive of other news the question words are rare, so they used to outweigh the topic.
    others = [f"What does {topic} mean, and what has it done? What does it cost?" for topic in ("rain", "tax", "sport")]
    index = KeywordIndex.build([*others, "The Tsinghua institute (TSARI) will stand by its partners."])
    scores = index.scores("What does TSARI stand for?")
    assert int(scores.argmax()) == 3 and scores[:3].max() == 0


def test_a_name_written_out_gives_the_term_of_its_initials() -> None:
    name = "Nanjing University of Science and Technology"
    assert "nust~" in acronym_terms(f"Guests from {name} visited the labs.")
    # Words capitalised around the name (a sentence's first word, a title after it) do not hide it.
    assert "nust~" in acronym_terms(f"The {name} Rector Li met the delegation.")
    # A word in capitals gives the same term, in a passage and in a query.
    assert "nust~" in analyse_passage("NUST opened a lab.") and "nust~" in analyse_query("Who leads NUST?")
    # Sentence punctuation ends a name; two letters are too few; a heading in title case is no name.
    assert "psu~" not in acronym_terms("Peter. Street University")
    assert not acronym_terms("Zhejiang University")
    assert not acronym_terms("How The Ten Best Universities Of The World Ranked Their Own Students Last Year Again")
    # The terms stay apart from words, and the answerer's words do not change.
    assert acronym_terms("the Central Asian Republics") == ["car~"] and "car" not in analyse_passage(
        "Central Asian Republics"
    )
    assert not [t for t in analyse("Nanjing University of Science and Technology (NUST)") if t.endswith("~")]


def test_a_query_by_acronym_finds_the_passage_that_writes_the_name_out() -> None:
    passages = [
        "The province ranks its universities every year; the best rank high in the province.",
        "Nanjing University of Science and Technology is among the TOP-10 universities in Jiangsu.",
        "Alberta is a province in Canada; its universities receive a distinction in national rankings.",
    ]
    index = KeywordIndex.build(passages)
    scores = index.scores("Which labs does NUST have?")
    assert scores[1] > 0 and scores[0] == scores[2] == 0, scores
    # It weighs as any term of the same document frequency does.
    assert index.idf("nust~") == index.idf("canada")
