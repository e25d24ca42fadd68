from __future__ import annotations

import pytest

from indexer.answer.question import AnswerKind, event_wordings, expected_kind, kind_evidence


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
        ("Кто возглавлял делегацию?", "person"),  # Russian question words: indexer/answer/russian.py
        ("What share of our international students come from China?", "number"),
        ("What proportion of the budget goes to research?", "number"),
        ("Which big Chinese companies has the office partnered with?", "organisation"),
        ("Which two Chinese universities are our closest partners?", "organisation"),
        ("Which labs did the guests see?", None),
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
        # A share is best answered by a proportion; any other number is weak evidence.
        ("number", "What share of students come from China?", "They account for almost half of them.", 1.0),
        ("number", "What share of students come from China?", "Some 40 % of them do.", 1.0),
        ("number", "What share of students come from China?", "More than 2,150 students from China.", 0.5),
        ("number", "What share of students come from China?", "Many students come from China.", 0.0),
        # An organisation of the asked sort, other than one the question names; none is neutral.
        ("organisation", "Which big companies has it partnered with?", "Partners include Haier Group.", 1.0),
        ("organisation", "Which companies did Haier Group join?", "Haier Group grew.", 0.5),
        ("organisation", "Which companies has it partnered with?", "It joined Nanjing University.", 0.5),
        ("organisation", "Which universities came?", "Nanjing University of Science and Technology came.", 1.0),
        ("organisation", "Which universities came?", "The Russian Academy of Sciences came.", 0.5),
    ],
)
def test_kind_evidence(kind: AnswerKind, question: str, text: str, evidence: float) -> None:
    assert kind_evidence(kind, question, text) == evidence


def test_no_kind_no_evidence() -> None:
    assert kind_evidence(None, "What is the plan?", "In April 2016.") == 0.0


def test_the_event_a_question_names_matches_its_usual_wordings() -> None:
    wordings = event_wordings("What has been set up under the Technopolis project to help startups?")
    assert wordings is not None
    assert wordings.search("An accelerator has now been created under the project.")
    assert not wordings.search("Among them is the Technopolis project.")
    assert event_wordings("Which labs did the guests see?") is None
