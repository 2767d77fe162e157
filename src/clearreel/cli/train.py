"""`clearreel train` and `clearreel models list/show`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from clearreel.cli._common import emit_json, err, out, settings
from clearreel.errors import UsageError

models_app = typer.Typer(help="The model registry: every model this organization trained.",
                         no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.command("train")(train)
    app.add_typer(models_app, name="models")


def _load_config_file(path: Path) -> dict[str, Any]:
    import json

    import yaml

    if not path.is_file():
        raise UsageError(f"--config {path}: no such file")
    text = path.read_text()
    data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    if not isinstance(data, dict):
        raise UsageError(f"--config {path}: expected a mapping of training options")
    return data


def _parse_set(items: list[str]) -> dict[str, Any]:
    import yaml

    result: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageError(f"--set {item!r}: use KEY=VALUE, e.g. --set lora_rank=32")
        result[key.strip()] = yaml.safe_load(value)
    return result


def train(
    dataset: str = typer.Option(..., "--dataset", help="Curated dataset to train on."),
    base: str = typer.Option("tiny", "--base", help="'tiny' or a local diffusers model directory "
                             "(wan, ltx, cogvideox)."),
    name: str = typer.Option(..., "--name", help="Name of the new model."),
    mode: str | None = typer.Option(None, "--mode", help="lora (default) or full."),
    steps: int | None = typer.Option(None, "--steps", help="Optimizer steps."),
    batch_size: int | None = typer.Option(None, "--batch-size"),
    learning_rate: float | None = typer.Option(None, "--lr", help="Learning rate."),
    config: Path | None = typer.Option(None, "--config", help="YAML/JSON file of TrainConfig "
                                       "options (docs/training.md)."),
    set_: list[str] = typer.Option([], "--set", help="One more option, KEY=VALUE (repeatable)."),
    character: str | None = typer.Option(None, "--character", help="Train a character adapter "
                                         "on the clips where this character appears."),
    trigger: str | None = typer.Option(None, "--trigger", help="Trigger word for --character."),
    replace: bool = typer.Option(False, "--replace", help="Replace a model of the same name."),
    on: str | None = typer.Option(None, "--on", help="A second date on which the dataset must "
                                  "also clear (it must clear today whatever this says)."),
    json_: bool = typer.Option(False, "--json", help="Print a JSON document."),
) -> None:
    """Fine-tune a base model on a cleared dataset and register it for this organization.

    Refused (exit 1, nothing trained) unless the dataset verifies today: hashes, signature,
    and every clip's clearance re-derived from today's registry."""
    from clearreel.cli._common import parse_date
    from clearreel.train.config import TrainConfig

    opts: dict[str, Any] = {}
    if base == "tiny" and mode is None and config is None:
        from clearreel.train import TINY_DEMO_CONFIG

        opts.update(TINY_DEMO_CONFIG)  # the tiny base is random: train every weight
    if config is not None:
        opts.update(_load_config_file(config))
    opts.update(_parse_set(set_))
    for key, value in (("mode", mode), ("steps", steps), ("batch_size", batch_size),
                       ("learning_rate", learning_rate)):
        if value is not None:
            opts[key] = value
    cfg = TrainConfig.from_dict(opts)  # validated before anything heavy is loaded
    on_date = parse_date(on)

    from clearreel.train import train_model

    s = settings()
    rec = train_model(s, dataset, base, name, cfg, character=character, trigger=trigger,
                      replace=replace, log=lambda m: err.print(m, markup=False),
                      show_progress=True, on=on_date)
    if json_:
        emit_json(rec.to_json())
        return
    m = rec.metrics
    out.print(f"model [bold]{rec.name}[/bold] ({rec.family}, {rec.mode}) trained on {rec.dataset}: "
              f"loss {m.get('first_loss', 0):.4f} -> {m.get('final_loss', 0):.4f} in "
              f"{m.get('train_seconds', 0):.1f}s; saved at {rec.path}")


@models_app.command("list")
def models_list(json_: bool = typer.Option(False, "--json", help="Print a JSON document.")) -> None:
    """List the organization's trained models, with their status today (active, or suspended
    because their dataset no longer clears)."""
    from clearreel.db import open_session
    from clearreel.train.registry import list_models
    from clearreel.train.suspension import statuses

    s = settings()
    recs = list_models(s)
    with open_session(s) as session:
        live = statuses(session)
    if json_:
        emit_json({"models": [{**r.to_json(), "status": live[r.name].status,
                               "suspension": live[r.name].to_json()
                               if live[r.name].suspended else None} for r in recs]})
        return
    if not recs:
        out.print("no models yet: `clearreel train --dataset D --base tiny --name M`")
    for r in recs:
        st = live[r.name]
        when = f"\t{r.created:%Y-%m-%d %H:%M}" if r.created else ""
        out.print(f"{r.name}\t{st.status}\t{r.family}\t{r.mode}\tdataset={r.dataset}\t"
                  f"loss={r.metrics.get('final_loss')}{when}", markup=False)
        if st.suspended:
            out.print(f"    {st.code}: {st.detail}", markup=False)


@models_app.command("delete")
def models_delete(name: str = typer.Argument(..., help="Model name."),
                  yes: bool = typer.Option(False, "--yes", help="Do not ask."),
                  json_: bool = typer.Option(False, "--json", help="Print a JSON document.")
                  ) -> None:
    """Remove a model's registry entry and weights (audited); its outputs keep their records."""
    from clearreel.train.registry import delete_model

    if not yes and not typer.confirm(f"delete model {name} and its weights?", err=True):
        raise UsageError("not deleted (pass --yes to skip the question)")
    r = delete_model(settings(), name)
    if json_:
        emit_json(r)
    else:
        out.print(f"deleted model {name} (trained on {r['dataset']})", markup=False)


@models_app.command("show")
def models_show(name: str = typer.Argument(..., help="Model name."),
                json_: bool = typer.Option(False, "--json", help="Print a JSON document.")) -> None:
    """Everything recorded about one model: base and dataset hashes, config, metrics."""
    from clearreel.train.registry import get_model

    rec = get_model(settings(), name)
    data = rec.to_json()
    if json_:
        emit_json(data)
        return
    for key in ("name", "family", "mode", "base", "base_sha256", "dataset",
                "dataset_manifest_sha256", "character", "trigger", "path", "created"):
        out.print(f"{key}: {data[key]}", markup=False)
    m = rec.metrics
    out.print(f"metrics: steps {m.get('steps')}, "
              f"loss {m.get('first_loss')} -> {m.get('final_loss')}, "
              f"{m.get('train_seconds')}s on {m.get('device')}", markup=False)
    out.print(f"config: {data['config']}", markup=False)
