"""The ingest report: what happened to each source, for people and for scripts."""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

Status = Literal["added", "updated", "unchanged", "deleted", "failed"]


@dataclass
class SourceOutcome:
    source: str
    status: Status
    passages: int = 0
    reason: str | None = None  # why it failed, in words
    warnings: list[str] = field(default_factory=list)


@dataclass
class IngestReport:
    roots: list[str]
    started_at: str = field(default_factory=lambda: time.strftime("%Y-%m-%dT%H:%M:%S%z"))
    duration_s: float = 0.0
    outcomes: list[SourceOutcome] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    passages_embedded: int = 0
    passages_reused: int = 0
    passages_total: int = 0
    report_path: str | None = None

    def count(self, status: Status) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def failures(self) -> list[SourceOutcome]:
        return [o for o in self.outcomes if o.status == "failed"]

    @property
    def exit_code(self) -> int:
        """0 when every source succeeded, 1 when some failed (the rest were indexed)."""
        return 1 if self.failures else 0

    def summary(self) -> dict[str, Any]:
        """The report as one JSON-able object (what `--json` prints)."""
        return {
            "roots": self.roots,
            "started_at": self.started_at,
            "duration_s": round(self.duration_s, 3),
            "added": self.count("added"),
            "updated": self.count("updated"),
            "unchanged": self.count("unchanged"),
            "deleted": self.count("deleted"),
            "failed": self.count("failed"),
            "ignored": len(self.ignored),
            "passages_embedded": self.passages_embedded,
            "passages_reused": self.passages_reused,
            "passages_total": self.passages_total,
            "failures": [{"source": o.source, "reason": o.reason} for o in self.failures],
            "warnings": [
                {"source": o.source, "warning": w} for o in self.outcomes for w in o.warnings
            ],
            "report_path": self.report_path,
        }

    def save(self, reports_dir: Path) -> Path:
        """Write the full report (every source) as JSON; also as ingest-latest.json."""
        reports_dir.mkdir(parents=True, exist_ok=True)
        stamp = time.strftime("%Y%m%dT%H%M%S")
        path = reports_dir / f"ingest-{stamp}.json"
        self.report_path = str(path)
        body = self.summary() | {
            "sources": [asdict(o) for o in self.outcomes],
            "ignored_files": self.ignored,
        }
        text = json.dumps(body, indent=2, ensure_ascii=False)
        path.write_text(text, encoding="utf-8")
        (reports_dir / "ingest-latest.json").write_text(text, encoding="utf-8")
        return path

    def render(self) -> str:
        """A few lines for a terminal."""
        s = self.summary()
        lines = [
            f"ingest finished in {s['duration_s']:.1f}s: {s['added']} added, {s['updated']} "
            f"updated, {s['unchanged']} unchanged, {s['deleted']} deleted, {s['failed']} failed"
            f" ({s['passages_total']} passages in the index; {s['passages_embedded']} embedded,"
            f" {s['passages_reused']} reused)",
        ]
        if self.ignored:
            lines.append(f"ignored {len(self.ignored)} file(s) in unsupported formats")
        for outcome in self.failures:
            lines.append(f"FAILED {outcome.source}: {outcome.reason}")
        for outcome in self.outcomes:
            for warning in outcome.warnings:
                lines.append(f"warning {outcome.source}: {warning}")
        if self.report_path:
            lines.append(f"report: {self.report_path}")
        return "\n".join(lines)
