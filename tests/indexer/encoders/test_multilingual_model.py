"""A multilingual model configured by path: dense and hybrid ranking across languages.

No model is downloaded: the test builds a tiny sentence-transformers model from a WordPiece
tokenizer trained on a few sentences and a BERT with no attention layers, whose word vectors
are shared between a handful of Russian words and their English translations. Mean pooling
then puts a Russian question next to the English sentence that says the same, which is all a
real multilingual model does at scale; the test proves the plumbing, not the model.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.build.builder import BuildOptions, build_index
from indexer.search.retriever import Retriever

QUESTION = "Когда открылось представительство в Шанхае?"
ARTICLES = {
    "en_shanghai.txt": (
        "Office opens in Shanghai\n\nThe university opened a representative office in Shanghai in April 2016."
    ),
    "en_school.txt": (
        "Summer school ends\n\nEighty students from China attended a summer school on robotics and energy."
    ),
    "ru_suzhou.txt": "Лаборатория JITRI\n\nЛаборатория аддитивных технологий разместится в научном парке JITRI.",
}
TRANSLATIONS = {
    "когда": "when",
    "открылось": "opened",
    "представительство": "office",
    "в": "in",
    "шанхае": "shanghai",
}


def tiny_multilingual_model(directory: Path) -> Path:
    torch = pytest.importorskip("torch")
    from sentence_transformers import SentenceTransformer
    from sentence_transformers import models as st_models
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tokenizer = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=True)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.decoder = decoders.WordPiece()
    texts = [*ARTICLES.values(), QUESTION, "When was the office in Shanghai opened?"]
    tokenizer.train_from_iterator(texts, trainers.WordPieceTrainer(vocab_size=2000, special_tokens=specials))
    vocab = tokenizer.get_vocab()
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", vocab["[CLS]"]), ("[SEP]", vocab["[SEP]"])]
    )
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
    )
    config = BertConfig(
        vocab_size=len(vocab),
        hidden_size=32,
        num_hidden_layers=0,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=128,
    )
    torch.manual_seed(0)
    bert = BertModel(config, add_pooling_layer=False)
    with torch.no_grad():
        # Word identity only: no position or segment signal, and each Russian word shares its
        # English translation's vector.
        bert.embeddings.position_embeddings.weight.zero_()
        bert.embeddings.token_type_embeddings.weight.zero_()
        words = bert.embeddings.word_embeddings.weight
        for russian, english in TRANSLATIONS.items():
            assert russian in vocab and english in vocab, (russian, english)
            words[vocab[russian]] = words[vocab[english]]
        for special in ("[CLS]", "[SEP]"):
            words[vocab[special]] = 0.0
    hf_dir = directory / "hf"
    bert.save_pretrained(hf_dir)
    fast.save_pretrained(hf_dir)
    transformer = st_models.Transformer(str(hf_dir), max_seq_length=128)
    pooling = st_models.Pooling(transformer.get_embedding_dimension(), pooling_mode="mean")
    model_dir = directory / "tiny-bilingual"
    SentenceTransformer(modules=[transformer, pooling, st_models.Normalize()], device="cpu").save(str(model_dir))
    return model_dir


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_multilingual_model(tmp_path_factory.mktemp("model"))


@pytest.fixture
def seeds(tmp_path: Path) -> Path:
    directory = tmp_path / "seeds"
    directory.mkdir()
    for name, text in ARTICLES.items():
        (directory / name).write_text(text, encoding="utf-8")
    return directory


def test_a_russian_question_finds_the_english_article_with_a_model_declared_multilingual(
    model_dir: Path, seeds: Path, tmp_path: Path
) -> None:
    from indexer.encoders.torch_backend import SentenceTransformerEncoder

    encoder = SentenceTransformerEncoder(str(model_dir))
    build_index(seeds, tmp_path / "index", encoder, BuildOptions(model_languages=("en", "ru")))
    retriever = Retriever.open(tmp_path / "index")  # loads the model the manifest names
    assert retriever.index.manifest.model.languages == ("en", "ru")
    reading = retriever.read(QUESTION).reading()
    assert reading.lang == "ru" and reading.dense
    for mode in ("dense", "hybrid"):
        hits = retriever.search(QUESTION, k=3, mode=mode)  # type: ignore[arg-type]
        assert hits[0].passage.article_id == "en_shanghai", [(h.passage.article_id, h.scores) for h in hits]
        assert all(h.scores.dense is not None for h in hits)
    # The same model without the declaration is taken as English-only: keywords alone.
    build_index(seeds, tmp_path / "index-en", encoder, BuildOptions())
    english_only = Retriever.open(tmp_path / "index-en", encoder=encoder)
    assert english_only.index.manifest.model.languages == ("en",)
    assert not english_only.read(QUESTION).reading().dense
    assert all(h.scores.dense is None for h in english_only.search(QUESTION, k=3))
