"""A configuration bundle: the workspace files of one version, with digests.

A bundle is read from the working tree or from a git revision. Plans and
revisions embed bundles, so what was reviewed is exactly what gets applied and
runs are decided by the applied files, never by uncommitted edits.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
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

DIRTY_SUFFIX = "+dirty"


@dataclass
class ConfigBundle:
    files: dict[str, str]
    metadata: dict[str, str] = field(default_factory=dict)
    commit: str | None = None
    ref: str | None = None
    # Workspace files whose content differs from `commit`: edited, added,
    # deleted or not tracked by git.
    dirty_files: list[str] = field(default_factory=list)

    @property
    def dirty(self) -> bool:
        return bool(self.dirty_files)

    @property
    def revision_label(self) -> str | None:
        """Return the commit a revision of this bundle is labelled with.

        A bundle with uncommitted changes gets the commit id followed by
        `+dirty`, so its revision is never mistaken for the commit itself.
        """
        if self.commit is None or not self.dirty:
            return self.commit
        return self.commit + DIRTY_SUFFIX

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
            "dirty_files": self.dirty_files,
            "config_digest": self.config_digest,
            "metadata_digests": self.metadata_digests,
            "files": self.files,
            "metadata": self.metadata,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ConfigBundle:
        bundle = cls(
            files=dict(data["files"]),
            metadata=dict(data.get("metadata") or {}),
            commit=data.get("commit"),
            ref=data.get("ref"),
            dirty_files=sorted(data.get("dirty_files") or []),
        )
        if data.get("dirty") and not bundle.dirty_files:
            # Older plans and revisions record only that the tree was dirty,
            # so any of their files may be uncommitted.
            bundle.dirty_files = sorted(set(bundle.files) | set(bundle.metadata))
        return bundle


def changed_paths(first: ConfigBundle, second: ConfigBundle) -> list[str]:
    """Return the workspace files whose content differs between two bundles."""
    paths = set(first.files) | set(second.files)
    paths |= set(first.metadata) | set(second.metadata)
    return sorted(
        path for path in paths if _content(first, path) != _content(second, path)
    )


def _content(bundle: ConfigBundle, path: str) -> str | None:
    if path in bundle.files:
        return bundle.files[path]
    return bundle.metadata.get(path)


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


def bundle_from_worktree(root: Path, *, compare_with_head: bool = True) -> ConfigBundle:
    """Read the workspace files from disk.

    With `compare_with_head`, also record the HEAD commit and which files
    differ from it; callers that only need the files skip that git read.
    """
    files: dict[str, str] = {}
    if (root / CONNECTORS_FILE).is_file():
        files[CONNECTORS_FILE] = _read_worktree_file(root, CONNECTORS_FILE)
    for path in policy_paths(root):
        rel = f"{POLICIES_DIR}/{path.name}"
        files[rel] = _read_worktree_file(root, rel)
    metadata = {}
    folder = root / METADATA_DIR
    if folder.is_dir():
        for path in sorted(folder.glob("*.json")):
            rel = f"{METADATA_DIR}/{path.name}"
            metadata[rel] = _read_worktree_file(root, rel)
    bundle = ConfigBundle(files=files, metadata=metadata)
    if not compare_with_head:
        return bundle
    head = _worktree_head(root)
    if head is not None:
        bundle.commit = head.commit
        bundle.dirty_files = changed_paths(bundle, head)
    return bundle


def _read_worktree_file(root: Path, rel: str) -> str:
    return _decode_text((root / rel).read_bytes(), rel, "in the working tree")


def short_commit(label: str | None, missing: str = "no commit") -> str:
    """Abbreviate a commit id to 12 digits, keeping a `+dirty` suffix."""
    if label is None:
        return missing
    commit, suffix, _ = label.partition(DIRTY_SUFFIX)
    return commit[:12] + suffix


def _worktree_head(root: Path) -> ConfigBundle | None:
    """Read the workspace files at HEAD; None outside git or before a first commit."""
    try:
        repo = _open_repo(root)
    except ImportError:  # GitPython fails to import without the git executable
        return None
    if repo is None:
        return None
    try:
        head = repo.head.commit
    except ValueError:  # a new repository without commits
        return None
    # Only compared with the working tree, so a committed file that is not UTF-8
    # reads as differing instead of failing a plan whose working tree fixed it.
    return _bundle_at(repo, root, head, None, lenient=True)


def _prefix_in_repo(repo: Any, root: Path) -> str:
    top = Path(repo.working_tree_dir).resolve()
    rel = root.resolve().relative_to(top).as_posix()
    return "" if rel == "." else rel + "/"


def _open_repo(root: Path) -> Any | None:
    """Return the git repository that contains `root`, or None outside git."""
    import git

    try:
        return git.Repo(root, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        return None


def _find_commit(repo: Any, ref: str) -> Any | None:
    import git

    try:
        return repo.commit(ref)
    except (git.BadName, ValueError, git.GitCommandError):
        return None


def bundle_from_git(root: Path, ref: str) -> ConfigBundle:
    """Read the workspace files as they are at git revision `ref`."""
    repo = _open_repo(root)
    if repo is None:
        raise PlanError(f"{root} is not inside a git repository; drop --ref/--base")
    commit = _find_commit(repo, ref)
    if commit is None:
        raise PlanError(
            f"git revision {ref!r} not found; fetch it first (e.g. `git fetch origin`) "
            "or check the spelling"
        )
    return _bundle_at(repo, root, commit, ref)


def bundle_at_commit(root: Path, commit: str) -> ConfigBundle:
    """Read the workspace files at the full commit id `commit`.

    Raises PlanError when `root` is outside git or the repository does not
    contain the commit. Unlike `bundle_from_git`, a branch, tag or abbreviated
    id is not accepted, so the files always come from exactly that commit.
    """
    repo = _open_repo(root)
    if repo is None:
        raise PlanError(
            f"the plan's configuration comes from git commit {commit[:12]}, but "
            f"{root} is not inside a git repository, so the plan cannot be checked "
            "against that commit; apply it from a clone of the repository"
        )
    found = _find_commit(repo, commit)
    if found is None or found.hexsha != commit:
        raise PlanError(
            f"the plan's configuration comes from git commit {commit}, which is not "
            f"in the repository at {repo.working_tree_dir}; fetch it (e.g. "
            "`git fetch origin`) or make a new plan from a commit of this repository"
        )
    return _bundle_at(repo, root, found, None)


def commit_on_head(root: Path, commit: str) -> bool:
    """Tell whether `commit` is HEAD or an ancestor of HEAD in the repository of `root`.

    A commit that no branch checked out here contains, such as one dropped by
    `git reset --hard`, returns False. Outside git it returns False too.
    """
    import git

    repo = _open_repo(root)
    if repo is None:
        return False
    try:
        return bool(repo.is_ancestor(commit, "HEAD"))
    except (git.BadName, git.GitCommandError, ValueError):
        return False


def _bundle_at(
    repo: Any, root: Path, commit: Any, ref: str | None, *, lenient: bool = False
) -> ConfigBundle:
    """Read the workspace files of `commit` without walking the whole tree.

    With `lenient`, bytes that are not UTF-8 become lone surrogates, which no
    file read from the working tree contains, instead of raising PlanError.
    """
    files: dict[str, str] = {}
    metadata: dict[str, str] = {}
    prefix = _prefix_in_repo(repo, root)
    top = _subtree(commit.tree, prefix.rstrip("/")) if prefix else commit.tree
    if top is not None:
        for rel, blob in _workspace_blobs(top):
            text = _blob_text(blob, rel, commit.hexsha, lenient)
            if _is_config_path(rel):
                files[rel] = text
            elif _is_metadata_path(rel):
                metadata[rel] = text
    return ConfigBundle(files=files, metadata=metadata, commit=commit.hexsha, ref=ref)


def _subtree(tree: Any, path: str) -> Any | None:
    try:
        found = tree / path
    except KeyError:
        return None
    return found if found.type == "tree" else None


def _workspace_blobs(top: Any) -> Iterator[tuple[str, Any]]:
    """Yield (workspace-relative path, blob) for the files a bundle may contain."""
    for item in top:
        if item.type == "blob" and item.name == CONNECTORS_FILE:
            yield CONNECTORS_FILE, item
    for folder in (POLICIES_DIR, METADATA_DIR):
        tree = _subtree(top, folder)
        for item in tree if tree is not None else ():
            if item.type == "blob":
                yield f"{folder}/{item.name}", item


def _blob_text(blob: Any, rel: str, commit: str, lenient: bool) -> str:
    data: bytes = blob.data_stream.read()
    if lenient:
        text = data.decode("utf-8", errors="surrogateescape")
        return text.replace("\r\n", "\n").replace("\r", "\n")
    return _decode_text(data, rel, f"at git commit {commit[:12]}")


def _decode_text(data: bytes, rel: str, where: str) -> str:
    """Decode a workspace file as UTF-8 with \r\n and \r translated to \n.

    The translation matches Path.read_text, so a file reads the same from the
    working tree and from git. Raises PlanError naming the file and the first
    invalid byte when `data` is not UTF-8.
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PlanError(
            f"{rel} {where} is not valid UTF-8 (byte {exc.start}). Save the file"
            " as UTF-8, commit it if it is tracked, and run the command again."
        ) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")
