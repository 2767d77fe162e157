"""`clearreel demo`: the whole flow on the synthetic sample studio, stage by stage.

init → sample studio → catalog import → clearance report → curation → dataset verify →
attribution index → training (tiny base) → generation (one allowed, one blocked) → verify →
royalties (revenue, licence deal, statements) → a revocation after training (the model is
suspended; rebuild, retrain, generate again) → ledger and audit checks.

Everything is written inside the demo directory (its own workspace, `DIR/home`), so the demo
never touches a studio's workspace. Each stage is a function of a shared `DemoContext`; the
JSON summary collects what each stage returned.
"""

from __future__ import annotations

import datetime as dt
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from clearreel.config import Settings
from clearreel.errors import UsageError

MARKER = ".clearreel-demo"
DATASET = "demo"
MODEL = "studio-tiny"
# Two requests that show the prompt guard: Mara's owner allows character_generation and her
# performer's digital-replica consent covers previz; Jonah's owner says `constrained`.
ALLOWED_PROMPT = "Mara walks along the harbour at dusk"
BLOCKED_PROMPT = "Jonah waits on the pier in the rain"
USES = ("ai_generative_training", "ai_training", "ai_inference", "data_mining")


@dataclass
class DemoContext:
    root: Path
    settings: Settings
    console: Console
    films: int = 5
    seed: int = 0
    quick: bool = False
    catalog: Path | None = None
    output: str | None = None
    output_path: str | None = None
    summary: dict[str, Any] = field(default_factory=dict)


def _prepare(root: Path) -> None:
    """A fresh demo directory; refuses to clear a directory that is not a previous demo."""
    if root.exists() and any(root.iterdir()):
        if not (root / MARKER).exists():
            raise UsageError(f"{root} exists and is not a clearreel demo directory: give an empty "
                             "or new directory (`clearreel demo DIR`)")
        shutil.rmtree(root)
    root.mkdir(parents=True, exist_ok=True)
    (root / MARKER).write_text("created by `clearreel demo`; safe to delete\n")


def stage_init(ctx: DemoContext) -> dict[str, Any]:
    from clearreel.db import init_db
    from clearreel.provenance import ensure_studio_keys

    s = ctx.settings
    for sub in ("keys", "media", "datasets", "models", "outputs", "cache"):
        s.path(sub).mkdir(parents=True, exist_ok=True)
    init_db(s)
    ensure_studio_keys(s, "Northlight Pictures")
    ctx.console.print(f"workspace {s.home}")
    return {"home": str(s.home)}


def stage_sample(ctx: DemoContext) -> dict[str, Any]:
    from clearreel.sample import load_truth, make_sample_studio

    ctx.catalog = make_sample_studio(ctx.root / "studio", seed=ctx.seed, films=ctx.films,
                                     seconds=15.0 if ctx.quick else 18.0)
    truth = load_truth(ctx.root / "studio")
    ctx.console.print(f"{len(truth['works'])} films rendered with PyAV, subtitles with speaker "
                      f"labels, a catalog and truth.json in {ctx.catalog.parent}")
    return {"catalog": str(ctx.catalog), "works": sorted(truth["works"])}


def stage_import(ctx: DemoContext) -> dict[str, Any]:
    from clearreel.train.downstream import import_catalog

    assert ctx.catalog is not None
    summary = import_catalog(ctx.settings, ctx.catalog)
    ctx.console.print(f"imported {ctx.catalog.name} into the rights registry")
    return summary


def _why(r: Any) -> str:
    ref = r.license or r.consent or r.party
    return f"{r.code} ({ref})" if ref else r.code


def stage_report(ctx: DemoContext) -> dict[str, Any]:
    """What may be used for what today, in the studio's home territory, and why."""
    from clearreel.db import open_session
    from clearreel.rights.clearance import check_use
    from clearreel.rights.models import Work

    table = Table("work", *USES, title="Clearance today (home territory)", show_lines=True)
    rows: dict[str, Any] = {}
    with open_session(ctx.settings) as s:
        works = sorted(s.query(Work).all(), key=lambda w: w.id)
        for w in works:
            cells, rows[w.id] = [], {}
            for use in USES:
                d = check_use(s, w.id, use)
                codes = [r.code for r in d.reasons if r.effect == "deny"]
                rows[w.id][use] = {"allowed": d.allowed, "reasons": [r.code for r in d.reasons]}
                if d.allowed:
                    cells.append("[green]cleared[/green]")
                else:
                    why = "; ".join(_why(r) for r in d.reasons if r.effect == "deny")
                    cells.append(f"[red]denied[/red] {why or ', '.join(codes)}")
            table.add_row(f"{w.id}\n{w.title}", *cells)
    ctx.console.print(table)
    return rows


def stage_curate(ctx: DemoContext) -> dict[str, Any]:
    from clearreel.curate import curate

    summary = curate(ctx.settings, DATASET, workers=1)
    ctx.console.print(
        f"dataset {DATASET!r}: {summary['clips']} clips admitted, {summary['excluded']} excluded, "
        f"{len(summary.get('quarantined', []))} files quarantined")
    table = Table("excluded because", "clips", title="Exclusions by reason")
    for code, n in summary.get("excluded_by_reason", {}).items():
        table.add_row(code, str(n))
    ctx.console.print(table)
    ctx.console.print(f"bill of materials signed; Merkle root {summary['merkle_root'][:16]}…")
    return summary


def stage_verify_dataset(ctx: DemoContext) -> dict[str, Any]:
    from clearreel.dataset import verify

    result = verify(ctx.settings, DATASET)
    ok = result.get("ok")
    ctx.console.print(f"dataset verify: {'[green]ok[/green]' if ok else '[red]FAILED[/red]'} "
                      "(file hashes, signature, and clearance against today's registry)")
    if not ok:
        raise RuntimeError(f"the demo dataset does not verify: {result.get('problems')}")
    return result


def stage_index(ctx: DemoContext) -> dict[str, Any]:
    from clearreel.attribution import index_dataset

    result = index_dataset(ctx.settings, DATASET)
    ctx.console.print(f"attribution index: {result.get('clips', '?')} clips fingerprinted")
    return result


def stage_train(ctx: DemoContext) -> dict[str, Any]:
    from clearreel.demo_metric import train_and_evaluate

    config = {"steps": 60} if ctx.quick else None
    result = train_and_evaluate(ctx.settings, DATASET, name=MODEL, config=config,
                                log=lambda m: ctx.console.print(m, markup=False))
    ctx.console.print(f"trained {MODEL!r} (tiny Wan architecture, from scratch) in "
                      f"{result['seconds']} s")
    table = Table("character", "prompt", "recognised", title="Does the model know the cast?")
    for row in result.get("resemblance", {}).get("characters", []):
        table.add_row(row["character"], row["prompt"], str(row.get("recognised")))
    ctx.console.print(table)
    return result


def stage_generate(ctx: DemoContext) -> dict[str, Any]:
    from clearreel.generate.pipeline import Request, generate

    allowed = generate(ctx.settings, Request(model=MODEL, prompt=ALLOWED_PROMPT, purpose="previz"))
    ctx.output, ctx.output_path = allowed["output"], allowed["path"]
    if allowed["blocked"]:
        raise RuntimeError(f"the demo's allowed prompt was blocked: {allowed['reasons']}")
    ctx.console.print(f"[green]made[/green] {allowed['output']} → {allowed['path']}")
    for a in allowed.get("attribution", []):
        ctx.console.print(f"  shaped by {a['work']}: {a['share']}")
    if allowed.get("unattributed"):  # the tiny model's noise resembles no training clip
        ctx.console.print(f"  unattributed: {allowed['unattributed']['reason']}", markup=False)
    blocked = generate(ctx.settings, Request(model=MODEL, prompt=BLOCKED_PROMPT, purpose="previz"))
    if not blocked["blocked"]:
        raise RuntimeError("the demo's forbidden prompt was not blocked")
    why = "; ".join(f"{r['code']}: {r.get('detail', '')}" for r in blocked["reasons"])
    ctx.console.print(f"[red]blocked[/red] {BLOCKED_PROMPT!r}: {why}", markup=True)
    return {"allowed": allowed, "blocked": blocked}


def stage_verify_output(ctx: DemoContext) -> dict[str, Any]:
    from clearreel.generate import verify_file

    assert ctx.output_path is not None
    result = verify_file(ctx.settings, Path(ctx.output_path))
    c2pa, wm = result["c2pa"], result["watermark"]
    ctx.console.print(f"verify {Path(ctx.output_path).name}: C2PA present={c2pa['present']} "
                      f"valid={c2pa['valid']} trusted={c2pa['trusted']}; watermark → "
                      f"{wm['output']}; model {result['model']}, dataset {result['dataset']}")
    return result


def stage_royalties(ctx: DemoContext) -> dict[str, Any]:
    from clearreel.ledger import check, record_deal, record_revenue
    from clearreel.ledger.statements import render_html, statements

    assert ctx.output is not None
    today = dt.date.today()
    record_revenue(ctx.settings, ctx.output, "1250.00", "USD", on=today)
    record_deal(ctx.settings, "Acme Video AI", DATASET, "250000.00", "USD", on=today)
    period = today.strftime("%Y-%m")
    report = statements(ctx.settings, period)
    table = Table("party", "currency", "amount", title=f"Statements {period}")
    for st in report["statements"]:
        table.add_row(st["party"], st["currency"], st["amount"])
    ctx.console.print(table)
    _, page = render_html(ctx.settings, period)
    html = ctx.root / f"statements-{period}.html"
    html.write_text(page, encoding="utf-8")
    ledger = check(ctx.settings)
    state = "[green]balanced, chain intact[/green]" if ledger.get("valid") else ledger["problems"]
    ctx.console.print(f"statements page: {html}; ledger check: {state}")
    return {"statements": report, "html": str(html), "check": ledger}


REVOKED = "k-ben-training"  # Ben Reyes (Jonah) withdraws his training consent after training
REBUILT, RETRAINED = "demo-r", "studio-tiny-r"


def stage_revocation(ctx: DemoContext) -> dict[str, Any]:
    """A performer revokes after training: the revocation reaches the dataset and suspends
    the model; a rebuild (no re-decode) and a retrain make a model that generates again."""
    from clearreel.curate import rebuild
    from clearreel.dataset import verify
    from clearreel.db import open_session
    from clearreel.generate.pipeline import Request, generate
    from clearreel.sample import load_truth
    from clearreel.train import TINY_DEMO_CONFIG, train_model
    from clearreel.train.downstream import revoke
    from clearreel.train.suspension import statuses

    s = ctx.settings
    truth = (load_truth(ctx.root / "studio")["expectations"].get("revocation")
             or {"consent": REVOKED, "expect": {}})
    with open_session(s) as session:
        affected = revoke(session, truth["consent"], evidence="letter from the performer's agent")
    ctx.console.print(f"[red]revoked[/red] {affected.consent}: {len(affected.clips)} clip(s) of "
                      f"{', '.join(affected.datasets) or 'no dataset'}; models suspended: "
                      f"{', '.join(affected.models) or 'none'}")
    check = verify(s, DATASET)
    ctx.console.print(f"dataset verify {DATASET}: {len(check['problems'])} clip(s) no longer "
                      "clear, e.g. " + (check["problems"][0]["detail"] if check["problems"]
                                        else "-"), markup=False)
    refused = generate(s, Request(model=MODEL, prompt=ALLOWED_PROMPT, purpose="previz"))
    if not refused["blocked"] or refused["reasons"][0]["code"] != "model.dataset_uncleared":
        raise RuntimeError(f"the suspended model was not refused: {refused['reasons']}")
    ctx.console.print(f"[red]refused[/red] {MODEL}: {refused['reasons'][0]['detail']}",
                      markup=False)
    rebuilt = rebuild(s, DATASET, REBUILT)
    ctx.console.print(f"rebuilt {DATASET} as {REBUILT}: {rebuilt['clips']} clips kept, "
                      f"{len(rebuilt['dropped'])} dropped, nothing decoded")
    from clearreel.attribution import index_dataset

    index_dataset(s, REBUILT)
    config = {**TINY_DEMO_CONFIG, "steps": 30 if ctx.quick else 120}
    retrained = train_model(s, REBUILT, "tiny", RETRAINED, config, show_progress=False)
    again = generate(s, Request(model=RETRAINED, prompt=ALLOWED_PROMPT, purpose="previz"))
    if again["blocked"]:
        raise RuntimeError(f"the retrained model was refused: {again['reasons']}")
    ctx.console.print(f"[green]made[/green] {again['output']} with {RETRAINED} → {again['path']}")
    with open_session(s) as session:
        models = {k: v.status for k, v in statuses(session).items()}
    ctx.console.print(f"models: {', '.join(f'{k} {v}' for k, v in models.items())}")
    return {"revoked": affected.consent, "truth": truth, "affected": affected.to_json(),
            "verify": check, "refused": refused, "rebuilt": rebuilt,
            "retrained": retrained.to_json(), "generated": again, "models": models}


def stage_audit(ctx: DemoContext) -> dict[str, Any]:
    from clearreel.db import open_session
    from clearreel.rights import audit

    with open_session(ctx.settings) as s:
        problems = audit.verify(s)
        n = len(audit.entries(s))
    state = problems or "[green]chain intact[/green]"
    ctx.console.print(f"audit log: {n} entries, {state}")
    return {"entries": n, "problems": problems}


def stage_accounts(ctx: DemoContext) -> dict[str, Any]:
    """One web-studio account per role, printed once (and kept in DIR/web-accounts.txt)."""
    from clearreel.web.accounts import add_user

    table = Table("name", "role", "password", title="Sign in with `make serve` "
                  "(http://127.0.0.1:8000)")
    lines, users = [], {}
    for role in ("admin", "rights", "creative", "finance"):
        account, password = add_user(ctx.settings, f"demo-{role}", role)
        table.add_row(account.name, role, password)
        lines.append(f"{account.name}\t{role}\t{password}")
        users[account.name] = role
    ctx.console.print(table)
    (ctx.root / "web-accounts.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return {"users": users, "file": str(ctx.root / "web-accounts.txt")}


STAGES: list[tuple[str, Callable[[DemoContext], dict[str, Any]]]] = [
    ("init", stage_init),
    ("sample studio", stage_sample),
    ("catalog import", stage_import),
    ("clearance report", stage_report),
    ("curation", stage_curate),
    ("dataset verify", stage_verify_dataset),
    ("attribution index", stage_index),
    ("training", stage_train),
    ("generation", stage_generate),
    ("output verify", stage_verify_output),
    ("royalties", stage_royalties),
    ("revocation", stage_revocation),
    ("audit", stage_audit),
    ("web accounts", stage_accounts),
]


def run_demo(root: Path, *, films: int = 5, seed: int = 0, quick: bool = False,
             console: Console | None = None, until: str | None = None) -> dict[str, Any]:
    """Run the stages in order (up to and including `until`); returns {stage: result}."""
    root = root.resolve()
    _prepare(root)
    ctx = DemoContext(root=root, settings=Settings(home=root / "home", database_url=None),
                      console=console or Console(stderr=True), films=films, seed=seed, quick=quick)
    for name, fn in STAGES:
        ctx.console.rule(f"[bold]{name}")
        t = time.monotonic()
        ctx.summary[name] = fn(ctx)
        ctx.console.print(f"[dim]{name}: {time.monotonic() - t:.1f} s[/dim]")
        if name == until:
            break
    return ctx.summary
