"""The incremental ingest: sources on disk -> passages in the index.

For each source file: hash its bytes; if the index already holds exactly that version, whole,
skip it without reading further. Otherwise load and chunk it; passages whose id (derived from
source, position and text) is already stored keep their vector, the rest are embedded in one
batch. New versions are written before old ones are removed, and sources gone from disk are
deleted. A source that fails keeps whatever the index already had for it.

A rebuild (`rebuild=True`) runs the same steps into an empty index that replaces the live
one only if every source was read: there is no old version to keep for one that fails.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.ground.config import Settings
from app.ground.embedding import Embedder
from app.ground.errors import AppError
from app.ground.products import ProductCatalog
from app.index.models import PASSAGE_FORMAT, Passage, SourceState, passage_id
from app.index.protocols import IndexWriter
from app.index.sparse import get_bm25
from app.index.store import open_writer
from ingest.chunking import chunk_document, passage_context
from ingest.document import LoadContext, ParsedDocument, SourceError
from ingest.loaders import loader_for
from ingest.report import IngestReport, SourceOutcome
from ingest.screening import screen_documents, screening_fingerprint
from ingest.sources import Discovery, SourceFile, content_hash, default_doc_type, discover

ProgressFactory = Callable[[int, str], Callable[[int], None]]


@dataclass
class _Planned:
    """A source that needs (re)indexing, with its freshly built passages."""

    file: SourceFile
    passages: list[Passage]
    previous: SourceState | None
    warnings: list[str]


def embedding_text(passage: Passage) -> str:
    """What is embedded and keyword-indexed: where the passage sits, then the passage."""
    return f"{passage_context(passage.title, passage.heading_path)}\n\n{passage.text}"


def run_ingest(
    paths: Sequence[Path],
    *,
    settings: Settings,
    embedder_factory: Callable[[], Embedder],
    progress: ProgressFactory | None = None,
    writer: IndexWriter | None = None,
    rebuild: bool = False,
) -> IngestReport:
    """Bring the index in line with `paths`; the report says what happened to each source.

    `writer` defaults to the configured engine's; pass one to ingest into another index.
    `rebuild`: index `paths` from scratch and switch to the result (what the index held from
    other folders is dropped); a given `writer` must then be a fresh one.
    """
    started = time.perf_counter()
    for path in paths:  # checked before taking the index lock: a typo should fail fast
        if not path.exists():
            raise AppError("usage", f"no such file or folder: {path}")
    if writer is None:
        writer = open_writer(settings, dimension=settings.embedding_dimension, rebuild=rebuild)
    try:
        states = writer.source_states()
        discovery = discover(list(paths), frozenset(root for root, _ in states))
        report = IngestReport(roots=sorted({s.root for s in discovery.scopes}))
        report.ignored = discovery.ignored
        catalogs = _load_catalogs(discovery)
        planned: list[_Planned] = []
        for file in discovery.files:
            outcome, plan = _plan_source(
                file, states.get((file.root, file.source)), settings, catalogs[file.root]
            )
            if plan is not None:
                planned.append(plan)
            elif outcome is not None:
                report.outcomes.append(outcome)
        if rebuild:
            _check_rebuild_sources(report)  # before the embedding minutes, not after
        _write(
            writer,
            planned,
            report,
            settings=settings,
            embedder_factory=embedder_factory,
            progress=progress,
        )
        _delete_missing(writer, discovery, states, report)
        report.passages_total = writer.count()
        if rebuild and report.passages_total == 0:
            raise AppError("usage", "the rebuild found no passages; the live index is unchanged")
        writer.commit()
    except BaseException:
        writer.abort()
        raise
    report.outcomes.sort(key=lambda o: o.source)
    report.duration_s = time.perf_counter() - started
    return report


def _check_rebuild_sources(report: IngestReport) -> None:
    """A rebuild must not switch to an index that lacks a source the old one had."""
    if not report.failures:
        return
    failed = "; ".join(f"{o.source}: {o.reason}" for o in report.failures[:5])
    more = f" (and {len(report.failures) - 5} more)" if len(report.failures) > 5 else ""
    raise AppError(
        "rebuild_incomplete",
        f"rebuild stopped, the live index is unchanged: {len(report.failures)} source(s) "
        f"could not be read ({failed}{more}); fix or remove them, or run an incremental ingest",
    )


def _load_catalogs(discovery: Discovery) -> dict[str, ProductCatalog]:
    catalogs: dict[str, ProductCatalog] = {}
    for scope in discovery.scopes:
        try:
            catalogs[scope.root] = ProductCatalog.load(Path(scope.root))
        except ValueError as exc:
            raise AppError("config", str(exc)) from exc
    return catalogs


def _plan_source(
    file: SourceFile, state: SourceState | None, settings: Settings, catalog: ProductCatalog
) -> tuple[SourceOutcome | None, _Planned | None]:
    """Decide what to do with one file: skip it, fail it, or build its passages."""
    limit_mb = (
        settings.ingest.max_pdf_file_mb
        if file.suffix == ".pdf"
        else settings.ingest.max_text_file_mb
    )
    try:
        size = file.path.stat().st_size
        if size > limit_mb * 1024 * 1024:
            raise SourceError(
                f"file is {size / 1024 / 1024:.1f} MB, over the {limit_mb:g} MB limit for "
                f"{file.suffix} files (SUPPORTBOT_INGEST__MAX_"
                f"{'PDF' if file.suffix == '.pdf' else 'TEXT'}_FILE_MB)"
            )
        raw = file.path.read_bytes()
        # The version of a source is its bytes read under this passage format and product
        # catalog: a change to either re-indexes it.
        # So are the screening rules and the own domains they check addresses against.
        screening = screening_fingerprint(settings.ingest.own_domains)
        source_hash = content_hash(
            raw + f"\x00{PASSAGE_FORMAT}\x00{catalog.fingerprint}\x00{screening}".encode()
        )
        if state is not None and state.is_complete(source_hash):
            return SourceOutcome(file.source, "unchanged", len(state.all_ids)), None
        documents = load_documents(file, raw)
    except SourceError as exc:
        return SourceOutcome(file.source, "failed", reason=str(exc)), None
    except OSError as exc:
        return SourceOutcome(
            file.source, "failed", reason=f"could not read file: {exc.strerror}"
        ), None
    except RecursionError:
        return SourceOutcome(file.source, "failed", reason="structure is nested too deeply"), None
    except Exception as exc:  # a loader bug must not stop the other sources
        return SourceOutcome(
            file.source, "failed", reason=f"unexpected {type(exc).__name__}: {exc}"
        ), None
    screen_documents(documents, settings.ingest.own_domains)
    passages = _build_passages(file, documents, source_hash, settings, catalog)
    warnings = [w for d in documents for w in d.warnings]
    if not passages and state is None:
        # A page that is only a title (a docs index whose body comes from includes) loaded
        # fine but has nothing to index: the index stays as it was, with a warning.
        return SourceOutcome(file.source, "unchanged", 0, warnings=warnings), None
    return None, _Planned(file, passages, state, warnings)


def load_documents(file: SourceFile, raw: bytes) -> list[ParsedDocument]:
    loader = loader_for(file.path)
    if loader is None:  # discover() only yields supported files
        raise SourceError(f"unsupported format {file.suffix}")
    return loader(raw, LoadContext(file.source, default_doc_type(file.source)))


def _build_passages(
    file: SourceFile,
    documents: list[ParsedDocument],
    source_hash: str,
    settings: Settings,
    catalog: ProductCatalog,
) -> list[Passage]:
    chunks = []
    for document in documents:
        products = _products_for(document, file, catalog)
        for chunk in chunk_document(
            document,
            target_tokens=settings.ingest.target_tokens,
            max_tokens=settings.ingest.max_tokens,
            min_tokens=settings.ingest.min_tokens,
        ):
            chunks.append((document, products, chunk))
    passages = []
    for ordinal, (document, products, chunk) in enumerate(chunks):
        digest = content_hash(
            "\x00".join([document.title, " > ".join(chunk.heading_path), chunk.text, *products])
        )
        passages.append(
            Passage(
                id=passage_id(file.root, file.source, ordinal, digest),
                text=chunk.text,
                source=file.source,
                root=file.root,
                title=document.title,
                heading_path=chunk.heading_path,
                section_paths=chunk.section_paths,
                section_spans=chunk.section_spans,
                doc_type=str(document.doc_type),
                content_hash=digest,
                source_hash=source_hash,
                source_passages=len(chunks),
                ordinal=ordinal,
                products=products,
                url=document.url,
                page=chunk.page,
                record_id=document.record_id,
                metadata=document.metadata,
            )
        )
    return passages


def _products_for(
    document: ParsedDocument, file: SourceFile, catalog: ProductCatalog
) -> tuple[str, ...]:
    """The document's products, main one first: its explicit product field, else the
    nearest folder named after a product; then every product its title names."""
    main = catalog.add(document.product) if document.product else None
    if main is None:
        folders = Path(file.source).parts[:-1]
        main = next((p for f in reversed(folders) if (p := catalog.canonical(f))), None)
    named = catalog.detect_all(document.title, Path(file.source).stem)
    if main is None and named:
        # Of several names in a title, the longest is the main one ("LA-6 Pro" over "LA-6").
        main = catalog.detect(document.title, Path(file.source).stem)
    ordered = [main] if main else []
    return tuple(dict.fromkeys(ordered + named))


def _write(
    writer: IndexWriter,
    planned: list[_Planned],
    report: IngestReport,
    *,
    settings: Settings,
    embedder_factory: Callable[[], Embedder],
    progress: ProgressFactory | None,
) -> None:
    """Embed what is new, then upsert every planned source (new version before old deletes)."""
    passages = [p for plan in planned for p in plan.passages]
    if not passages:
        return
    reused = writer.dense_vectors([p.id for p in passages])
    to_embed = [p for p in passages if p.id not in reused]
    vectors: dict[str, list[float]] = dict(reused)
    if to_embed:
        embedder = embedder_factory()
        if embedder.dimension != settings.embedding_dimension:
            raise AppError(
                "config",
                f"the embedding model makes {embedder.dimension}-d vectors but the index expects "
                f"{settings.embedding_dimension} (SUPPORTBOT_EMBEDDING_DIMENSION)",
            )
        tick = progress(len(to_embed), "embedding") if progress else None
        embedded = embedder.embed_documents([embedding_text(p) for p in to_embed], progress=tick)
        vectors.update({p.id: embedded[i].tolist() for i, p in enumerate(to_embed)})
    report.passages_embedded += len(to_embed)
    report.passages_reused += len(passages) - len(to_embed)

    bm25 = get_bm25()
    for plan in planned:
        dense = np.asarray([vectors[p.id] for p in plan.passages], dtype=np.float32)
        sparse = [bm25.encode_document(embedding_text(p)) for p in plan.passages]
        writer.upsert(plan.passages, dense, sparse)
        if plan.previous is not None:
            writer.delete(plan.previous.all_ids - {p.id for p in plan.passages})
        report.outcomes.append(
            SourceOutcome(
                plan.file.source,
                "updated" if plan.previous is not None else "added",
                len(plan.passages),
                warnings=plan.warnings,
            )
        )


def _delete_missing(
    writer: IndexWriter,
    discovery: Discovery,
    states: dict[tuple[str, str], SourceState],
    report: IngestReport,
) -> None:
    """Remove sources that are gone from disk, within what this run is responsible for."""
    present = {(f.root, f.source) for f in discovery.files}
    for scope in discovery.scopes:
        for (root, source), state in states.items():
            if root != scope.root or (root, source) in present:
                continue
            if scope.only is not None and source not in scope.only:
                continue
            writer.delete(state.all_ids)
            report.outcomes.append(SourceOutcome(source, "deleted", len(state.all_ids)))
