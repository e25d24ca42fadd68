from __future__ import annotations

import pytest

from indexer.answer_types import AnswerKind, expected_kind, kind_evidence


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("How many universities are members?", "number"),
        ("how much does it cost", "number"),
        ("When was the office opened?", "time"),
        ("In which year was it founded?", "time"),
        ("Since what year has the conference been running?", "time"),
        ("Who led the delegation?", "person"),
        ("Whose delegation came?", "person"),
        ("Where was the summit held?", "place"),
        ("What does ATURC stand for?", "acronym"),
        ("What is JITRI?", "acronym"),
        ("What is the plan?", None),
        ("What does ATURC mean?", "acronym"),
        ("What does the JITRI Co-op programme offer students?", None),
        ("How will SPbPU pick the students who go on the programme?", None),
        ("Кто возглавлял делегацию?", "person"),  # Russian question words: indexer/text/questions.py
    ],
)
def test_expected_kind(question: str, kind: AnswerKind | None) -> None:
    assert expected_kind(question) == kind


@pytest.mark.parametrize(
    ("kind", "question", "text", "evidence"),
    [
        ("time", "When did it open?", "It opened in April 2016.", 1.0),
        ("time", "When did it open?", "It opened in the fall of 2023.", 1.0),
        ("time", "When did it open?", "It has run for 4 years.", 0.5),
        ("time", "When did it open?", "It opened recently.", 0.0),
        ("number", "How many members?", "Sixty-eight members.", 1.0),
        ("number", "How many members?", "More than 2,150 students.", 1.0),
        ("number", "How many members?", "Founded in 2001, it grew.", 0.0),
        ("number", "How many members?", "Many members joined.", 0.0),
        ("person", "Who led it?", "The visit was led by JITRI First Deputy Director Gao Jun.", 1.0),
        ("person", "Who led it?", "Lu ZHIYU took part in the exhibition.", 0.5),
        ("person", "Who led it?", "Delegation of Nanjing University of Science and Technology arrived.", 0.0),
        ("acronym", "What does ATURC stand for?", "The Association of Technical Universities (ATURC) met.", 1.0),
        ("acronym", "What does ATURC stand for?", "The ATURC summit was held online.", 0.0),
        (
            "person",
            "Who announced it with Vladimir Putin?",
            "President of the Russian Federation Vladimir Putin and President of China Xi Jingping announced it.",
            1.0,
        ),
        ("person", "Who met Vladimir Putin?", "Vladimir Putin arrived.", 0.0),
        ("person", "Who runs the office?", "Lu ZHIYUI, Head of the Office, spoke.", 1.0),
        ("place", "Where was it held?", "The summit was held in Xi'an.", 1.0),
    ],
)
def test_kind_evidence(kind: AnswerKind, question: str, text: str, evidence: float) -> None:
    assert kind_evidence(kind, question, text) == evidence


def test_no_kind_no_evidence() -> None:
    assert kind_evidence(None, "What is the plan?", "In April 2016.") == 0.0
