"""Where a project's inputs and outputs live. Passed explicitly: there is no global state."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

PDF_VARIANT = "pdf/ua-1"  # tagged PDF for screen readers; see README, "PDF/UA-1, not PDF/A"
BUILTIN_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


@dataclass(frozen=True)
class Project:
    root: Path

    @classmethod
    def at(cls, root: Path | str) -> "Project":
        return cls(Path(root).resolve())

    @property
    def assessments_dir(self) -> Path:
        return self.root / "assessments"

    @property
    def sources_dir(self) -> Path:
        return self.root / "sources"

    @property
    def registry_file(self) -> Path:
        return self.sources_dir / "sources.yaml"

    @property
    def reports_dir(self) -> Path:
        return self.root / "reports"

    @property
    def templates_dir(self) -> Path:
        return self.root / "templates"

    def key(self, path: Path) -> str:
        """How the build manifest names a file: relative inside the project, absolute outside."""
        try:
            return path.resolve().relative_to(self.root).as_posix()
        except ValueError:
            return str(path.resolve())

    def display(self, path: Path) -> str:
        """A path as shown to the user: relative to the project when inside it."""
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return str(path)

    def assessment_files(self, names: list[str] | None = None) -> list[Path]:
        files = sorted(self.assessments_dir.glob("*.yaml")) if self.assessments_dir.is_dir() else []
        if names is not None:
            files = [f for f in files if f.stem in names]
        return files
