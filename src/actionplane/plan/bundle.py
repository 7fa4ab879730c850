"""A configuration bundle: the workspace files of one version, with digests.

A bundle is read from the working tree or from a git revision. Plans and
revisions embed bundles, so what was reviewed is exactly what gets applied and
runs are decided by the applied files, never by uncommitted edits.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from actionplane.config.load import load_workspace, policy_paths
from actionplane.config.model import (
    CONNECTORS_FILE,
    METADATA_DIR,
    POLICIES_DIR,
    Workspace,
)
from actionplane.diagnostics import Diagnostic
from actionplane.errors import PlanError
from actionplane.metadata.snapshot import Snapshot, parse_snapshot


@dataclass
class ConfigBundle:
    files: dict[str, str]
    metadata: dict[str, str] = field(default_factory=dict)
    commit: str | None = None
    ref: str | None = None
    dirty: bool = False

    @property
    def config_digest(self) -> str:
        canonical = json.dumps(self.files, sort_keys=True, separators=(",", ":"))
        return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()

    def snapshots(self) -> dict[str, Snapshot]:
        result = {}
        for rel, text in sorted(self.metadata.items()):
            name = Path(rel).stem
            result[name] = parse_snapshot(text, rel)
        return result

    @property
    def metadata_digests(self) -> dict[str, str]:
        return {name: snap.digest for name, snap in self.snapshots().items()}

    def load(self, root: Path) -> tuple[Workspace, list[Diagnostic]]:
        return load_workspace(root, overrides=self.files)

    def to_dict(self) -> dict[str, Any]:
        return {
            "commit": self.commit,
            "ref": self.ref,
            "dirty": self.dirty,
            "config_digest": self.config_digest,
            "metadata_digests": self.metadata_digests,
            "files": self.files,
            "metadata": self.metadata,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ConfigBundle:
        return cls(
            files=dict(data["files"]),
            metadata=dict(data.get("metadata") or {}),
            commit=data.get("commit"),
            ref=data.get("ref"),
            dirty=bool(data.get("dirty", False)),
        )


def _is_config_path(rel: str) -> bool:
    if rel == CONNECTORS_FILE:
        return True
    parts = rel.split("/")
    return (
        len(parts) == 2 and parts[0] == POLICIES_DIR and rel.endswith((".yaml", ".yml"))
    )


def _is_metadata_path(rel: str) -> bool:
    return (
        rel.startswith(METADATA_DIR + "/")
        and rel.endswith(".json")
        and rel.count("/") == 2
    )


def bundle_from_worktree(root: Path) -> ConfigBundle:
    files: dict[str, str] = {}
    if (root / CONNECTORS_FILE).is_file():
        files[CONNECTORS_FILE] = (root / CONNECTORS_FILE).read_text(encoding="utf-8")
    for path in policy_paths(root):
        files[f"{POLICIES_DIR}/{path.name}"] = path.read_text(encoding="utf-8")
    metadata = {}
    folder = root / METADATA_DIR
    if folder.is_dir():
        for path in sorted(folder.glob("*.json")):
            metadata[f"{METADATA_DIR}/{path.name}"] = path.read_text(encoding="utf-8")
    commit, dirty = _worktree_commit(root)
    return ConfigBundle(files=files, metadata=metadata, commit=commit, dirty=dirty)


def _worktree_commit(root: Path) -> tuple[str | None, bool]:
    """Return HEAD's commit and whether workspace files differ from it."""
    try:
        import git
    except ImportError:  # GitPython needs the git executable
        return None, False
    try:
        repo = git.Repo(root, search_parent_directories=True)
        commit = repo.head.commit.hexsha
    except (git.InvalidGitRepositoryError, git.NoSuchPathError, ValueError):
        return None, False
    prefix = _prefix_in_repo(repo, root)
    paths = [prefix + CONNECTORS_FILE, prefix + POLICIES_DIR, prefix + METADATA_DIR]
    dirty = bool(repo.git.status("--porcelain", "--", *paths).strip())
    return commit, dirty


def _prefix_in_repo(repo: Any, root: Path) -> str:
    top = Path(repo.working_tree_dir).resolve()
    rel = root.resolve().relative_to(top).as_posix()
    return "" if rel == "." else rel + "/"


def bundle_from_git(root: Path, ref: str) -> ConfigBundle:
    """Read the workspace files as they are at git revision `ref`."""
    import git

    try:
        repo = git.Repo(root, search_parent_directories=True)
        commit = repo.commit(ref)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError) as exc:
        raise PlanError(
            f"{root} is not inside a git repository; drop --ref/--base"
        ) from exc
    except (git.BadName, ValueError, git.GitCommandError) as exc:
        raise PlanError(
            f"git revision {ref!r} not found; fetch it first (e.g. `git fetch origin`) "
            "or check the spelling"
        ) from exc
    prefix = _prefix_in_repo(repo, root)
    files: dict[str, str] = {}
    metadata: dict[str, str] = {}
    for blob in commit.tree.traverse():
        if not isinstance(blob, git.Blob) or not str(blob.path).startswith(prefix):
            continue
        rel = str(blob.path)[len(prefix) :]
        if _is_config_path(rel):
            files[rel] = blob.data_stream.read().decode("utf-8")
        elif _is_metadata_path(rel):
            metadata[rel] = blob.data_stream.read().decode("utf-8")
    return ConfigBundle(files=files, metadata=metadata, commit=commit.hexsha, ref=ref)
