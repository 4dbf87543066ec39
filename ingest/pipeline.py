"""The incremental ingest: sources on disk -> passages in the index.

For each source file: hash its bytes; if the index already holds exactly that version, whole,
skip it without reading further. Otherwise load and chunk it; passages whose id (derived from
source, position and text) is already stored keep their vector, the rest are embedded in one
batch. New versions are written before old ones are removed, and sources gone from disk are
deleted. A source that fails keeps whatever the index already had for it.

A rebuild (`rebuild=True`) runs the same steps into an empty index that replaces the live
one only if every source was read: there is no old version to keep for one that fails.

Products are inferred as sources are read (ingest/product_evidence.py): all sources to
(re)index are loaded first, their evidence registered in the product catalog (stored ids
first, so an id never changes spelling under passages already indexed; then explicit fields,
titles, file names), and only then are passages built and filed under their products. The
catalog with its evidence is saved beside the index after the index commits
(app/index/product_catalog.py); a source counts as unchanged only when the catalog has it too.
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
from app.ground.near_duplicates import signature
from app.ground.products import ProductCatalog
from app.index.models import PASSAGE_FORMAT, Passage, SourceState, passage_id
from app.index.product_catalog import (
    DocumentEntry,
    EvidenceEntry,
    SourceEntry,
    StoredCatalog,
    tickets_by_product,
)
from app.index.protocols import IndexWriter
from app.index.sparse import get_bm25
from app.index.store import open_writer
from ingest.chunking import chunk_document, passage_context
from ingest.document import DocType, LoadContext, ParsedDocument, SourceError
from ingest.loaders import loader_for
from ingest.product_evidence import Evidence, document_evidence
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


@dataclass
class _Loaded:
    """A source read and screened, waiting for the catalog before its passages are built."""

    file: SourceFile
    previous: SourceState | None
    source_hash: str
    documents: list[ParsedDocument]
    evidence: list[list[Evidence]]  # per document, strongest first


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
        stored = StoredCatalog() if rebuild else StoredCatalog.load(settings.index_dir)
        for catalog in catalogs.values():
            stored.extend(catalog)  # ids already filed under keep their spelling
        loaded: list[_Loaded] = []
        for file in discovery.files:
            known = stored.sources.get((file.root, file.source))
            outcome, load = _load_source(
                file,
                states.get((file.root, file.source)),
                settings,
                catalogs[file.root],
                catalogued=known.source_hash if known else None,
            )
            if load is not None:
                loaded.append(load)
            elif outcome is not None:
                report.outcomes.append(outcome)
        _register_evidence(loaded, catalogs)
        planned: list[_Planned] = []
        for load in loaded:
            outcome, plan, entry = _plan_source(load, settings, catalogs[load.file.root])
            stored.sources[(load.file.root, load.file.source)] = entry
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
        _forget_missing(stored, discovery)
        report.passages_total = writer.count()
        if rebuild and report.passages_total == 0:
            raise AppError("usage", "the rebuild found no passages; the live index is unchanged")
        writer.commit()
    except BaseException:
        writer.abort()
        raise
    stored.save(settings.index_dir)
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


def _load_source(
    file: SourceFile,
    state: SourceState | None,
    settings: Settings,
    catalog: ProductCatalog,
    *,
    catalogued: str | None,
) -> tuple[SourceOutcome | None, _Loaded | None]:
    """Skip the file (unchanged, or failed), or read it for indexing."""
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
        # Unchanged only when the product catalog holds this version too (an index made
        # before the catalog existed is read once more to fill it; vectors are reused).
        if state is not None and state.is_complete(source_hash) and catalogued == source_hash:
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
    evidence = [document_evidence(d, file.source) for d in documents]
    return None, _Loaded(file, state, source_hash, documents, evidence)


def _register_evidence(loaded: list[_Loaded], catalogs: dict[str, ProductCatalog]) -> None:
    """Add the products this run's sources name to their root's catalog: explicit fields
    first, then the other kinds of evidence by strength across all sources, so that a title's
    "LR-200" names the product rather than a file name's "lr200"."""
    found = [
        (load.file.root, i, ev)
        for load in loaded
        for evidence in load.evidence
        for i, ev in enumerate(evidence)
    ]
    found.sort(key=lambda item: (not item[2].explicit, item[1]))
    for root, _, ev in found:
        catalogs[root].register(ev.product)


def _plan_source(
    load: _Loaded, settings: Settings, catalog: ProductCatalog
) -> tuple[SourceOutcome | None, _Planned | None, SourceEntry]:
    """Build a loaded source's passages, and its entry in the product catalog."""
    file, documents = load.file, load.documents
    filed = [
        _products_for(d, ev, file, catalog) for d, ev in zip(documents, load.evidence, strict=True)
    ]
    passages = _build_passages(file, documents, filed, load.source_hash, settings)
    entry = _catalog_entry(load, filed, catalog)
    warnings = [w for d in documents for w in d.warnings]
    if not passages and load.previous is None:
        # A page that is only a title (a docs index whose body comes from includes) loaded
        # fine but has nothing to index: the index stays as it was, with a warning.
        return SourceOutcome(file.source, "unchanged", 0, warnings=warnings), None, entry
    return None, _Planned(file, passages, load.previous, warnings), entry


def _catalog_entry(
    load: _Loaded, filed: list[tuple[str, ...]], catalog: ProductCatalog
) -> SourceEntry:
    """What the product catalog keeps of a source: per document its products, the evidence
    for them and, for manuals and articles, a near-duplicate signature."""
    documents: list[DocumentEntry] = []
    tickets: list[tuple[list[str], list[EvidenceEntry]]] = []
    for document, evidence, products in zip(load.documents, load.evidence, filed, strict=True):
        entries = [
            EvidenceEntry(
                catalog.canonical(ev.product) or ev.product, ev.product, ev.kind, ev.text, ev.phrase
            )
            for ev in evidence
        ]
        if document.doc_type == DocType.TICKET:
            tickets.append((list(products), entries))
            continue
        documents.append(
            DocumentEntry(
                title=document.title,
                doc_type=str(document.doc_type),
                products=list(products),
                evidence=entries,
                record_id=document.record_id,
                signature=signature("\n".join(b.text for b in document.blocks)),
            )
        )
    return SourceEntry(
        load.file.root, load.file.source, load.source_hash, documents + tickets_by_product(tickets)
    )


def load_documents(file: SourceFile, raw: bytes) -> list[ParsedDocument]:
    loader = loader_for(file.path)
    if loader is None:  # discover() only yields supported files
        raise SourceError(f"unsupported format {file.suffix}")
    return loader(raw, LoadContext(file.source, default_doc_type(file.source)))


def _build_passages(
    file: SourceFile,
    documents: list[ParsedDocument],
    filed: list[tuple[str, ...]],
    source_hash: str,
    settings: Settings,
) -> list[Passage]:
    chunks = []
    for document, products in zip(documents, filed, strict=True):
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
    document: ParsedDocument, evidence: list[Evidence], file: SourceFile, catalog: ProductCatalog
) -> tuple[str, ...]:
    """The document's products, main one first: its explicit product field, else a folder
    named after a product, else its strongest evidence (folder, title, first line, heading,
    file name); then every catalog product its title and file name name."""
    main = catalog.add(document.product) if document.product else None
    if main is None:
        folders = Path(file.source).parts[:-1]
        main = next((p for f in reversed(folders) if (p := catalog.canonical(f))), None)
    if main is None and evidence:
        main = catalog.canonical(evidence[0].product)
    # Every model code of the title and file name is in the catalog by now: matching them
    # against it keeps "longest name wins" ("LA-6 Pro" does not also name the LA-6).
    named = catalog.detect_all(document.title, Path(file.source).stem)
    ordered = [main] if main else []
    return tuple(dict.fromkeys(ordered + named))


def _forget_missing(stored: StoredCatalog, discovery: Discovery) -> None:
    """Drop the catalog entries of sources gone from disk (as _delete_missing does)."""
    present = {(f.root, f.source) for f in discovery.files}
    for scope in discovery.scopes:
        for root, source in list(stored.sources):
            if root != scope.root or (root, source) in present:
                continue
            if scope.only is not None and source not in scope.only:
                continue
            del stored.sources[(root, source)]


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
